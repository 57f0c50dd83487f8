import type { FastifyInstance } from 'fastify'
import type pino from 'pino'
import { silentLogger, type OpenedBackend } from '../../../test/support/databases'
import { loadConfig } from '../../src/config'
import { buildHttpApp, type HttpDeps } from '../../src/http/app'
import { createMetrics } from '../../src/metrics'
import { ensureBootstrap } from '../../src/registry/bootstrap'
import { createDeviceAuthenticator, type DeviceAuthenticator } from '../../src/registry/device-auth'

/** One API over one test database, bootstrapped with admin / ADMIN_PASSWORD. */
export const ADMIN_PASSWORD = 'admin-password-1'

export interface Api {
  app: FastifyInstance
  deviceAuth: DeviceAuthenticator
  tenantId: string
  opened: OpenedBackend
  close(): Promise<void>
}

export async function startApi(
  backend: { open(): Promise<OpenedBackend> },
  overrides: Partial<HttpDeps> & { env?: Record<string, string>; logger?: pino.Logger } = {},
): Promise<Api> {
  const opened = await backend.open()
  const { env, ...deps } = overrides
  // Three failures trip the login throttle, so the throttle test stays short. Test webhooks
  // point at the loopback, which DESIGN §4 refuses unless allowed.
  const config = loadConfig({ EG_LOG_LEVEL: 'silent', EG_AUTH_MAX_FAILURES: '3', EG_WEBHOOK_ALLOW: '127.0.0.1/32,::1/128', ...env })
  const deviceAuth = createDeviceAuthenticator(opened.db, { cacheTtlMs: 60_000 })
  const boot = await ensureBootstrap(opened.db, { tenantName: 'county-a', adminPassword: ADMIN_PASSWORD })
  const app = await buildHttpApp({
    db: opened.db,
    config,
    logger: silentLogger,
    metrics: createMetrics(),
    deviceAuth,
    health: async () => ({ broker: 'up' }),
    ...deps,
  })
  return {
    app,
    deviceAuth,
    tenantId: boot.tenantId,
    opened,
    async close() {
      await app.close()
      await opened.cleanup()
    },
  }
}

export async function login(app: FastifyInstance, username: string, password: string): Promise<string> {
  const res = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password } })
  if (res.statusCode !== 200) throw new Error(`login ${username} failed: ${res.statusCode} ${res.body}`)
  return (res.json() as { token: string }).token
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

/** Creates a user in the admin's tenant and returns a token for it. */
export async function userToken(
  app: FastifyInstance,
  adminToken: string,
  user: { username: string; role: 'admin' | 'operator' | 'police'; policeStationId?: string },
): Promise<string> {
  const password = `${user.username}-password`
  const res = await app.inject({ method: 'POST', url: '/api/v1/users', headers: bearer(adminToken), payload: { ...user, password } })
  if (res.statusCode !== 201) throw new Error(`create user ${user.username}: ${res.statusCode} ${res.body}`)
  return login(app, user.username, password)
}

export const home = { lat: 31.2304, lon: 121.4737 }
