import { randomBytes } from 'node:crypto'
import { loadConfig } from '../../../gateway/src/config'
import { startGateway, type Gateway } from '../../../gateway/src/gateway'
import { createLogger } from '../../../gateway/src/logger'

/**
 * A gateway of the evaluator's own, in this process: embedded storage (PGlite in memory, so
 * every run starts from an empty rule clock — under EG_CLOCK=event a replayed week would be
 * "late" on a used database), event-time rules, the broker, the 4G watch port and HTTP on the
 * given ports. Everything else is the gateway's normal configuration from the environment.
 */
export interface SelfGateway {
  gateway: Gateway
  httpUrl: string
  mqttUrl: string
  /** host:port of the watch port (DESIGN §3b), always on: any mix of protocols can be run. */
  watchAddress: string
  password: string
  stop(): Promise<void>
}

export async function startSelfGateway(opts: { httpPort?: number; mqttPort?: number; watchPort?: number; host?: string; password?: string; logLevel?: string; env?: Record<string, string> } = {}): Promise<SelfGateway> {
  const password = opts.password ?? process.env.EG_ADMIN_PASSWORD ?? randomBytes(9).toString('base64url')
  const host = opts.host ?? '127.0.0.1'
  // Embedded storage always: never write a simulated week into a configured database.
  const { DATABASE_URL: _ignored, ...inherited } = process.env
  const config = loadConfig({
    // The simulated police station and family receivers listen on this machine (DESIGN §4
    // refuses loopback webhooks unless allowed); an EG_WEBHOOK_ALLOW of the caller's wins.
    EG_WEBHOOK_ALLOW: '127.0.0.1/32,::1/128',
    ...inherited,
    EG_DATA_DIR: 'memory://',
    EG_CLOCK: 'event',
    EG_HOST: host,
    EG_HTTP_PORT: String(opts.httpPort ?? 0),
    EG_MQTT_PORT: String(opts.mqttPort ?? 0),
    EG_WATCH_PORT: String(opts.watchPort ?? 0),
    EG_ADMIN_PASSWORD: password,
    EG_LOG_LEVEL: opts.logLevel ?? process.env.EG_LOG_LEVEL ?? 'warn',
    ...opts.env,
  })
  const gateway = await startGateway(config, createLogger(config.EG_LOG_LEVEL))
  const shown = host === '0.0.0.0' ? '127.0.0.1' : host
  if (gateway.watchPort === undefined) throw new Error('the in-process gateway started without its watch port')
  return {
    gateway, password,
    httpUrl: `http://${shown}:${gateway.httpPort}`,
    mqttUrl: `mqtt://${shown}:${gateway.mqttPort}`,
    watchAddress: `${shown}:${gateway.watchPort}`,
    stop: () => gateway.close(),
  }
}
