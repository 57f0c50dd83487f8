import type { FastifyPluginAsync } from 'fastify'
import { z } from 'zod'
import { CRS_NAMES } from '../../../../contract/crs'
import { getTenant } from '../../registry/tenant-store'
import type { HttpDeps } from '../deps'
import { ALL_ROLES, userOf } from '../auth'
import { baseMapOf } from '../base-map'
import { bearerErrors } from '../schemas/responses'
import type { ZodTypeProvider } from '../zod-provider'

export const boardConfigView = z.object({
  baseMap: z
    .enum(['pmtiles', 'tiles', 'none'])
    .describe('the base map the board draws: the PMTiles archive of EG_MAP_PMTILES, the tile server of EG_MAP_TILE_URL, or none (a plain grid)'),
  pmtilesUrl: z.string().nullable().describe('where the board reads the PMTiles archive by byte ranges (baseMap pmtiles); null otherwise'),
  tileUrl: z.string().nullable().describe('the map tile server (EG_MAP_TILE_URL) when it is the base map; null: no internet, a plain map'),
  mapCrs: z
    .enum(CRS_NAMES)
    .describe("the base map's datum (EG_MAP_CRS): the board shifts every WGS-84 position onto it before drawing, and drawn shapes back before saving"),
  attribution: z.string().nullable(),
  tenantName: z.string(),
})

const schema = {
  operationId: 'getBoardConfig',
  summary: "What the operator board needs: the map's base map and datum, and the tenant's name",
  tags: ['board'],
  response: { 200: boardConfigView, ...bearerErrors() },
}

/**
 * `GET /api/v1/board-config`: what the operator board needs to know about this installation
 * — which base map to draw (a local PMTiles archive over a tile server over none: base-map.ts),
 * the base map's datum, and the tenant's name. Every signed-in role reads it; nothing in it is
 * secret.
 */
export function boardConfigRoutes(deps: Pick<HttpDeps, 'db' | 'config'>): FastifyPluginAsync {
  const base = baseMapOf(deps.config)
  return async (plain) => {
    const app = plain.withTypeProvider<ZodTypeProvider>()
    app.get('/board-config', { config: { roles: ALL_ROLES }, schema }, async (request) => {
      const tenant = await getTenant(deps.db, userOf(request).tenantId)
      return {
        baseMap: base.kind,
        pmtilesUrl: base.kind === 'pmtiles' ? base.url : null,
        tileUrl: base.kind === 'tiles' ? base.url : null,
        mapCrs: deps.config.EG_MAP_CRS,
        attribution: deps.config.EG_MAP_ATTRIBUTION ?? null,
        tenantName: tenant?.name ?? '',
      }
    })
  }
}
