import type { FastifyPluginAsync } from 'fastify'
import { z } from 'zod'
import { listAudit } from '../../registry/audit-store.js'
import type { HttpDeps } from '../app.js'
import { ADMIN, userOf } from '../auth.js'
import { pageQuery } from '../pagination.js'
import type { ZodTypeProvider } from '../zod-provider.js'

/** GET /api/v1/audit-log (extension): the tenant's audit trail, newest first; admins only. */
export function auditRoutes(deps: HttpDeps): FastifyPluginAsync {
  return async (plain) => {
    const app = plain.withTypeProvider<ZodTypeProvider>()
    const query = pageQuery.extend({ target: z.string().min(1).max(128).optional() })
    app.get('/audit-log', { config: { roles: ADMIN }, schema: { querystring: query, tags: ['audit'] } }, async (request) => {
      const { target, ...page } = request.query
      return listAudit(deps.db, userOf(request).tenantId, page, { target })
    })
  }
}
