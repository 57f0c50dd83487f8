import type { FastifyPluginAsync } from 'fastify'
import { z } from 'zod'
import { EgError } from '../errors'
import { ALL_ROLES, userOf, type AuthUser } from '../http/auth'
import { riskLevels } from '../../../contract/levels'
import { idParams, pageQuery } from '../http/pagination'
import { bearerErrors, page, timestamp } from '../http/schemas/responses'
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

export const noticeStatus = z.enum(['pending', 'delivered', 'failed', 'receipted'])

/** A receipt a station (or a family webhook) sent back for a notice. */
export const receiptView = z.object({
  status: z.enum(['received', 'accepted', 'closed']).nullable(),
  at: timestamp,
  caseNumber: z.string().nullable(),
  note: z.string().nullable(),
})

/** A notice with its delivery status (notice-store.ts Notice). */
export const noticeView = z.object({
  id: z.string(),
  tenantId: z.string(),
  alertId: z.string(),
  elderId: z.string(),
  audience: z.enum(['police', 'family']),
  policeStationId: z.string().nullable(),
  contactIndex: z.number().int().nullable().describe("family notices: the contact's index in the elder's contacts"),
  targetUrl: z.string(),
  format: z.enum(['json', 'cap']),
  level: z.enum(riskLevels),
  contentType: z.string(),
  status: noticeStatus,
  attempts: z.number().int(),
  nextAttemptAt: timestamp,
  deadlineAt: timestamp,
  lastError: z.string().nullable(),
  lastStatus: z.number().int().nullable().describe("the receiver's last HTTP status"),
  createdAt: timestamp,
  deliveredAt: timestamp.nullable(),
  receipt: receiptView.nullable(),
})

const listSchema = {
  operationId: 'listNotices',
  summary: 'Police and family notices with delivery status, attempts, last error and receipt (police: their station only)',
  tags: ['notices'],
  querystring: listNoticesQuery,
  response: { 200: page(noticeView), ...bearerErrors() },
}
const getSchema = {
  operationId: 'getNotice',
  summary: 'One notice with the exact body sent',
  tags: ['notices'],
  params: idParams,
  response: { 200: noticeView.extend({ body: z.string().describe('the body as sent (JSON or CAP XML)') }), ...bearerErrors('NOT_FOUND') },
}

/** Police users are confined to their station; a police account without one sees nothing. */
function stationScope(user: AuthUser): string | undefined {
  if (user.role !== 'police') return undefined
  if (user.policeStationId === null) throw new EgError('FORBIDDEN', 'police user without a station')
  return user.policeStationId
}

export function noticeRoutes(deps: { db: Queryable }): FastifyPluginAsync {
  return async (plain) => {
    const app = plain.withTypeProvider<ZodTypeProvider>()

    app.get('/notices', { config: { roles: ALL_ROLES }, schema: listSchema }, async (request) => {
      const user = userOf(request)
      const { limit, offset, ...filter } = request.query
      return listNotices(deps.db, { ...filter, tenantId: user.tenantId, policeStationId: stationScope(user) }, { limit, offset })
    })

    app.get('/notices/:id', { config: { roles: ALL_ROLES }, schema: getSchema }, async (request) => {
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
