import type { FastifyPluginAsync } from 'fastify'
import { z } from 'zod'
import { EgError } from '../errors'
import { STAFF, userOf } from '../http/auth'
import { crsParam, evidenceIn, positionIn } from '../http/crs-edge'
import { idParams } from '../http/pagination'
import { bearerErrors, timestamp } from '../http/schemas/responses'
import type { ZodTypeProvider } from '../http/zod-provider'
import { elderExists } from '../registry/elder-store'
import type { DeadLetterStore } from '../storage/dead-letters'
import type { Db } from '../storage/db'
import { queryEvents, queryReadings } from '../storage/telemetry-queries'

/**
 * Stored telemetry for operators (DESIGN §4 `GET /api/v1/elders/:id/telemetry?from=&to=`)
 * and the dead-letter store, so a device maker can see why a payload was dropped.
 */
const time = z.union([z.coerce.number().int().positive(), z.iso.datetime({ offset: true })])
const toMs = (v: number | string) => (typeof v === 'number' ? v : Date.parse(v))

const telemetryQuery = z
  .object({
    from: time.optional(),
    to: time.optional(),
    kind: z.enum(['watch', 'camera']).optional(),
    limit: z.coerce.number().int().min(1).max(10_000).default(1000),
    crs: crsParam,
  })
  .transform((q) => {
    const to = q.to === undefined ? Date.now() + 60_000 : toMs(q.to)
    return { ...q, to, from: q.from === undefined ? to - 86_400_000 : toMs(q.from) }
  })
  .refine((q) => q.to > q.from, { message: 'to must be after from', path: ['to'] })

const deadLetterQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  reason: z.string().max(64).optional(),
  deviceId: z.string().max(128).optional(),
})

const stored = { tenantId: z.string(), elderId: z.string(), deviceId: z.string(), ts: z.number().describe('event time, epoch ms') }

/** Stored readings (telemetry-queries.ts readingFromRow): a field the device did not send is absent. */
const readingView = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('watch'),
    ...stored,
    lat: z.number().optional(),
    lon: z.number().optional(),
    acc: z.number().optional(),
    src: z.string().optional(),
    hr: z.number().optional(),
    steps: z.number().optional(),
    bat: z.number().optional(),
    worn: z.boolean().optional(),
    spo2: z.number().optional(),
    sys: z.number().optional(),
    dia: z.number().optional(),
    temp: z.number().optional(),
  }),
  z.object({
    kind: z.literal('camera'),
    ...stored,
    presence: z.boolean().optional(),
    persons: z.number().optional(),
    strangers: z.number().optional(),
    motion: z.boolean().optional(),
  }),
])

const eventView = z.object({
  kind: z.literal('event'),
  ...stored,
  deviceKind: z.enum(['watch', 'camera']),
  type: z.string().describe('sos, fall, removed, worn, door_open, door_close, low_battery, power_off'),
  detail: z.record(z.string(), z.unknown()).optional(),
})

export const telemetryView = z.object({ elderId: z.string(), from: timestamp, to: timestamp, items: z.array(readingView), events: z.array(eventView) })

/** A dead letter (storage/dead-letters.ts): a payload the intake refused, and why. */
export const deadLetterView = z.object({
  id: z.number(),
  receivedAt: z.number().describe('epoch ms'),
  tenantId: z.string().optional(),
  deviceId: z.string().optional(),
  channel: z.string(),
  reason: z.string().describe('the reason code of eg_messages_rejected_total'),
  message: z.string(),
  payload: z.string().describe('the start of the payload as received'),
})

const telemetrySchema = {
  operationId: 'getElderTelemetry',
  summary: "An elder's stored readings (`items`) and events, oldest first (default the last 24 h)",
  tags: ['telemetry'],
  params: idParams,
  querystring: telemetryQuery,
  response: { 200: telemetryView, ...bearerErrors('NOT_FOUND') },
}
const deadLettersSchema = {
  operationId: 'listDeadLetters',
  summary: 'Payloads the intake refused, newest first',
  tags: ['devices'],
  querystring: deadLetterQuery,
  response: { 200: z.object({ items: z.array(deadLetterView) }), ...bearerErrors() },
}

export function telemetryRoutes(deps: { db: Db; deadLetters: DeadLetterStore }): FastifyPluginAsync {
  return async (plain) => {
    const app = plain.withTypeProvider<ZodTypeProvider>()
    app.get(
      '/elders/:id/telemetry',
      { config: { roles: STAFF }, schema: telemetrySchema },
      async (request) => {
        const user = userOf(request)
        const elderId = request.params.id
        if (!(await elderExists(deps.db, user.tenantId, elderId))) throw new EgError('NOT_FOUND', 'elder not found')
        const q = { tenantId: user.tenantId, elderId, from: request.query.from, to: request.query.to, limit: request.query.limit, kind: request.query.kind }
        const [readings, events] = await Promise.all([queryReadings(deps.db, q), queryEvents(deps.db, q)])
        const crs = request.query.crs
        return {
          elderId,
          from: new Date(q.from).toISOString(),
          to: new Date(q.to).toISOString(),
          items: readings.map((r) => positionIn(r, crs)),
          // An event's extra fields may carry the position the device sent with it.
          events: events.map((e) => (e.detail === undefined ? e : { ...e, detail: evidenceIn(e.detail, crs) })),
        }
      },
    )
    app.get('/dead-letters', { config: { roles: STAFF }, schema: deadLettersSchema }, async (request) => {
      const user = userOf(request)
      await deps.deadLetters.flush()
      return { items: await deps.deadLetters.list({ ...request.query, tenantId: user.tenantId }) }
    })
  }
}
