import type { FastifyPluginAsync } from 'fastify'
import { z } from 'zod'
import { RULE_IDS } from '../../../rules/src/index'
import { EgError } from '../errors'
import type { Crs } from '../geo/crs'
import { crsParam, crsQuery, evidenceIn } from '../http/crs-edge'
import { ALL_ROLES, ADMIN, STAFF, userOf, type AuthUser } from '../http/auth'
import { idParams, pageQuery } from '../http/pagination'
import { bearerErrors, bodyErrors, timestamp } from '../http/schemas/responses'
import type { ZodTypeProvider } from '../http/zod-provider'
import type { Db } from '../storage/db'
import { alertStatuses, dispositions, type Alert } from './alert-model'
import { getAlert, listAlerts } from './alert-store'
import { loadAlertHistory } from './history-store'
import { riskLevels } from '../../../contract/levels'
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
  crs: crsParam,
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

/** An alert as the API shows it (alert-model.ts Alert). */
export const alertView = z.object({
  id: z.string(),
  tenantId: z.string(),
  elderId: z.string(),
  rule: z.string(),
  level: z.enum(riskLevels),
  status: z.enum(alertStatuses),
  count: z.number().int().describe('findings merged into this alert'),
  firstAt: timestamp,
  lastAt: timestamp,
  summary: z.string(),
  evidence: z.record(z.string(), z.unknown()),
  createdAt: timestamp.describe('when the alert reached the board: the SLA clock starts here'),
  updatedAt: timestamp,
  levelSince: timestamp.nullable().describe('rule-clock time the alert reached its current level'),
  escalatedAt: timestamp.nullable(),
  assignee: z.string().nullable(),
  acknowledgedAt: timestamp.nullable(),
  acknowledgedBy: z.string().nullable(),
  resolvedAt: timestamp.nullable(),
  resolvedBy: z.string().nullable(),
  disposition: z.enum(dispositions).nullable(),
  resolutionNote: z.string().nullable(),
  suppressedCount: z.number().int().describe('findings swallowed by the cool-down after the alert was resolved'),
})

/** An alert with its history: every transition, actor and time, oldest first (history-store.ts). */
export const alertDetailView = alertView.extend({
  history: z.array(
    z.object({
      at: timestamp,
      actor: z.string().describe("'rule-engine', 'escalation', or an operator's username"),
      action: z.string(),
      fromLevel: z.string().nullable(),
      toLevel: z.string().nullable(),
      fromStatus: z.string().nullable(),
      toStatus: z.string().nullable(),
      detail: z.unknown(),
    }),
  ),
})

const alertPage = z.object({ items: z.array(alertView), total: z.number().int(), limit: z.number().int(), offset: z.number().int() })

const slaView = z.object({
  from: timestamp,
  to: timestamp,
  levels: z.array(
    z.object({
      level: z.enum(riskLevels),
      count: z.number().int(),
      acknowledged: z.number().int(),
      timeToAcknowledge: z
        .object({ p50: z.number().nullable(), p90: z.number().nullable(), max: z.number().nullable() })
        .describe('seconds; null when nothing at this level was acknowledged'),
      acknowledgedWithin60s: z.number().nullable().describe('share of all alerts at this level; null when there were none'),
      acknowledgedWithin180s: z.number().nullable(),
    }),
  ),
})

