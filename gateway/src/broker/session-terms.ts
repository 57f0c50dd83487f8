/** A Session Expiry Interval that means "never" (MQTT 5 §3.1.2.11.2). */
export const NEVER_EXPIRES = 0xffffffff

/**
 * A connection's say over its session (MQTT 5 CONNECT; a 3.1.1 clean-session flag maps onto it):
 * what the session table (sessions.ts) acts on, and how it answers Session Present.
 */
export interface SessionTerms {
  /** Clean Start: any existing session ends before this connection begins. */
  readonly cleanStart: boolean
  /** How long the session outlives the connection, in seconds; 0 = it ends with it. */
  readonly sessionExpirySeconds: number
  /** Will Delay Interval in seconds: the will waits this long for the device to come back. */
  readonly willDelaySeconds: number
  /** A session was there and goes on: CONNACK says Session Present. */
  sessionResumed(): void
}
