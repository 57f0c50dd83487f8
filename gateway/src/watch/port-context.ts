import type { IntakeSinks, DeviceIntake } from '../intake/device-intake'
import type { Logger } from '../logger'
import type { DeviceIdentity } from '../broker/types'
import type { WatchDirectory } from './directory'
import type { WatchMetrics } from './metrics'

/** Bounds of the watch port (config EG_WATCH_*): every one a defence against a hostile peer. */
export interface WatchPortLimits {
  /** Largest frame content accepted; a longer frame closes the connection. */
  maxContentBytes: number
  /** Open connections in all; beyond, new ones are closed at once. */
  maxConnections: number
  /** Connections not yet identified, per remote address (a county's watches share carrier NAT addresses, so identified ones are not limited). */
  maxPendingPerAddress: number
  /** Time a new connection has to send its first complete frame. */
  identifyMs: number
  /** Time a begun frame has to end (slow-loris). */
  frameMs: number
  /** Silence after which an identified watch's connection is closed (watches send `LK` every few minutes). */
  idleMs: number
  /** Broken frames tolerated on one connection before it is closed. */
  maxProblems: number
  /** Unanswered frames (UD, health) whose stores may be in flight at once on one connection. */
  maxUnansweredFrames: number
}

/** What a connection needs from its port: shared by all connections, owned by server.ts. */
export interface WatchPortContext {
  limits: WatchPortLimits
  logger: Logger
  metrics: WatchMetrics
  directory: WatchDirectory
  intake: Pick<DeviceIntake, 'onMessage'>
  deadLetters: IntakeSinks['deadLetters']
  activity: { seen(deviceId: string, at: number): void; frame(deviceId: string, at: number, command: string): void }
  /** Wall clock (activity: last seen, last frame). */
  clock: () => number
  /**
   * The tenant's rule clock (rule-clock.ts): what a frame without its own time (LK, health) is
   * dated by, and what an alarm's own time is checked against. Under EG_CLOCK=event it is the
   * tenant's event time — a replayed week's SOS must not be dated by today's wall clock.
   */
  ruleNow: (tenantId: string) => number
  /** A bounded metric label for a command a watch sent (unknown ones share one). */
  commandLabel(command: string): string
  identified(connection: WatchSession): void
  closed(connection: WatchSession, reason: string): void
}

/** What the port sees of a connection (connection.ts implements it; no import back from here). */
export interface WatchSession {
  readonly address: string
  readonly device: DeviceIdentity | undefined
  readonly watch: { imei: string } | undefined
  sendMessage(promptId: string, content: string): Promise<void>
  close(reason: string, count?: boolean): void
}
