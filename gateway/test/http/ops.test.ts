import { Writable } from 'node:stream'
import type { FastifyPluginAsync } from 'fastify'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { backends } from '../../../test/support/databases'
import { loadConfig } from '../../src/config'
import { buildHttpApp } from '../../src/http/app'
import { userOf } from '../../src/http/auth'
import type { ZodTypeProvider } from '../../src/http/zod-provider'
import { redactPaths } from '../../src/logger'
import { createMetrics } from '../../src/metrics'
import { createDeviceAuthenticator } from '../../src/registry/device-auth'
import type { Db } from '../../src/storage/db'
import { ADMIN_PASSWORD, bearer, home, login, startApi, userToken, type Api } from './harness'

/** What another module (alerts) plugs in: relative paths, declared roles, zod schemas. */
const alertsPlugin: FastifyPluginAsync = async (plain) => {
  const app = plain.withTypeProvider<ZodTypeProvider>()
  app.get(
    '/alerts',
    { config: { roles: ['admin', 'operator', 'police'] }, schema: { querystring: z.object({ level: z.enum(['yellow', 'red']).optional() }) } },
    async (request) => ({ items: [], viewer: userOf(request).role, station: userOf(request).policeStationId, level: request.query.level ?? null }),
  )
  app.get('/boom', { config: { roles: ['admin'] } }, async () => {
    throw new Error('connection string postgres://secret@db leaked')
  })
}

describe.each(backends)('operational routes on $name', (backend) => {
  let api: Api
  const lines: string[] = []
  beforeAll(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString())
        done()
      },
    })
    // The gateway's own logger settings (logger.ts) at info level, so request logs are written.
    const logger = pino({ level: 'info', redact: { paths: redactPaths, censor: '[redacted]' } }, sink)
    api = await startApi(backend, { logger, plugins: [alertsPlugin] })
  })
  afterAll(async () => {
    await api.close()
  })

  it('answers /healthz with the gateway details and 503 when the database is down', async () => {
    const res = await api.app.inject({ method: 'GET', url: '/healthz' })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual({ status: 'ok', database: 'ok', broker: 'up' })

    const broken: Db = { ...api.opened.db, query: async () => Promise.reject(new Error('connection refused')) }
    const down = await buildHttpApp({
      db: broken,
      config: loadConfig({ EG_DOCS: 'false' }),
      logger: pino({ level: 'silent' }),
      metrics: createMetrics(),
      deviceAuth: createDeviceAuthenticator(broken, { cacheTtlMs: 1000 }),
      health: async () => ({ broker: 'up' }),
    })
    const res503 = await down.inject({ method: 'GET', url: '/healthz' })
    expect(res503.statusCode).toBe(503)
    expect(res503.json()).toMatchObject({ status: 'unavailable', database: 'down' })
    // No docs when EG_DOCS=false.
    expect((await down.inject({ method: 'GET', url: '/docs/json' })).statusCode).toBe(404)
    await down.close()
  })

  it('serves Prometheus text at /metrics, including HTTP request counts', async () => {
    await api.app.inject({ method: 'GET', url: '/healthz' })
    const res = await api.app.inject({ method: 'GET', url: '/metrics' })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toMatch(/^text\/plain/)
    expect(res.body).toContain('# TYPE eg_http_requests_total counter')
    expect(res.body).toMatch(/eg_http_requests_total\{method="GET",route="\/healthz",status="200"\} \d+/)
  })

  it('serves OpenAPI docs generated from the zod schemas at /docs', async () => {
    const ui = await api.app.inject({ method: 'GET', url: '/docs' })
    expect([200, 302]).toContain(ui.statusCode)
    const doc = await api.app.inject({ method: 'GET', url: '/docs/json' })
    expect(doc.statusCode).toBe(200)
    const spec = doc.json()
    expect(spec.openapi).toMatch(/^3\./)
    const body = spec.paths['/api/v1/elders'].post.requestBody.content['application/json'].schema
    expect(body.required).toEqual(expect.arrayContaining(['name', 'home']))
    expect(body.properties.home.properties.lat).toMatchObject({ type: 'number', minimum: -90, maximum: 90 })
    expect(spec.paths['/api/v1/alerts']).toBeDefined()
  })

  it('mounts module plugins in the authenticated scope with their declared roles', async () => {
    expect((await api.app.inject({ method: 'GET', url: '/api/v1/alerts' })).statusCode).toBe(401)
    const admin = await login(api.app, 'admin', ADMIN_PASSWORD)
    const res = await api.app.inject({ method: 'GET', url: '/api/v1/alerts?level=red', headers: bearer(admin) })
    expect(res.json()).toEqual({ items: [], viewer: 'admin', station: null, level: 'red' })
    expect((await api.app.inject({ method: 'GET', url: '/api/v1/alerts?level=blue', headers: bearer(admin) })).statusCode).toBe(400)
    const operator = await userToken(api.app, admin, { username: 'op-plugin', role: 'operator' })
    expect((await api.app.inject({ method: 'GET', url: '/api/v1/boom', headers: bearer(operator) })).statusCode).toBe(403)
  })

  it('refuses at start-up a module route that declares no roles (default deny)', async () => {
    const undeclared: FastifyPluginAsync = async (app) => {
      app.get('/open', async () => ({}))
    }
    await expect(
      buildHttpApp({
        db: api.opened.db,
        config: loadConfig({ EG_DOCS: 'false' }),
        logger: pino({ level: 'silent' }),
        metrics: createMetrics(),
        deviceAuth: api.deviceAuth,
        health: async () => ({}),
        plugins: [undeclared],
      }),
    ).rejects.toThrow(/must declare config.roles/)
  })

  it('hides internals of unexpected errors and answers unknown routes with the error shape', async () => {
    const admin = await login(api.app, 'admin', ADMIN_PASSWORD)
    const res = await api.app.inject({ method: 'GET', url: '/api/v1/boom', headers: bearer(admin) })
    expect(res.statusCode).toBe(500)
    expect(res.json()).toEqual({ error: { code: 'INTERNAL', message: 'internal error' } })
    const missing = await api.app.inject({ method: 'GET', url: '/api/v1/nothing-here' })
    expect(missing.statusCode).toBe(404)
    expect(missing.json().error.code).toBe('NOT_FOUND')
  })

  it('keeps tokens, passwords and secrets out of the logs', async () => {
    const admin = await login(api.app, 'admin', ADMIN_PASSWORD)
    await api.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'admin', password: 'wrong-password-xyz' } })
    const elder = (await api.app.inject({ method: 'POST', url: '/api/v1/elders', headers: bearer(admin), payload: { name: 'Log Test', home } })).json()
    const device = await api.app.inject({ method: 'POST', url: '/api/v1/devices', headers: bearer(admin), payload: { elderId: elder.id, kind: 'watch' } })
    await api.app.inject({
      method: 'POST',
      url: '/api/v1/police-stations',
      headers: bearer(admin),
      payload: { name: 'S', webhookUrl: 'https://s.example', secret: 'station-secret-for-log-test', format: 'json' },
    })
    const log = lines.join('')
    expect(log).toContain('"url":"/api/v1/elders"') // request logs are there
    for (const secret of [admin, ADMIN_PASSWORD, 'wrong-password-xyz', device.json().secret, 'station-secret-for-log-test']) {
      expect(log).not.toContain(secret)
    }
    expect(log.toLowerCase()).not.toContain('bearer')
  })
})
