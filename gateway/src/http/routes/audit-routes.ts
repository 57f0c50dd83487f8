import type { FastifyPluginAsync } from 'fastify'
import { z } from 'zod'
import { listAudit } from '../../registry/audit-store'
import type { HttpDeps } from '../deps'
import { ADMIN, userOf } from '../auth'
import { pageQuery } from '../pagination'
import { bearerErrors, page, timestamp } from '../schemas/responses'
import type { ZodTypeProvider } from '../zod-provider'

/** One audit row (audit-store.ts AuditRecord): who did what to which record, when. */
const auditRecord = z.object({
  id: z.union([z.number(), z.string()]).describe('increasing with time'),
  tenantId: z.string().nullable(),
  actor: z.string().describe('the acting username, or `system`'),
  action: z.string().describe('`<thing>.<verb>`, e.g. `elder.create`'),
  target: z.string().nullable(),
  detail: z.record(z.string(), z.unknown()).nullable(),
  at: timestamp,
})

/** GET /api/v1/audit-log (extension): the tenant's audit trail, newest first; admins only. */
export function auditRoutes(deps: Pick<HttpDeps, 'db'>): FastifyPluginAsync {
  return async (plain) => {
    const app = plain.withTypeProvider<ZodTypeProvider>()
    const query = pageQuery.extend({ target: z.string().min(1).max(128).optional() })
    const schema = {
      operationId: 'listAuditLog',
      summary: "The tenant's audit trail, newest first",
      tags: ['audit'],
      querystring: query,
      response: { 200: page(auditRecord), ...bearerErrors() },
    }
    app.get('/audit-log', { config: { roles: ADMIN }, schema }, async (request) => {
      const { target, ...page } = request.query
      return listAudit(deps.db, userOf(request).tenantId, page, { target })
    })
  }
}
