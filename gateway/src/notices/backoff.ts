/**
 * Retry spacing for notice delivery: exponential with full jitter (the delay is uniform in
 * [0, min(cap, base × 2^(n−1))]). Jitter keeps the retries of many notices to one station
 * that was down from arriving together the moment it comes back.
 */
export interface BackoffPolicy {
  baseMs: number
  factor: number
  capMs: number
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 2_000, factor: 2, capMs: 10 * 60_000 }

/** Delay before the next attempt after `failedAttempts` failures (≥ 1); `random` in [0, 1). */
export function retryDelayMs(failedAttempts: number, policy: BackoffPolicy = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const exponent = Math.max(0, failedAttempts - 1)
  // Cap the exponent first: 2^1000 is Infinity, and a day of retries stays far below it anyway.
  const ceiling = Math.min(policy.capMs, policy.baseMs * policy.factor ** Math.min(exponent, 60))
  return Math.floor(random() * ceiling)
}
