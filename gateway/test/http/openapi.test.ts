import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import SwaggerParser from '@apidevtools/swagger-parser'
import type { RouteOptions } from 'fastify'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { startTestGateway, type TestGateway } from '../../../test/support/gateway'
import { solidPng, tilesCovering, writePmtiles } from '../../../test/support/pmtiles-writer'
import { errorCatalogue, type ErrorCode } from '../../src/errors'

/**
 * The OpenAPI document at /docs/json as a contract (issue 14, item 5): the real gateway's, with
 * every optional route plugin on (broker auth backends, HTTP ingest), validated by a real
 * validator, and held to what a client needs of every operation — a 2xx response schema, an
 * operationId, a summary, a tag, the security it really has — and to the error catalogue.
 * Under test every answer is also checked against its route's schemas (http/zod-provider.ts).
 */

/** Every route the HTTP app registers, recorded as fastify creates it (the app builds its own instance). */
const registered = vi.hoisted(() => [] as Array<Pick<RouteOptions, 'method' | 'url' | 'schema'>>)
vi.mock('fastify', async (importOriginal) => {
  const real = await importOriginal<typeof import('fastify')>()
  const create = ((opts?: Parameters<typeof real.default>[0]) => {
    const app = real.default(opts)
    app.addHook('onRoute', (route) => {
      registered.push({ method: route.method, url: route.url, schema: route.schema })
    })
    return app
  }) as unknown as typeof real.default
  return { ...real, default: create, fastify: create }
})

type Json = Record<string, unknown>
interface Operation {
  operationId?: string
  summary?: string
  tags?: string[]
  security?: Array<Record<string, string[]>>
  responses: Record<string, Json>
}

const METHODS = ['get', 'put', 'post', 'patch', 'delete'] as const

/** Routes that stay out of the document: the board's files, its base-map archive and the document itself. */
const UNDOCUMENTED = [/^\/docs(\/|$)/, /^\/$/, /^\/\*$/, /^\/map\/tiles\.pmtiles$/]

/** The security each route must declare; everything else under /api/v1 takes the bearer token. */
function expectedSecurity(method: string, path: string): string[][] {
  if (path === '/healthz' || path === '/metrics' || (method === 'post' && path === '/api/v1/auth/login')) return []
  if (method === 'post' && path === '/api/v1/notices/{id}/receipt') return [['noticeSignature']]
  if (path.startsWith('/api/v1/broker/')) return [['brokerSecret'], ['brokerSecretBasic'], ['brokerSecretQuery']]
  if (path.startsWith('/api/v1/ingest/')) return [['deviceBasic']]
  if (method === 'get' && path === '/api/v1/stream') return [['bearer'], ['bearerQuery']]
  return [['bearer']]
}

/** fastify's own request errors keep their status with this code (http/error-handler.ts). */
const FASTIFY_REQUEST_STATUSES: Partial<Record<ErrorCode, number[]>> = { VALIDATION_FAILED: [413, 415] }