const tags = ['alerts']
const listSchema = {
  operationId: 'listAlerts',
  summary: 'List alerts, most severe then newest first (police: red alerts of their station only)',
  tags,
  querystring: alertQuery,
  response: { 200: alertPage, ...bearerErrors() },
}
const slaSchema = {
  operationId: 'getAlertSla',
  summary: 'How fast alerts were acknowledged, per level (default the last 7 days)',
  tags,
  querystring: slaQuery,
  response: { 200: slaView, ...bearerErrors() },
}
const getSchema = { operationId: 'getAlert', summary: 'One alert with its history', tags, params: idParams, querystring: crsQuery, response: { 200: alertDetailView, ...bearerErrors('NOT_FOUND') } }
/** A lifecycle action: the alert after it; 409 when the alert is not in a state the action applies to. */
const actionResponse = { 200: alertDetailView, ...bearerErrors('NOT_FOUND', 'CONFLICT'), ...bodyErrors }
const action = { tags, params: idParams, querystring: crsQuery, response: actionResponse }
const ackSchema = { operationId: 'acknowledgeAlert', summary: 'Acknowledge an open alert', ...action }
const assignSchema = { operationId: 'assignAlert', summary: 'Assign an alert to an admin or operator', ...action, body: assignBody }
const resolveSchema = { operationId: 'resolveAlert', summary: 'Resolve an alert with a disposition', ...action, body: resolveBody }
const reopenSchema = { operationId: 'reopenAlert', summary: 'Reopen a resolved alert (admins)', ...action }

/** Police see only escalations (red) of elders assigned to their own station. */
function stationOf(user: AuthUser): string | undefined {
  return user.role === 'police' ? (user.policeStationId ?? '-none-') : undefined
}

export function alertRoutes(deps: AlertRouteDeps): FastifyPluginAsync {
  const now = deps.now ?? (() => Date.now())

  /** The alert as the API shows it: its history added, the positions in its evidence in `crs`. */
  async function withHistory(tenantId: string, alert: Alert, crs: Crs) {
    return { ...alert, evidence: evidenceIn(alert.evidence, crs), history: await loadAlertHistory(deps.db, tenantId, alert.id) }
  }

  return async (plain) => {
    const app = plain.withTypeProvider<ZodTypeProvider>()

    app.get('/alerts', { config: { roles: ALL_ROLES }, schema: listSchema }, async (request) => {
      const user = userOf(request)
      const { crs, ...q } = request.query
      const page = await listAlerts(deps.db, { tenantId: user.tenantId, ...q, policeStationId: stationOf(user) })
      return { ...page, items: page.items.map((a) => ({ ...a, evidence: evidenceIn(a.evidence, crs) })), limit: q.limit, offset: q.offset }
    })

    app.get('/alerts/sla', { config: { roles: STAFF }, schema: slaSchema }, async (request) => {
      const to = request.query.to ?? now()
      const from = request.query.from ?? to - SLA_DEFAULT_WINDOW_MS
      if (to <= from) throw new EgError('VALIDATION_FAILED', 'to must be after from', { fields: [{ path: 'to', message: 'to must be after from' }] })
      return alertSla(deps.db, userOf(request).tenantId, from, to)
    })

    app.get('/alerts/:id', { config: { roles: ALL_ROLES }, schema: getSchema }, async (request) => {
      const user = userOf(request)
      const station = stationOf(user)
      const alert = await getAlert(deps.db, user.tenantId, request.params.id, station === undefined ? {} : { policeStationId: station })
      if (!alert) throw new EgError('NOT_FOUND', 'alert not found')
      return withHistory(user.tenantId, alert, request.query.crs)
    })

    app.post('/alerts/:id/ack', { config: { roles: STAFF }, schema: ackSchema }, async (request) => {
      const user = userOf(request)
      return withHistory(user.tenantId, await deps.lifecycle.acknowledge(user, request.params.id), request.query.crs)
    })

    app.post('/alerts/:id/assign', { config: { roles: STAFF }, schema: assignSchema }, async (request) => {
      const user = userOf(request)
      return withHistory(user.tenantId, await deps.lifecycle.assign(user, request.params.id, request.body.userId), request.query.crs)
    })

    app.post('/alerts/:id/resolve', { config: { roles: STAFF }, schema: resolveSchema }, async (request) => {
      const user = userOf(request)
      return withHistory(user.tenantId, await deps.lifecycle.resolve(user, request.params.id, request.body), request.query.crs)
    })

    app.post('/alerts/:id/reopen', { config: { roles: ADMIN }, schema: reopenSchema }, async (request) => {
      const user = userOf(request)
      return withHistory(user.tenantId, await deps.lifecycle.reopen(user, request.params.id), request.query.crs)
    })
  }
}
