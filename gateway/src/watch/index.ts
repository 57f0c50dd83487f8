import type { DeviceIdentity } from '../broker/types'
import type { CommandTransport } from '../device-commands'
import type { Config } from '../config'
import type { IntakeSinks, DeviceIntake } from '../intake/device-intake'
import type { Logger } from '../logger'
import type { Metrics } from '../metrics'
import { findWatchByImei } from '../registry/device-store'
import type { Queryable } from '../storage/db'
import { createWatchDirectory } from './directory'
import type { WatchPortContext } from './port-context'
import { startWatchPort, type WatchPort } from './server'

export type { WatchPort } from './server'

export interface WatchPortDeps {
  db: Queryable
  logger: Logger
  metrics: Metrics
  intake: Pick<DeviceIntake, 'onMessage'>
  deadLetters: IntakeSinks['deadLetters']
  activity: WatchPortContext['activity']
  onConnect(device: DeviceIdentity): void
  onDisconnect(device: DeviceIdentity): void
  /** The rule clock (EG_CLOCK): frames without a time of their own are dated by it. */
  ruleNow(tenantId: string): number
}

/** The watch port as configured (EG_WATCH_PORT unset: off), plus what the registry tells it. */
export interface ConfiguredWatchPort {
  port: WatchPort | undefined
  /** A watch was registered: a cached "unknown number" is forgotten. */
  registered(imei: string): void
  /** A watch was deleted: its connection is closed, its number forgotten. */
  removed(imei: string): void
  /**
   * Commands to watches on this port (device-commands.ts): a voice prompt becomes a `MESSAGE`
   * frame with the same lifecycle as over MQTT (queued → sent → delivered → expired).
   */
  commands: CommandTransport
  close(): Promise<void>
}

export async function startConfiguredWatchPort(config: Config, deps: WatchPortDeps): Promise<ConfiguredWatchPort> {
  const directory = createWatchDirectory({ find: (imei) => findWatchByImei(deps.db, imei), ttlMs: 60_000 })
  const port =
    config.EG_WATCH_PORT === undefined
      ? undefined
      : await startWatchPort({
          port: config.EG_WATCH_PORT,
          host: config.EG_HOST,
          logger: deps.logger,
          metrics: deps.metrics.watch,
          directory,
          intake: deps.intake,
          deadLetters: deps.deadLetters,
          activity: deps.activity,
          clock: Date.now,
          ruleNow: deps.ruleNow,
          limits: {
            maxConnections: config.EG_WATCH_MAX_CONNECTIONS,
            maxPendingPerAddress: config.EG_WATCH_MAX_PENDING_PER_ADDRESS,
            idleMs: config.EG_WATCH_IDLE_MS,
            identifyMs: config.EG_WATCH_FRAME_MS,
            frameMs: config.EG_WATCH_FRAME_MS,
          },
          onConnect: deps.onConnect,
          onDisconnect: deps.onDisconnect,
        })
  return {
    port,
    registered: (imei) => directory.forget(imei),
    removed(imei) {
      directory.forget(imei)
      port?.disconnect(imei)
    },
    close: async () => port?.close(),
    commands: {
      isConnected: (deviceId) => port?.isConnected(deviceId) ?? false,
      sendCommand(deviceId, command) {
        if (port === undefined) return Promise.reject(new Error('the watch port is off'))
        const { id, text } = command as { id?: unknown; text?: unknown }
        if (typeof id !== 'string' || typeof text !== 'string') return Promise.reject(new Error('a watch-protocol device takes voice prompts only'))
        return port.sendVoice(deviceId, { id, text })
      },
    },
  }
}