describe('the OpenAPI document', () => {
  let gw: TestGateway
  let doc: Json & { paths: Record<string, Partial<Record<(typeof METHODS)[number], Operation>>>; components: Json; security?: Operation['security'] }
  const operations: Array<{ method: string; path: string; op: Operation }> = []

  beforeAll(async () => {
    // The offline base map's route too (EG_MAP_PMTILES): a file like the board's, kept out of the document.
    const dir = await mkdtemp(path.join(tmpdir(), 'eg-openapi-'))
    const bounds: [number, number, number, number] = [121.46, 31.22, 121.48, 31.24]
    await writeFile(path.join(dir, 'base.pmtiles'), writePmtiles(tilesCovering(bounds, 12).map((t) => ({ ...t, data: solidPng([0, 0, 0], 8) })), { bounds }))
    gw = await startTestGateway({ storage: 'pglite', env: { EG_BROKER_AUTH_SECRET: 'openapi-test-broker-secret', EG_MAP_PMTILES: path.join(dir, 'base.pmtiles') } })
    const res = await fetch(`http://127.0.0.1:${gw.gateway.httpPort}/docs/json`)
    expect(res.status).toBe(200)
    doc = (await res.json()) as typeof doc
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const method of METHODS) {
        const op = item[method]
        if (op !== undefined) operations.push({ method, path, op })
      }
    }
  })

  afterAll(async () => {
    await gw?.stop()
  })

  it('is a valid OpenAPI 3 document (@apidevtools/swagger-parser)', async () => {
    expect(String(doc.openapi)).toMatch(/^3\./)
    // validate() dereferences in place: give it a copy.
    await expect(SwaggerParser.validate(structuredClone(doc) as never)).resolves.toBeDefined()
    expect(doc.servers).toEqual([expect.objectContaining({ url: expect.any(String) })])
  })

  it('documents every route the gateway serves, /healthz and /metrics included', () => {
    const documented = new Set(operations.map(({ method, path }) => `${method.toUpperCase()} ${path}`))
    const missing: string[] = []
    for (const route of registered) {
      const methods = (Array.isArray(route.method) ? route.method : [route.method]).filter((m) => m !== 'HEAD' && m !== 'OPTIONS')
      if (UNDOCUMENTED.some((re) => re.test(route.url ?? ''))) continue
      const docs = (route.schema as { docs?: { url?: string } } | undefined)?.docs
      const path = (docs?.url ?? route.url ?? '').replace(/:([A-Za-z0-9_]+)/g, '{$1}')
      for (const method of methods) if (!documented.has(`${method} ${path}`)) missing.push(`${method} ${route.url}`)
    }
    expect(registered.length).toBeGreaterThan(50)
    expect(missing).toEqual([])
    expect(registered.some((r) => r.url === '/map/tiles.pmtiles')).toBe(true)
    expect(documented).toContain('GET /healthz')
    expect(documented).toContain('GET /metrics')
  })

  it('gives every operation a 2xx response schema, an operationId, a summary and a tag', () => {
    const problems: string[] = []
    const ids = new Map<string, string>()
    for (const { method, path, op } of operations) {
      const name = `${method.toUpperCase()} ${path}`
      const ok = Object.entries(op.responses).filter(([status]) => /^2/.test(status))
      const described = ok.filter(([status, r]) => {
        const content = r.content as Record<string, { schema?: unknown }> | undefined
        return status === '204' ? content === undefined : content !== undefined && Object.values(content).every((m) => m.schema !== undefined)
      })
      if (ok.length === 0 || described.length !== ok.length) problems.push(`${name}: no 2xx response schema`)
      if (Object.values(op.responses).some((r) => r.description === 'Default Response')) problems.push(`${name}: an undescribed ("Default Response") response`)
      if (!op.operationId) problems.push(`${name}: no operationId`)
      else if (ids.has(op.operationId)) problems.push(`${name}: operationId ${op.operationId} also on ${ids.get(op.operationId)}`)
      else ids.set(op.operationId, name)
      if (!op.summary) problems.push(`${name}: no summary`)
      if (!op.tags?.length) problems.push(`${name}: no tag`)
    }
    expect(problems).toEqual([])
  })

  it('declares the security each route really has', () => {
    const schemes = doc.components.securitySchemes as Record<string, Json>
    expect(schemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' })
    expect(schemes.noticeSignature).toMatchObject({ type: 'apiKey', in: 'header', name: 'X-Eldergate-Signature' })
    expect(schemes.brokerSecret).toMatchObject({ type: 'apiKey', in: 'header', name: 'X-Eldergate-Broker-Secret' })
    expect(schemes.brokerSecretBasic).toMatchObject({ type: 'http', scheme: 'basic' })
    expect(schemes.brokerSecretQuery).toMatchObject({ type: 'apiKey', in: 'query', name: 'secret' })
    expect(schemes.deviceBasic).toMatchObject({ type: 'http', scheme: 'basic' })
    expect(doc.security).toEqual([{ bearer: [] }])
    const wrong: string[] = []
    for (const { method, path, op } of operations) {
      const effective = (op.security ?? doc.security ?? []).map((requirement) => Object.keys(requirement).sort())
      const expected = expectedSecurity(method, path)
      if (JSON.stringify(effective) !== JSON.stringify(expected)) {
        wrong.push(`${method.toUpperCase()} ${path}: ${JSON.stringify(effective)}, expected ${JSON.stringify(expected)}`)
      }
    }
    expect(wrong).toEqual([])
  })

  it('answers each error status with the error body and only catalogue codes of that status', () => {
    const responses = doc.components.responses as Record<string, Json>
    const resolve = (r: Json): Json => (typeof r.$ref === 'string' ? (responses[r.$ref.replace('#/components/responses/', '')] ?? {}) : r)
    const problems: string[] = []
    for (const { method, path, op } of operations) {
      for (const [status, ref] of Object.entries(op.responses)) {
        if (Number(status) < 400) continue
        const response = resolve(ref)
        const schema = (response.content as Record<string, { schema?: Json }> | undefined)?.['application/json']?.schema
        const codes = ((schema?.properties as Json | undefined)?.error as { properties?: { code?: { enum?: string[] } } } | undefined)?.properties?.code?.enum
        // /healthz's 503 and mosquitto-go-auth's 403 are answers of their own, not errors.
        if (codes === undefined) {
          if (!(path === '/healthz' && status === '503') && !(path.startsWith('/api/v1/broker/mosquitto/') && status === '403')) {
            problems.push(`${method.toUpperCase()} ${path} ${status}: not the error body`)
          }
          continue
        }
        for (const code of codes) {
          const entry = errorCatalogue[code as ErrorCode] as { status: number } | undefined
          const allowed = entry === undefined ? [] : [entry.status, ...(FASTIFY_REQUEST_STATUSES[code as ErrorCode] ?? [])]
          if (!allowed.includes(Number(status))) problems.push(`${method.toUpperCase()} ${path} ${status}: ${code} (catalogue: ${entry?.status ?? 'none'})`)
        }
      }
      // Every API route can be refused (401/403) or fail (500, 503): they say so.
      if (path.startsWith('/api/v1/') && expectedSecurity(method, path)[0]?.[0] === 'bearer') {
        for (const status of ['400', '401', '403', '500', '503']) {
          if (op.responses[status] === undefined) problems.push(`${method.toUpperCase()} ${path}: no ${status}`)
        }
      }
    }
    expect(problems).toEqual([])
  })
})
