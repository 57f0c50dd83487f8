import type { FastifyPluginAsync } from 'fastify'
import { z } from 'zod'
import { EgError } from '../errors'
import { STAFF, userOf } from '../http/auth'
import { idParams } from '../http/pagination'
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

export function telemetryRoutes(deps: { db: Db; deadLetters: DeadLetterStore }): FastifyPluginAsync {
  return async (plain) => {
    const app = plain.withTypeProvider<ZodTypeProvider>()
    app.get(
      '/elders/:id/telemetry',
      { config: { roles: STAFF }, schema: { params: idParams, querystring: telemetryQuery, tags: ['telemetry'] } },
      async (request) => {
        const user = userOf(request)
        const elderId = request.params.id
        if (!(await elderExists(deps.db, user.tenantId, elderId))) throw new EgError('NOT_FOUND', 'elder not found')
        const q = { tenantId: user.tenantId, elderId, from: request.query.from, to: request.query.to, limit: request.query.limit, kind: request.query.kind }
        const [readings, events] = await Promise.all([queryReadings(deps.db, q), queryEvents(deps.db, q)])
        return { elderId, from: new Date(q.from).toISOString(), to: new Date(q.to).toISOString(), items: readings, events }
      },
    )
    app.get('/dead-letters', { config: { roles: STAFF }, schema: { querystring: deadLetterQuery, tags: ['devices'] } }, async (request) => {
      const user = userOf(request)
      await deps.deadLetters.flush()
      return { items: await deps.deadLetters.list({ ...request.query, tenantId: user.tenantId }) }
    })
  }
}
