import type { AuthThrottleOptions } from './types.js'

/**
 * Failed-login limiter. Keys are a remote address or a client id (the caller prefixes them), so
 * one address guessing many devices' secrets and many addresses guessing one device's secret are
 * both stopped. Pure: time is an argument, no timers, so tests drive it with fixed numbers.
 *
 * A blocked key stays blocked until its block expires whatever happens meanwhile: the broker
 * checks blocks before verifying the secret, so guessing during a block learns nothing.
 */
interface KeyState {
  /** Failure timestamps inside the window, oldest first. */
  failures: number[]
  blockedUntil: number
}

/** Bound on tracked keys so spraying random client ids cannot grow memory without limit. */
const MAX_KEYS = 100_000

export class AuthThrottle {
  private readonly keys = new Map<string, KeyState>()
  private nextSweep = 0

  constructor(private readonly opts: AuthThrottleOptions) {}

  isBlocked(key: string, now: number): boolean {
    const state = this.keys.get(key)
    return state !== undefined && state.blockedUntil > now
  }

  /** Records a failed login for `key`; returns true when this failure starts a block. */
  recordFailure(key: string, now: number): boolean {
    this.sweep(now)
    let state = this.keys.get(key)
    if (state === undefined) {
      if (this.keys.size >= MAX_KEYS) this.evictOldest()
      state = { failures: [], blockedUntil: 0 }
      this.keys.set(key, state)
    }
    if (state.blockedUntil > now) return false
    dropBefore(state.failures, now - this.opts.windowMs)
    state.failures.push(now)
    if (state.failures.length >= this.opts.maxFailures) {
      state.blockedUntil = now + this.opts.blockMs
      state.failures.length = 0
      return true
    }
    return false
  }

  /**
   * A successful login forgives the failures counted against that key (a device that mistyped
   * once should not carry them), but never lifts a running block.
   */
  recordSuccess(key: string, now: number): void {
    const state = this.keys.get(key)
    if (state !== undefined && state.blockedUntil <= now) this.keys.delete(key)
  }

  /** Number of keys tracked (tests, and a sanity bound). */
  size(): number {
    return this.keys.size
  }

  /** Drops idle keys at most once per window, so the map holds only recent offenders. */
  private sweep(now: number): void {
    if (now < this.nextSweep) return
    this.nextSweep = now + this.opts.windowMs
    const horizon = now - this.opts.windowMs
    for (const [key, state] of this.keys) {
      if (state.blockedUntil <= now && (state.failures.length === 0 || (state.failures.at(-1) ?? 0) < horizon)) {
        this.keys.delete(key)
      }
    }
  }

  private evictOldest(): void {
    // Map iterates in insertion order: the first key is the longest tracked.
    const first = this.keys.keys().next()
    if (first.done !== true) this.keys.delete(first.value)
  }
}

function dropBefore(times: number[], horizon: number): void {
  let i = 0
  while (i < times.length && (times[i] ?? 0) <= horizon) i++
  if (i > 0) times.splice(0, i)
}
