import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'
import { zodSwaggerTransform } from './zod-provider.js'

/** OpenAPI document and UI at /docs, generated from the routes' zod schemas (EG_DOCS). */
export async function registerDocs(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      info: { title: 'eldergate', description: 'Operator and police API (DESIGN §4)', version: '1' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: zodSwaggerTransform,
  })
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    // Swagger UI writes one inline style: allowed on its own pages only (the board's CSP has none;
    // security-headers.ts). Its scripts are files, so script-src stays 'self'.
    transformStaticCSP: (header) => header.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'"),
  })
}
