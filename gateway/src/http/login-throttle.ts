import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyBaseLogger } from 'fastify'
import { AuthThrottle } from '../broker/throttle'
import type { ThrottledCounter } from '../broker/throttle-metrics'
import type { AuthThrottleOptions } from '../broker/types'

/**
 * Failed operator logins: the broker's throttle (broker/throttle.ts) with its own state, keyed
 * on (client address, username) pairs and on addresses — never on a username alone, so thirty
 * wrong passwords for `admin` from one address cannot lock the real admin out from another.
 * Usernames are lower-cased for the count ("Admin" and "admin" share a pair), so spelling one
 * name differently never buys more guesses.
 */
export interface LoginThrottleReport {
  /** eg_auth_throttled_total (throttle-metrics.ts). */
  throttled: ThrottledCounter
  log: FastifyBaseLogger
}

export class LoginThrottle {
  private readonly throttle: AuthThrottle

  constructor(opts: AuthThrottleOptions, private readonly now: () => number = Date.now) {
    this.throttle = new AuthThrottle(opts)
  }

  /**
   * Before the password is checked: resolves 0 when it may be checked (after waiting out the
   * address's delay, if its address keeps failing and this username never logged in from it),
   * or the milliseconds this pair must still wait (answered 429 without checking anything).
   */
  async admit(username: string, ip: string, report: LoginThrottleReport): Promise<number> {
    const id = userKey(username)
    const gate = this.throttle.gate(ip, id, this.now())
    if (gate.kind === 'check') return 0
    if (gate.kind === 'refuse') {
      report.throttled.inc({ kind: 'http', scope: gate.scope, action: 'refused' })
      report.log.warn({ username, remoteAddress: ip, scope: gate.scope, retryAfterMs: gate.retryAfterMs }, 'login throttled: refused before the password was checked')
      return gate.retryAfterMs
    }
    report.throttled.inc({ kind: 'http', scope: 'address', action: 'delayed' })
    report.log.debug({ username, remoteAddress: ip, delayMs: gate.delayMs }, 'login delayed: its address keeps failing')
    try {
      await sleep(gate.delayMs)
    } finally {
      gate.release()
    }
    // Failures may have landed during the wait (parallel guesses at the same pair).
    const retryAfterMs = this.throttle.pairRetryAfterMs(ip, id, this.now())
    if (retryAfterMs > 0) report.throttled.inc({ kind: 'http', scope: 'pair', action: 'refused' })
    return retryAfterMs
  }

  /** Counts a wrong password (or unknown or disabled user) and logs what it throttles from now on. */
  recordFailure(username: string, ip: string, log: FastifyBaseLogger): void {
    const outcome = this.throttle.recordFailure(ip, userKey(username), this.now())
    if (outcome.pairLockMs > 0) {
      log.warn({ username, remoteAddress: ip, failures: outcome.pairFailures, waitMs: outcome.pairLockMs }, 'login throttled: this username from this address waits after repeated failures')
    }
    if (outcome.addressTurnedHot) {
      log.warn({ remoteAddress: ip, failures: outcome.addressFailures, delayMs: outcome.addressDelayMs }, 'login throttled: usernames new to this address are delayed after repeated failures')
    }
  }

  /** Forgives the pair only: owning one account must not reset the address's count between guesses. */
  recordSuccess(username: string, ip: string): void {
    this.throttle.recordSuccess(ip, userKey(username), this.now())
  }
}

const userKey = (username: string) => username.toLowerCase()
