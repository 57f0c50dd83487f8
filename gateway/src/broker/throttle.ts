import { LruMap } from './lru-map'
import { throttleAddress } from './throttle-keys'
import type { AuthThrottleOptions } from './types'

/**
 * Failed-login throttle shared by device CONNECTs and operator logins (issue 13, item 1). It
 * protects the people who own the credentials instead of locking them out:
 *
 * - Failures count per (address, id) pair. A pair that failed `maxFailures` times waits before
 *   its next attempt is even checked — 1 s, doubling with each further failure, up to
 *   `blockMs`. Only that id from that address waits: the same id from any other address, and
 *   every other id from this address, are unaffected. An id is never blocked everywhere, so
 *   guessing at an elder's watch cannot keep the real watch (elsewhere) offline.
 * - Failures also count per address (all ids). Past `addressMaxFailures` the address is "hot":
 *   its attempts for ids that have not logged in from it recently are delayed — 250 ms,
 *   doubling, up to `addressMaxDelayMs` — and then checked as usual, so a device or operator
 *   with the right secret behind the same carrier NAT still gets in, just later. Ids that did
 *   log in from that address in the last day skip the delay. At most MAX_WAITING attempts of
 *   one address wait at once; more are refused, so holding sockets open does not buy an
 *   attacker parallel guesses.
 * - A success forgives its pair, never its address: owning one valid account must not reset
 *   the counter between guesses at others.
 *
 * Pure: time is an argument and nothing here sets a timer; the caller waits out a delay. State
 * is bounded (LRU maps) so spraying random ids or addresses costs fixed memory.
 */
export type ThrottleScope = 'pair' | 'address'

/** What to do with an attempt before its secret or password is checked. */
export type AuthGate =
  | { kind: 'check' }
  | { kind: 'refuse'; scope: ThrottleScope; retryAfterMs: number }
  /** Wait `delayMs`, call `release()`, then ask `pairRetryAfterMs` again and check. */
  | { kind: 'delay'; scope: 'address'; delayMs: number; release: () => void }

/** What one failure changed: for the log line that says what is now throttled. */
export interface FailureOutcome {
  pairFailures: number
  /** > 0 when this failure made the pair wait that long. */
  pairLockMs: number
  addressFailures: number
  /** > 0 when the address is hot: new ids from it now wait this long. */
  addressDelayMs: number
  /** This failure made the address hot (logged once, not per failure). */
  addressTurnedHot: boolean
}

interface PairState {
  failures: number
  lastFailureAt: number
  lockedUntil: number
  /** When this id last logged in from this address (NEVER: not yet): such pairs skip address delays. */
  lastSuccessAt: number
}

interface AddressState {
  failures: number
  lastFailureAt: number
  /** Attempts of this address waiting out a delay right now. */
  waiting: number
}

/** "No success yet": older than any time, so `now - NEVER` exceeds every TTL. */
const NEVER = Number.NEGATIVE_INFINITY
const FIRST_PAIR_LOCK_MS = 1_000
const FIRST_ADDRESS_DELAY_MS = 250
const DEFAULT_ADDRESS_MAX_DELAY_MS = 10_000
/** Delayed attempts one address may have waiting at once. */
const MAX_WAITING = 16
/** How long a successful login exempts its pair from its address's delays (devices reconnect at least daily). */
const GOOD_PAIR_TTL_MS = 24 * 3_600_000
/** Bounds on tracked state: ~100 bytes an entry, so a few MiB at most. */
const MAX_PAIRS = 100_000
const MAX_ADDRESSES = 50_000

export class AuthThrottle {
  private readonly pairs = new LruMap<PairState>(MAX_PAIRS)
  private readonly addresses = new LruMap<AddressState>(MAX_ADDRESSES)
  private readonly addressMaxFailures: number
  private readonly addressMaxDelayMs: number
  /** A pair's failures are forgotten after this much quiet: past any lock, plus the window. */
  private readonly pairForgetMs: number
  private nextSweep = 0

  constructor(private readonly opts: AuthThrottleOptions) {
    this.addressMaxFailures = opts.addressMaxFailures ?? opts.maxFailures * 4
    this.addressMaxDelayMs = opts.addressMaxDelayMs ?? DEFAULT_ADDRESS_MAX_DELAY_MS
    this.pairForgetMs = opts.windowMs + opts.blockMs
  }

