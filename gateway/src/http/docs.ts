import swagger, { type SwaggerTransformObject } from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'
import type { Config } from '../config'
import { securitySchemes } from './schemas/security'
import { zodSwaggerTransform } from './zod-provider'

const tags = [
  { name: 'auth', description: 'Login, logout, the caller' },
  { name: 'users', description: 'Users of the tenant (admins)' },
  { name: 'tenants', description: 'Tenants (admins of the first tenant)' },
  { name: 'elders', description: 'The elder registry, positions and activity' },
  { name: 'devices', description: 'Watches and cameras, their secrets and dead letters' },
  { name: 'venues', description: 'Venues and the candidates crowd detection proposes' },
  { name: 'police stations', description: 'Police stations notices go to' },
  { name: 'alerts', description: 'Alerts, their lifecycle, SLA, parked findings and the live stream' },
  { name: 'rules', description: 'The rule configuration and backtests' },
  { name: 'reports', description: 'Alert reports' },
  { name: 'telemetry', description: 'Stored readings and events' },
  { name: 'voice', description: 'Voice prompts to devices' },
  { name: 'notices', description: 'Police and family notices and their receipts' },
  { name: 'audit', description: 'The audit trail' },
  { name: 'board', description: "The operator board's settings" },
  { name: 'ingest', description: 'Device messages from vendor clouds (HTTP Basic)' },
  { name: 'broker', description: "An external MQTT cluster's auth backends" },
  { name: 'ops', description: 'Health and metrics' },
]

type JsonObject = Record<string, unknown>
type ErrorResponseJson = { content?: Record<string, { schema?: { properties?: { error?: { properties?: Record<string, { enum?: string[] }> } } } }> }

const pascal = (code: string) => code.toLowerCase().replace(/(^|_)([a-z])/g, (_m, _sep: string, c: string) => c.toUpperCase())

/**
 * Error responses are the same few bodies on every route: each distinct one goes to
 * components.responses once (named after its status and codes, e.g. `Error404NotFound`) and
 * the operations refer to it.
 */
export const hoistErrorResponses: SwaggerTransformObject = (document) => {
  if (!('openapiObject' in document)) return document.swaggerObject
  const doc = document.openapiObject as JsonObject & { paths?: Record<string, Record<string, { responses?: Record<string, unknown> }>>; components?: JsonObject }
  const shared: Record<string, unknown> = {}
  const nameOf = new Map<string, string>()
  for (const operations of Object.values(doc.paths ?? {})) {
    for (const operation of Object.values(operations)) {
      for (const [status, response] of Object.entries(operation.responses ?? {})) {
        if (Number(status) < 400 || response === null || typeof response !== 'object') continue
        const error = (response as ErrorResponseJson).content?.['application/json']?.schema?.properties?.error?.properties
        // Error bodies only: /healthz's 503 and a broker's 403 are answers of their own.
        if (error === undefined) continue
        const key = JSON.stringify(response)
        let name = nameOf.get(key)
        if (name === undefined) {
          // HTTP ingest's bodies carry `details` (the rejected elements): named apart.
          const base = `${'details' in error ? 'IngestError' : 'Error'}${status}${(error.code?.enum ?? []).map(pascal).join('Or')}`
          name = base
          for (let n = 2; name in shared; n++) name = `${base}${n}`
          shared[name] = response
          nameOf.set(key, name)
        }
        operation.responses![status] = { $ref: `#/components/responses/${name}` }
      }
    }
  }
  doc.components = { ...doc.components, responses: { ...(doc.components?.responses as JsonObject | undefined), ...shared } }
  return document.openapiObject
}

/** OpenAPI document and UI at /docs, generated from the routes' zod schemas (EG_DOCS). */
export async function registerDocs(app: FastifyInstance, config: Pick<Config, 'EG_PUBLIC_URL'>): Promise<void> {
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'eldergate',
        description: 'Operator and police API (DESIGN §4)',
        version: '1',
        license: { name: 'Apache-2.0', url: 'https://www.apache.org/licenses/LICENSE-2.0' },
      },
      // Paths are absolute (/api/v1/..., /healthz): the server is the gateway's root.
      servers: [{ url: config.EG_PUBLIC_URL ?? '/', description: 'this gateway' }],
      components: { securitySchemes },
      security: [{ bearer: [] }],
      tags,
    },
    stripBasePath: false,
    transform: zodSwaggerTransform,
    transformObject: hoistErrorResponses,
  })
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    // Swagger UI writes one inline style: allowed on its own pages only (the board's CSP has none;
    // security-headers.ts). Its scripts are files, so script-src stays 'self'.
    transformStaticCSP: (header) => header.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'"),
  })
}
