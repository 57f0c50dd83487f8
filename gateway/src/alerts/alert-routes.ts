import type { FastifyPluginAsync } from 'fastify'
import { z } from 'zod'
import { RULE_IDS } from '../../../rules/src/index'
import { EgError } from '../errors'
import { ALL_ROLES, ADMIN, STAFF, userOf, type AuthUser } from '../http/auth'
import { idParams, pageQuery } from '../http/pagination'
import type { ZodTypeProvider } from '../http/zod-provider'
import type { Db } from '../storage/db'
import { alertStatuses, dispositions, type Alert } from './alert-model'
import { getAlert, listAlerts } from './alert-store'
import { loadAlertHistory } from './history-store'
import { riskLevels } from './levels'
import type { AlertLifecycle } from './lifecycle'
import { alertSla } from './sla-store'

/**
 * /api/v1/alerts: the board's list and detail, the lifecycle actions and the answering SLA.
 * Staff (admin, operator) act on alerts; police only read, and only red alerts of elders
 * assigned to their own station.
 */
export interface AlertRouteDeps {
  db: Db
  lifecycle: AlertLifecycle
  /** Wall clock for the SLA report's default window (tests). */
  now?: () => number
}

const alertQuery = pageQuery.extend({
  status: z.enum(alertStatuses).optional(),
  level: z.enum(riskLevels).optional(),
  elderId: z.string().max(128).optional(),
  rule: z.enum(RULE_IDS as [string, ...string[]]).optional(),
  assignee: z.string().min(1).max(128).optional(),
})

const timeValue = z
  .union([z.coerce.number().int().positive(), z.iso.datetime({ offset: true })])
  .transform((v) => (typeof v === 'number' ? v : Date.parse(v)))

const slaQuery = z
  .object({ from: timeValue.optional(), to: timeValue.optional() })
  .refine((q) => q.from === undefined || q.to === undefined || q.to > q.from, { message: 'to must be after from', path: ['to'] })

const assignBody = z.object({ userId: z.string().min(1).max(128) })
const resolveBody = z.object({ disposition: z.enum(dispositions), note: z.string().max(2000).optional() })

const SLA_DEFAULT_WINDOW_MS = 7 * 86_400_000

/** Police see only escalations (red) of elders assigned to their own station. */
function stationOf(user: AuthUser): string | undefined {
  return user.role === 'police' ? (user.policeStationId ?? '-none-') : undefined
}

export function alertRoutes(deps: AlertRouteDeps): FastifyPluginAsync {
  const now = deps.now ?? (() => Date.now())

  async function withHistory(tenantId: string, alert: Alert) {
    return { ...alert, history: await loadAlertHistory(deps.db, tenantId, alert.id) }
  }

  return async (plain) => {
    const app = plain.withTypeProvider<ZodTypeProvider>()

    app.get('/alerts', { config: { roles: ALL_ROLES }, schema: { querystring: alertQuery, tags: ['alerts'] } }, async (request) => {
      const user = userOf(request)
      const q = request.query
      const page = await listAlerts(deps.db, { tenantId: user.tenantId, ...q, policeStationId: stationOf(user) })
      return { ...page, limit: q.limit, offset: q.offset }
    })

    app.get('/alerts/sla', { config: { roles: STAFF }, schema: { querystring: slaQuery, tags: ['alerts'] } }, async (request) => {
      const to = request.query.to ?? now()
      const from = request.query.from ?? to - SLA_DEFAULT_WINDOW_MS
      if (to <= from) throw new EgError('VALIDATION_FAILED', 'to must be after from', { fields: [{ path: 'to', message: 'to must be after from' }] })
      return alertSla(deps.db, userOf(request).tenantId, from, to)
    })

    app.get('/alerts/:id', { config: { roles: ALL_ROLES }, schema: { params: idParams, tags: ['alerts'] } }, async (request) => {
      const user = userOf(request)
      const station = stationOf(user)
      const alert = await getAlert(deps.db, user.tenantId, request.params.id, station === undefined ? {} : { policeStationId: station })
      if (!alert) throw new EgError('NOT_FOUND', 'alert not found')
      return withHistory(user.tenantId, alert)
    })

    app.post('/alerts/:id/ack', { config: { roles: STAFF }, schema: { params: idParams, tags: ['alerts'] } }, async (request) => {
      const user = userOf(request)
      return withHistory(user.tenantId, await deps.lifecycle.acknowledge(user, request.params.id))
    })

    app.post('/alerts/:id/assign', { config: { roles: STAFF }, schema: { params: idParams, body: assignBody, tags: ['alerts'] } }, async (request) => {
      const user = userOf(request)
      return withHistory(user.tenantId, await deps.lifecycle.assign(user, request.params.id, request.body.userId))
    })

    app.post('/alerts/:id/resolve', { config: { roles: STAFF }, schema: { params: idParams, body: resolveBody, tags: ['alerts'] } }, async (request) => {
      const user = userOf(request)
      return withHistory(user.tenantId, await deps.lifecycle.resolve(user, request.params.id, request.body))
    })

    app.post('/alerts/:id/reopen', { config: { roles: ADMIN }, schema: { params: idParams, tags: ['alerts'] } }, async (request) => {
      const user = userOf(request)
      return withHistory(user.tenantId, await deps.lifecycle.reopen(user, request.params.id))
    })
  }
}
