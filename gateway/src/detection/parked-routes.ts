import type { FastifyPluginAsync } from 'fastify'
import { z } from 'zod'
import { ADMIN, userOf } from '../http/auth'
import { idParams, pageQuery } from '../http/pagination'
import type { ZodTypeProvider } from '../http/zod-provider'
import type { Db } from '../storage/db'
import { listParked, parkedStatuses } from './parked-findings-store'
import type { DetectionRuntime } from './runtime'

/**
 * /api/v1/parked-findings (admins): findings the rule engine produced but the database would
 * not store as alerts (finding-delivery.ts). An admin sees why, retries one once the cause is
 * fixed (→ the alert it opened or updated; 409 FINDING_STILL_FAILING with the error while it
 * still fails) or dismisses it. Both actions are audited (`parked_finding.retry`,
 * `parked_finding.dismiss`). Tenant-scoped like every route: an admin sees only the own tenant's.
 */
export interface ParkedRouteDeps {
  db: Db
  detection: Pick<DetectionRuntime, 'parkedFindings'>
}

const parkedQuery = pageQuery.extend({ status: z.enum(parkedStatuses).optional() })

export function parkedFindingRoutes(deps: ParkedRouteDeps): FastifyPluginAsync {
  return async (plain) => {
    const app = plain.withTypeProvider<ZodTypeProvider>()
    const tags = ['alerts']

    app.get('/parked-findings', { config: { roles: ADMIN }, schema: { querystring: parkedQuery, tags } }, async (request) => {
      const { status, limit, offset } = request.query
      const page = await listParked(deps.db, userOf(request).tenantId, { status, limit, offset })
      return { ...page, limit, offset }
    })

    app.post('/parked-findings/:id/retry', { config: { roles: ADMIN }, schema: { params: idParams, tags } }, async (request) => {
      return deps.detection.parkedFindings.retry(userOf(request), request.params.id)
    })

    app.post('/parked-findings/:id/dismiss', { config: { roles: ADMIN }, schema: { params: idParams, tags } }, async (request) => {
      return { parkedFinding: await deps.detection.parkedFindings.dismiss(userOf(request), request.params.id) }
    })
  }
}
