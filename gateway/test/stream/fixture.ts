import { backends, silentLogger } from '../../../test/support/databases'
import { appendChange, type Change, type ChangeTopic } from '../../src/stream/change-log-store'
import { createChangeBus, type ChangeBus } from '../../src/stream/change-bus'
import { streamRoutes, type StreamDeps } from '../../src/stream/stream-routes'
import { bearer, login, startApi, ADMIN_PASSWORD, type Api } from '../http/harness'

/**
 * A real HTTP API (fastify on a TCP port, real PostgreSQL) with the stream plugin and a change
 * bus, composed as gateway.ts will: changes are appended in a transaction and published after
 * the commit, exactly what AlertEffects.afterCommit does.
 */
export interface StreamApi {
  api: Api
  baseUrl: string
  bus: ChangeBus
  adminToken: string
  tenantId: string
  /** Appends one change (own transaction) and publishes it after commit. */
  change(topic: ChangeTopic, entityId: string, payload: Record<string, unknown>, opts?: { publish?: boolean }): Promise<Change>
  request<T = Record<string, unknown>>(method: string, path: string, body?: unknown, token?: string): Promise<T>
  close(): Promise<void>
}

const postgres = backends.find((b) => b.name === 'postgres')!

export async function startStreamApi(overrides: Partial<Omit<StreamDeps, 'db' | 'bus' | 'logger'>> = {}): Promise<StreamApi> {
  const opened = await postgres.open()
  const bus = createChangeBus({ logger: silentLogger })
  const api = await startApi({ open: async () => opened }, { plugins: [streamRoutes({ db: opened.db, bus, logger: silentLogger, ...overrides })] })
  await api.app.listen({ port: 0, host: '127.0.0.1' })
  const address = api.app.server.address()
  const baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`
  const adminToken = await login(api.app, 'admin', ADMIN_PASSWORD)
  return {
    api,
    baseUrl,
    bus,
    adminToken,
    tenantId: api.tenantId,
    async change(topic, entityId, payload, opts = {}) {
      const change = await opened.db.transaction((tx) => appendChange(tx, api.tenantId, topic, entityId, payload))
      if (opts.publish !== false) bus.publish([change])
      return change
    },
    async request(method, path, body, token) {
      const res = await api.app.inject({ method: method as 'GET', url: path, headers: bearer(token ?? adminToken), ...(body === undefined ? {} : { payload: body as Record<string, unknown> }) })
      if (res.statusCode >= 400) throw new Error(`${method} ${path} → ${res.statusCode}: ${res.body}`)
      return (res.body === '' ? null : res.json()) as never
    },
    close: () => api.close(),
  }
}
