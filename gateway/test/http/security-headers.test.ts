import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends } from '../../../test/support/databases'
import { dashboardStatic } from '../../src/http/dashboard-static'
import { tileOrigins } from '../../src/http/security-headers'
import { ADMIN_PASSWORD, bearer, login, startApi, type Api } from './harness'

/**
 * Headers on the board and the API (@fastify/helmet): a CSP with no inline script or style and
 * no framing, nosniff, no referrer, and no-store on every /api answer — errors included.
 */
const postgres = backends.find((b) => b.name === 'postgres')!

function directives(csp: string): Map<string, string[]> {
  return new Map(
    csp
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter((parts) => parts[0] !== '')
      .map(([name, ...values]) => [name ?? '', values]),
  )
}

describe('security headers', () => {
  let api: Api
  let token: string

  beforeAll(async () => {
    const dist = await mkdtemp(path.join(tmpdir(), 'eg-board-'))
    await writeFile(path.join(dist, 'index.html'), '<!doctype html><script type="module" src="/assets/app.js"></script><div id="app"></div>')
    api = await startApi(postgres, {
      env: { EG_MAP_TILE_URL: 'https://{s}.tiles.example.org/{z}/{x}/{y}.png' },
      rootPlugins: [dashboardStatic({ root: dist })],
    })
    token = await login(api.app, 'admin', ADMIN_PASSWORD)
  })
  afterAll(() => api?.close())

  it('gives the board a strict CSP: own scripts and styles only, no framing, the tile server for images', async () => {
    const res = await api.app.inject({ method: 'GET', url: '/' })
    expect(res.statusCode).toBe(200)
    const csp = directives(String(res.headers['content-security-policy']))
    expect(csp.get('default-src')).toEqual(["'self'"])
    expect(csp.get('script-src')).toEqual(["'self'"])
    expect(csp.get('script-src-attr')).toEqual(["'none'"])
    expect(csp.get('style-src')).toEqual(["'self'"])
    expect(csp.get('connect-src')).toEqual(["'self'"])
    expect(csp.get('object-src')).toEqual(["'none'"])
    expect(csp.get('frame-ancestors')).toEqual(["'none'"])
    expect(csp.get('base-uri')).toEqual(["'self'"])
    expect(csp.get('img-src')).toEqual(["'self'", 'data:', 'https://a.tiles.example.org', 'https://b.tiles.example.org', 'https://c.tiles.example.org'])
    // A gateway on a plain-HTTP LAN address must not have its own scripts upgraded to nowhere.
    expect(csp.has('upgrade-insecure-requests')).toBe(false)
    expect(String(res.headers['content-security-policy'])).not.toContain('unsafe')
    expect(res.headers['x-content-type-options']).toBe('nosniff')
    expect(res.headers['x-frame-options']).toBe('DENY')
    expect(res.headers['referrer-policy']).toBe('no-referrer')
  })

  it('marks every /api answer no-store, errors and the login included', async () => {
    const me = await api.app.inject({ method: 'GET', url: '/api/v1/me', headers: bearer(token) })
    expect(me.statusCode).toBe(200)
    expect(me.headers['cache-control']).toBe('no-store')
    expect(me.headers['x-content-type-options']).toBe('nosniff')
    const denied = await api.app.inject({ method: 'GET', url: '/api/v1/elders' })
    expect(denied.statusCode).toBe(401)
    expect(denied.headers['cache-control']).toBe('no-store')
    const missing = await api.app.inject({ method: 'GET', url: '/api/v1/nothing-here', headers: bearer(token) })
    expect(missing.statusCode).toBe(404)
    expect(missing.headers['cache-control']).toBe('no-store')
    const loginAnswer = await api.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'admin', password: ADMIN_PASSWORD } })
    expect(loginAnswer.headers['cache-control']).toBe('no-store')
    // The board's files keep their own caching (hashed assets); /healthz gets the other headers.
    const health = await api.app.inject({ method: 'GET', url: '/healthz' })
    expect(health.headers['cache-control']).not.toBe('no-store')
    expect(health.headers['x-content-type-options']).toBe('nosniff')
  })

  it('allows inline styles on the API docs pages only (Swagger UI writes one), never inline scripts', async () => {
    const docs = await api.app.inject({ method: 'GET', url: '/docs' })
    expect(docs.statusCode).toBe(200)
    const csp = directives(String(docs.headers['content-security-policy']))
    expect(csp.get('style-src')).toEqual(["'self'", "'unsafe-inline'"])
    expect(csp.get('script-src')).toEqual(["'self'"])
    expect(csp.get('frame-ancestors')).toEqual(["'none'"])
  })

  it('derives image origins from the tile template', () => {
    expect(tileOrigins(undefined)).toEqual([])
    expect(tileOrigins('http://127.0.0.1:8081/tiles/{z}/{x}/{y}.png')).toEqual(['http://127.0.0.1:8081'])
    expect(tileOrigins('https://tiles.example.org/{z}/{x}/{y}.png?key={s}')).toEqual(['https://tiles.example.org'])
  })
})