  gate(remoteAddress: string, id: string, now: number): AuthGate {
    const address = throttleAddress(remoteAddress)
    const pair = this.freshPair(address, id, now)
    if (pair !== undefined && pair.lockedUntil > now) return { kind: 'refuse', scope: 'pair', retryAfterMs: pair.lockedUntil - now }
    const delayMs = this.addressDelay(address, now)
    if (delayMs === 0 || (pair !== undefined && now - pair.lastSuccessAt < GOOD_PAIR_TTL_MS)) return { kind: 'check' }
    const state = this.addresses.get(address)
    if (state === undefined || state.waiting >= MAX_WAITING) return { kind: 'refuse', scope: 'address', retryAfterMs: delayMs }
    state.waiting++
    let released = false
    const release = (): void => {
      if (released) return
      released = true
      const current = this.addresses.peek(address)
      if (current !== undefined && current.waiting > 0) current.waiting--
    }
    return { kind: 'delay', scope: 'address', delayMs, release }
  }

  /** Milliseconds the pair must still wait (0: none) — asked again after a delay, as failures may have landed meanwhile. */
  pairRetryAfterMs(remoteAddress: string, id: string, now: number): number {
    const pair = this.freshPair(throttleAddress(remoteAddress), id, now)
    return pair === undefined ? 0 : Math.max(0, pair.lockedUntil - now)
  }

  recordFailure(remoteAddress: string, id: string, now: number): FailureOutcome {
    this.sweep(now)
    const address = throttleAddress(remoteAddress)
    const key = pairKey(address, id)
    const pair = this.freshPair(address, id, now) ?? { failures: 0, lastFailureAt: 0, lockedUntil: 0, lastSuccessAt: NEVER }
    pair.failures++
    pair.lastFailureAt = now
    let pairLockMs = 0
    if (pair.failures >= this.opts.maxFailures) {
      pairLockMs = Math.min(FIRST_PAIR_LOCK_MS * 2 ** Math.min(pair.failures - this.opts.maxFailures, 30), this.opts.blockMs)
      pair.lockedUntil = now + pairLockMs
    }
    this.pairs.set(key, pair)

    const state = this.freshAddress(address, now) ?? { failures: 0, lastFailureAt: 0, waiting: 0 }
    state.failures++
    state.lastFailureAt = now
    this.addresses.set(address, state)
    return {
      pairFailures: pair.failures,
      pairLockMs,
      addressFailures: state.failures,
      addressDelayMs: this.addressDelay(address, now),
      addressTurnedHot: state.failures === this.addressMaxFailures,
    }
  }

  /** Forgives the pair's failures and remembers it as good; the address keeps its count. */
  recordSuccess(remoteAddress: string, id: string, now: number): void {
    const address = throttleAddress(remoteAddress)
    this.pairs.set(pairKey(address, id), { failures: 0, lastFailureAt: 0, lockedUntil: 0, lastSuccessAt: now })
  }

  /** Tracked pairs and addresses (tests; the bound is the point). */
  size(): { pairs: number; addresses: number } {
    return { pairs: this.pairs.size, addresses: this.addresses.size }
  }

  /** Delay for a new id from this address: 0 until it is hot, then doubling per failure. */
  private addressDelay(address: string, now: number): number {
    const state = this.freshAddress(address, now)
    if (state === undefined || state.failures < this.addressMaxFailures) return 0
    const excess = Math.min(state.failures - this.addressMaxFailures, 30)
    return Math.min(FIRST_ADDRESS_DELAY_MS * 2 ** excess, this.addressMaxDelayMs)
  }

  /** The pair's state with stale failures forgotten; undefined when nothing is left to remember. */
  private freshPair(address: string, id: string, now: number): PairState | undefined {
    const key = pairKey(address, id)
    const pair = this.pairs.get(key)
    if (pair === undefined) return undefined
    if (pair.failures > 0 && pair.lockedUntil <= now && now - pair.lastFailureAt > this.pairForgetMs) {
      pair.failures = 0
      pair.lockedUntil = 0
    }
    if (pair.failures === 0 && now - pair.lastSuccessAt >= GOOD_PAIR_TTL_MS) {
      this.pairs.delete(key)
      return undefined
    }
    return pair
  }

  private freshAddress(address: string, now: number): AddressState | undefined {
    const state = this.addresses.get(address)
    if (state === undefined) return undefined
    if (state.waiting === 0 && now - state.lastFailureAt > this.opts.windowMs) {
      this.addresses.delete(address)
      return undefined
    }
    return state
  }

  /** Drops idle state at most once per window, so quiet times give the memory back. */
  private sweep(now: number): void {
    if (now < this.nextSweep) return
    this.nextSweep = now + this.opts.windowMs
    this.pairs.sweep((p) => p.lockedUntil <= now && (p.failures === 0 || now - p.lastFailureAt > this.pairForgetMs) && now - p.lastSuccessAt >= GOOD_PAIR_TTL_MS)
    this.addresses.sweep((a) => a.waiting === 0 && now - a.lastFailureAt > this.opts.windowMs)
  }
}

// A NUL cannot occur in an address, so it separates the two parts unambiguously.
const pairKey = (address: string, id: string) => address + '\u0000' + id
