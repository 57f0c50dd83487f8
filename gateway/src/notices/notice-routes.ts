import type { FastifyPluginAsync } from 'fastify'
import { z } from 'zod'
import { EgError } from '../errors'
import { ALL_ROLES, userOf, type AuthUser } from '../http/auth'
import { idParams, pageQuery } from '../http/pagination'
import type { ZodTypeProvider } from '../http/zod-provider'
import type { Queryable } from '../storage/db'
import { getNoticeWithBody, listNotices } from './notice-store'

/**
 * `GET /api/v1/notices?alertId=&status=&audience=&elderId=` (DESIGN §4): police and family
 * notices with delivery status, attempts, last error, receipt and case number; and
 * `GET /api/v1/notices/:id` with the exact body sent. Staff see the tenant's notices; police
 * users only their own station's police notices.
 */
export const listNoticesQuery = pageQuery.extend({
  alertId: z.string().min(1).max(128).optional(),
  elderId: z.string().min(1).max(128).optional(),
  status: z.enum(['pending', 'delivered', 'failed', 'receipted']).optional(),
  audience: z.enum(['police', 'family']).optional(),
})

/** Police users are confined to their station; a police account without one sees nothing. */
function stationScope(user: AuthUser): string | undefined {
  if (user.role !== 'police') return undefined
  if (user.policeStationId === null) throw new EgError('FORBIDDEN', 'police user without a station')
  return user.policeStationId
}

export function noticeRoutes(deps: { db: Queryable }): FastifyPluginAsync {
  return async (plain) => {
    const app = plain.withTypeProvider<ZodTypeProvider>()

    app.get('/notices', { config: { roles: ALL_ROLES }, schema: { querystring: listNoticesQuery, tags: ['notices'] } }, async (request) => {
      const user = userOf(request)
      const { limit, offset, ...filter } = request.query
      return listNotices(deps.db, { ...filter, tenantId: user.tenantId, policeStationId: stationScope(user) }, { limit, offset })
    })

    app.get('/notices/:id', { config: { roles: ALL_ROLES }, schema: { params: idParams, tags: ['notices'] } }, async (request) => {
      const user = userOf(request)
      const station = stationScope(user)
      const notice = await getNoticeWithBody(deps.db, user.tenantId, request.params.id)
      if (notice === null || (station !== undefined && (notice.audience !== 'police' || notice.policeStationId !== station))) {
        throw new EgError('NOT_FOUND', 'notice not found')
      }
      return notice
    })
  }
}
