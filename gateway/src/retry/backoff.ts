/**
 * The one retry spacing of the gateway (issue 14): exponential with full jitter — the delay is
 * uniform in [0, min(cap, base × factor^(n−1))]. Jitter keeps the retries of many notices to
 * one station that was down, or of several gateway workers against one database, from arriving
 * together the moment it comes back. Used by notice delivery, finding delivery and its retry
 * queue, the tenant fence, the telemetry writer and (its ceiling, undelayed) voice re-sends.
 */
export interface BackoffPolicy {
  baseMs: number
  factor: number
  capMs: number
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 2_000, factor: 2, capMs: 10 * 60_000 }

/** The longest wait after `failedAttempts` failures (≥ 1): min(cap, base × factor^(n−1)). */
export function backoffCeilingMs(failedAttempts: number, policy: BackoffPolicy = DEFAULT_BACKOFF): number {
  const exponent = Math.max(0, failedAttempts - 1)
  // Cap the exponent first: 2^1000 is Infinity, and a day of retries stays far below it anyway.
  return Math.min(policy.capMs, policy.baseMs * policy.factor ** Math.min(exponent, 60))
}

/** Delay before the next attempt after `failedAttempts` failures (≥ 1); `random` in [0, 1). */
export function retryDelayMs(failedAttempts: number, policy: BackoffPolicy = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  return Math.floor(random() * backoffCeilingMs(failedAttempts, policy))
}
