import type { FastifyPluginAsync } from 'fastify'
import { z } from 'zod'
import { ADMIN, userOf } from '../http/auth'
import { idParams, pageQuery } from '../http/pagination'
import { bearerErrors, bodyErrors, page, timestamp } from '../http/schemas/responses'
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

/** A parked finding as the API shows it (parked-findings-store.ts ParkedFinding). */
const parkedFindingView = z.object({
  id: z.string(),
  tenantId: z.string(),
  elderId: z.string().nullable(),
  rule: z.string(),
  level: z.string(),
  dedupKey: z.string(),
  finding: z.unknown().describe('the finding as stored, or {unserialisable: true, reason, description}'),
  errorCode: z.string(),
  errorMessage: z.string(),
  attempts: z.number().int(),
  firstFailedAt: timestamp,
  parkedAt: timestamp,
  status: z.enum(parkedStatuses),
  alertId: z.string().nullable().describe('the alert a successful retry opened or updated'),
  decidedBy: z.string().nullable(),
  decidedAt: timestamp.nullable(),
})

const listSchema = {
  operationId: 'listParkedFindings',
  summary: 'Findings the database would not store as alerts, newest first (admins)',
  tags: ['alerts'],
  querystring: parkedQuery,
  response: { 200: page(parkedFindingView), ...bearerErrors() },
}
const retrySchema = {
  operationId: 'retryParkedFinding',
  summary: 'Apply a parked finding now: the alert it opened or updated (409 FINDING_STILL_FAILING while it still fails)',
  tags: ['alerts'],
  params: idParams,
  response: {
    200: z.object({ alertId: z.string().nullable(), parkedFinding: parkedFindingView }),
    ...bearerErrors('NOT_FOUND', 'PARKED_FINDING_NOT_OPEN', 'FINDING_STILL_FAILING'),
    ...bodyErrors,
  },
}
const dismissSchema = {
  operationId: 'dismissParkedFinding',
  summary: 'Dismiss a parked finding (409 PARKED_FINDING_NOT_OPEN once decided)',
  tags: ['alerts'],
  params: idParams,
  response: { 200: z.object({ parkedFinding: parkedFindingView }), ...bearerErrors('NOT_FOUND', 'PARKED_FINDING_NOT_OPEN'), ...bodyErrors },
}

export function parkedFindingRoutes(deps: ParkedRouteDeps): FastifyPluginAsync {
  return async (plain) => {
    const app = plain.withTypeProvider<ZodTypeProvider>()
    app.get('/parked-findings', { config: { roles: ADMIN }, schema: listSchema }, async (request) => {
      const { status, limit, offset } = request.query
      const page = await listParked(deps.db, userOf(request).tenantId, { status, limit, offset })
      return { ...page, limit, offset }
    })

    app.post('/parked-findings/:id/retry', { config: { roles: ADMIN }, schema: retrySchema }, async (request) => {
      return deps.detection.parkedFindings.retry(userOf(request), request.params.id)
    })

    app.post('/parked-findings/:id/dismiss', { config: { roles: ADMIN }, schema: dismissSchema }, async (request) => {
      return { parkedFinding: await deps.detection.parkedFindings.dismiss(userOf(request), request.params.id) }
    })
  }
}
