import type { FastifyPluginAsync } from 'fastify'
import { z } from 'zod'
import { getTenant } from '../../registry/tenant-store.js'
import type { HttpDeps } from '../deps.js'
import { ALL_ROLES, userOf } from '../auth.js'
import { bearerErrors } from '../schemas/responses.js'
import type { ZodTypeProvider } from '../zod-provider.js'

const boardConfigView = z.object({
  tileUrl: z.string().nullable().describe('the map tile server (EG_MAP_TILE_URL); null: no internet, a plain map'),
  attribution: z.string().nullable(),
  tenantName: z.string(),
})

const schema = {
  operationId: 'getBoardConfig',
  summary: "What the operator board needs: the map's tile server and the tenant's name",
  tags: ['board'],
  response: { 200: boardConfigView, ...bearerErrors() },
}

/**
 * `GET /api/v1/board-config`: what the operator board needs to know about this installation
 * — the map tile server (null: no internet, the board draws a plain map) and the tenant's name.
 * Every signed-in role reads it; nothing in it is secret.
 */
export function boardConfigRoutes(deps: Pick<HttpDeps, 'db' | 'config'>): FastifyPluginAsync {
  return async (plain) => {
    const app = plain.withTypeProvider<ZodTypeProvider>()
    app.get('/board-config', { config: { roles: ALL_ROLES }, schema }, async (request) => {
      const tenant = await getTenant(deps.db, userOf(request).tenantId)
      return {
        tileUrl: deps.config.EG_MAP_TILE_URL ?? null,
        attribution: deps.config.EG_MAP_ATTRIBUTION ?? null,
        tenantName: tenant?.name ?? '',
      }
    })
  }
}
