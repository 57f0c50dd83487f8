import mqtt, { type IClientOptions, type MqttClient } from 'mqtt'
import { loadConfig } from '../../gateway/src/config'
import { startGateway, type Gateway } from '../../gateway/src/gateway'
import { createLogger } from '../../gateway/src/logger'
import { ApiClient } from './api-client'
import { createPostgresDatabase, type TestDatabase } from './databases'

/**
 * A real gateway for end-to-end tests: its own fresh PostgreSQL database (or in-memory
 * PGlite), the embedded broker and HTTP on ephemeral ports, and an admin API client.
 */
export const ADMIN_PASSWORD = 'test-admin-password'
/** EG_WEBHOOK_ALLOW for gateways whose test receivers listen on 127.0.0.1 or ::1. */
export const LOCAL_WEBHOOKS = '127.0.0.1/32,::1/128'

export interface TestGateway {
  gateway: Gateway
  api: ApiClient
  database: TestDatabase | undefined
  mqttUrl: string
  /** The watch port (DESIGN §3b) when started with EG_WATCH_PORT (e.g. '0'). */
  watchPort: number | undefined
  /** Stops the gateway; the database survives for a restart until drop(). */
  stop(): Promise<void>
  restart(): Promise<TestGateway>
  drop(): Promise<void>
}

export async function startTestGateway(
  opts: { storage?: 'postgres' | 'pglite'; env?: Record<string, string>; database?: TestDatabase } = {},
): Promise<TestGateway> {
  const database = opts.database ?? (opts.storage === 'pglite' ? undefined : await createPostgresDatabase())
  const config = loadConfig({
    EG_MQTT_PORT: '0',
    EG_HTTP_PORT: '0',
    EG_HOST: '127.0.0.1',
    EG_DATA_DIR: 'memory://',
    ...(database ? { DATABASE_URL: database.url } : {}),
    EG_ADMIN_PASSWORD: ADMIN_PASSWORD,
    EG_LOG_LEVEL: process.env.EG_TEST_LOG_LEVEL ?? 'silent',
    // Test police stations and family webhooks listen on this machine's loopback (DESIGN §4).
    EG_WEBHOOK_ALLOW: LOCAL_WEBHOOKS,
    ...opts.env,
  })
  const gateway = await startGateway(config, createLogger(config.EG_LOG_LEVEL))
  const api = new ApiClient(`http://127.0.0.1:${gateway.httpPort}`)
  await api.login('admin', ADMIN_PASSWORD)
  const handle: TestGateway = {
    gateway,
    api,
    database,
    mqttUrl: `mqtt://127.0.0.1:${gateway.mqttPort}`,
    watchPort: gateway.watchPort,
    stop: () => gateway.close(),
    async restart() {
      await gateway.close()
      return startTestGateway({ ...opts, ...(database ? { database } : {}) })
    },
    async drop() {
      await database?.drop()
    },
  }
  return handle
}

export async function connectDevice(url: string, id: string, secret: string, extra: IClientOptions = {}): Promise<MqttClient> {
  const client = mqtt.connect(url, { clientId: id, username: id, password: secret, reconnectPeriod: 0, protocolVersion: 4, ...extra })
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve())
    client.once('error', reject)
  })
  return client
}

/** Polls a condition until it holds (the only honest way to wait on an asynchronous system). */
export async function waitFor<T>(probe: () => Promise<T | undefined | null | false>, opts: { timeoutMs?: number; what?: string } = {}): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 20_000)
  let last: unknown
  for (;;) {
    try {
      const value = await probe()
      if (value) return value
    } catch (err) {
      last = err
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${opts.what ?? 'condition'}${last ? `: ${String(last)}` : ''}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

/** A command as devices receive it on eg/v1/<id>/cmd (DESIGN §3). */
export interface DeviceCommand {
  id: string
  type: string
  text: string
  lang: string
  priority: string
  expiresAt: string
}

/** Subscribes a device client to its cmd topic; the returned array fills as commands arrive. */
export async function collectCommands(client: MqttClient, deviceId: string): Promise<DeviceCommand[]> {
  const commands: DeviceCommand[] = []
  client.on('message', (topic, payload) => {
    if (topic === `eg/v1/${deviceId}/cmd`) commands.push(JSON.parse(payload.toString()) as DeviceCommand)
  })
  await client.subscribeAsync(`eg/v1/${deviceId}/cmd`, { qos: 1 })
  return commands
}
