import { AuthThrottle } from '../broker/throttle.js'
import type { AuthThrottleOptions } from '../broker/types.js'

/**
 * Failed operator logins, counted per username and per client address (the same pure
 * limiter the broker uses for device CONNECTs, with its own state): one address guessing many
 * usernames and many addresses guessing one password are both stopped with 429.
 */
export class LoginThrottle {
  private readonly throttle: AuthThrottle

  constructor(private readonly opts: AuthThrottleOptions) {
    this.throttle = new AuthThrottle(opts)
  }

  /** Seconds until the caller may retry, or 0 when neither key is blocked. */
  blockedFor(username: string, ip: string, now = Date.now()): number {
    const blocked = this.throttle.isBlocked(userKey(username), now) || this.throttle.isBlocked(ipKey(ip), now)
    return blocked ? Math.ceil(this.opts.blockMs / 1000) : 0
  }

  recordFailure(username: string, ip: string, now = Date.now()): void {
    this.throttle.recordFailure(userKey(username), now)
    this.throttle.recordFailure(ipKey(ip), now)
  }

  /**
   * Forgives the username's failures only: an attacker who owns one account must not be able
   * to reset their address's counter by logging in between guesses.
   */
  recordSuccess(username: string, now = Date.now()): void {
    this.throttle.recordSuccess(userKey(username), now)
  }
}

// Usernames are matched case-insensitively here so "Admin" and "admin" share one counter.
const userKey = (username: string) => `u:${username.toLowerCase()}`
const ipKey = (ip: string) => `a:${ip}`
