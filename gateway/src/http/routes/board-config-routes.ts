import type { FastifyPluginAsync } from 'fastify'
import { getTenant } from '../../registry/tenant-store.js'
import type { HttpDeps } from '../app.js'
import { ALL_ROLES, userOf } from '../auth.js'

/**
 * `GET /api/v1/board-config`: what the operator board needs to know about this installation
 * — the map tile server (null: no internet, the board draws a plain map) and the tenant's name.
 * Every signed-in role reads it; nothing in it is secret.
 */
export function boardConfigRoutes(deps: Pick<HttpDeps, 'db' | 'config'>): FastifyPluginAsync {
  return async (app) => {
    app.get('/board-config', { config: { roles: ALL_ROLES }, schema: { tags: ['board'] } }, async (request) => {
      const tenant = await getTenant(deps.db, userOf(request).tenantId)
      return {
        tileUrl: deps.config.EG_MAP_TILE_URL ?? null,
        attribution: deps.config.EG_MAP_ATTRIBUTION ?? null,
        tenantName: tenant?.name ?? '',
      }
    })
  }
}
