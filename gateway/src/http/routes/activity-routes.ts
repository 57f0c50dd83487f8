import type { FastifyPluginAsync } from 'fastify'
import { z } from 'zod'
import { EgError } from '../../errors'
import { elderExists } from '../../registry/elder-store'
import { MAX_REPORT_DAYS, isCalendarDate } from '../../reports/report-period'
import { MAX_ACTIVITY_RANGE_MS, alertDailyCounts, elderActivityHourly } from '../../storage/activity-queries'
import type { Db } from '../../storage/db'
import { lastPositions } from '../../storage/position-queries'
import { STAFF, userOf } from '../auth'
import { crsParam, positionIn } from '../crs-edge'
import { idParams } from '../pagination'
import { bearerErrors, timestamp } from '../schemas/responses'
import type { ZodTypeProvider } from '../zod-provider'

/**
 * The board's charts (issue 7): an elder's activity per hour and the tenant's alerts per UTC
 * day, read from the aggregates of migration 011. Staff only, like the elder registry: police
 * see the elders of their own escalations, not their daily life.
 */
const DAY_MS = 86_400_000

// Event-time convention of the MQTT contract (DESIGN §3): epoch ms or ISO-8601.
const instant = z.union([z.coerce.number().int().positive(), z.iso.datetime({ offset: true })])
const toMs = (v: number | string) => (typeof v === 'number' ? v : Date.parse(v))

const activityQuery = z
  .object({ from: instant.optional(), to: instant.optional() })
  .transform((q) => {
    const to = q.to === undefined ? Date.now() : toMs(q.to)
    return { to, from: q.from === undefined ? to - DAY_MS : toMs(q.from) }
  })
  .refine((q) => q.to > q.from, { message: 'to must be after from', path: ['to'] })
  .refine((q) => q.to - q.from <= MAX_ACTIVITY_RANGE_MS, { message: 'the range spans at most 31 days', path: ['from'] })

const calendarDate = z.string().refine(isCalendarDate, { message: 'expected a calendar date YYYY-MM-DD' })
const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10)

const dailyQuery = z
  .object({ from: calendarDate.optional(), to: calendarDate.optional() })
  // Days are UTC days, as the view buckets them: default the last 7 including today.
  .transform((q) => {
    const to = q.to ?? dayOf(Date.now())
    return { to, from: q.from ?? dayOf(Date.parse(to) - 6 * DAY_MS) }
  })
  .refine((q) => q.to >= q.from, { message: 'to must not be before from', path: ['to'] })
  .refine((q) => Date.parse(q.to) - Date.parse(q.from) < MAX_REPORT_DAYS * DAY_MS, { message: `the range spans at most ${MAX_REPORT_DAYS} days`, path: ['from'] })

/** Positions older than a week say nothing about where an elder is now. */
const MAX_POSITION_AGE_MS = 7 * DAY_MS
const positionsQuery = z
  .object({ since: instant.optional(), crs: crsParam })
  .transform((q) => ({ since: q.since === undefined ? Date.now() - DAY_MS : toMs(q.since), crs: q.crs }))
  .refine((q) => q.since >= Date.now() - MAX_POSITION_AGE_MS, { message: 'since may go back at most 7 days', path: ['since'] })

const positionsView = z.object({
  since: timestamp,
  items: z.array(
    z.object({
      elderId: z.string(),
      lat: z.number(),
      lon: z.number(),
      acc: z.number().nullable().describe('horizontal accuracy in metres, when the device sent it'),
      src: z.string().nullable(),
      ts: z.number().describe('event time, epoch ms'),
      at: timestamp,
    }),
  ),
})

const activityView = z.object({
  elderId: z.string(),
  from: timestamp,
  to: timestamp,
  hours: z.array(
    z.object({
      at: timestamp.describe('start of the hour'),
      readings: z.number(),
      steps: z.number().nullable().describe("the hour's max − min of the cumulative step counter"),
      hrMean: z.number().nullable(),
      hrMin: z.number().nullable(),
      hrMax: z.number().nullable(),
      fixes: z.number().describe('readings carrying a position'),
    }),
  ),
})

const dailyView = z.object({
  from: z.string().describe('YYYY-MM-DD'),
  to: z.string().describe('YYYY-MM-DD'),
  days: z.array(z.object({ day: z.string().describe('UTC day, YYYY-MM-DD'), rule: z.string(), level: z.string(), count: z.number() })),
})

export function activityRoutes(deps: { db: Db }): FastifyPluginAsync {
  return async (plain) => {
    const app = plain.withTypeProvider<ZodTypeProvider>()
    const config = { roles: STAFF }

    // Every elder's last fix since `since` (default 24 h): the map draws where elders are.
    const positionsSchema = {
      operationId: 'listPositions',
      summary: "Every elder's newest stored fix since `since` (default 24 h ago)",
      tags: ['elders'],
      querystring: positionsQuery,
      response: { 200: positionsView, ...bearerErrors() },
    }
    const activitySchema = {
      operationId: 'getElderActivity',
      summary: "An elder's activity per hour (default the last 24 h, at most 31 days)",
      tags: ['elders'],
      params: idParams,
      querystring: activityQuery,
      response: { 200: activityView, ...bearerErrors('NOT_FOUND') },
    }
    const dailySchema = {
      operationId: 'listAlertDailyCounts',
      summary: 'Alerts raised per UTC day, rule and level (default the last 7 days)',
      tags: ['alerts'],
      querystring: dailyQuery,
      response: { 200: dailyView, ...bearerErrors() },
    }

    app.get('/positions', { config, schema: positionsSchema }, async (request) => {
      const items = await lastPositions(deps.db, userOf(request).tenantId, request.query.since)
      const { since, crs } = request.query
      return { since: new Date(since).toISOString(), items: items.map((p) => positionIn({ ...p, at: new Date(p.ts).toISOString() }, crs)) }
    })

    app.get('/elders/:id/activity', { config, schema: activitySchema }, async (request) => {
      const tenantId = userOf(request).tenantId
      const elderId = request.params.id
      if (!(await elderExists(deps.db, tenantId, elderId))) throw new EgError('NOT_FOUND', 'elder not found')
      const { from, to } = request.query
      const hours = await elderActivityHourly(deps.db, tenantId, elderId, from, to)
      return {
        elderId,
        from: new Date(from).toISOString(),
        to: new Date(to).toISOString(),
        hours: hours.map((h) => ({
          at: new Date(h.at).toISOString(),
          readings: h.readings,
          steps: h.steps,
          hrMean: h.hrMean,
          hrMin: h.hrMin,
          hrMax: h.hrMax,
          fixes: h.fixes,
        })),
      }
    })

    app.get('/alerts/daily', { config, schema: dailySchema }, async (request) => {
      const tenantId = userOf(request).tenantId
      return { from: request.query.from, to: request.query.to, days: await alertDailyCounts(deps.db, tenantId, request.query.from, request.query.to) }
    })
  }
}
