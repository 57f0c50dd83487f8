import type { FastifyPluginAsync } from 'fastify'
import { z } from 'zod'
import type { HttpDeps } from '../deps'
import { security } from '../schemas/security'
import { errorResponses } from '../schemas/responses'
import type { ZodTypeProvider } from '../zod-provider'

/** How long /healthz waits for `SELECT 1` before calling the database down. */
const DB_PROBE_TIMEOUT_MS = 2_000

async function databaseAnswers(deps: Pick<HttpDeps, 'db' | 'health' | 'metrics'>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), DB_PROBE_TIMEOUT_MS)
  })
  try {
    return await Promise.race([deps.db.query('SELECT 1').then(() => true), timeout])
  } catch {
    return false
  } finally {
    clearTimeout(timer)
  }
}

/** One reason /healthz answers 503 (health.ts; `database_down` and `health_unknown` here). */
const healthProblem = z.looseObject({ code: z.string(), message: z.string() })

/**
 * The health answer: status and database, then the gateway's details (HttpDeps.health: storage,
 * timescale, connectedDevices, writerDepth, ...), open-ended by design.
 */
const health = (status: 'ok' | 'unavailable', database: readonly ['ok'] | readonly ['ok', 'down'], description: string) =>
  z.looseObject({ status: z.literal(status), database: z.enum(database), problems: z.array(healthProblem).optional() }).meta({ description })

const healthSchema = {
  operationId: 'getHealth',
  summary: 'Health: 200 when the gateway does its job, 503 with every problem otherwise',
  tags: ['ops'],
  security: security.none,
  response: {
    200: health('ok', ['ok'], 'healthy'),
    503: health(
      'unavailable',
      ['ok', 'down'],
      'unavailable: `problems` says why (database_down, storage_behind, findings_stuck, findings_parked, tenant_failing, health_unknown)',
    ),
    ...errorResponses(['VALIDATION_FAILED', 'INTERNAL']),
  },
}

const metricsSchema = {
  operationId: 'getMetrics',
  summary: 'Prometheus metrics (text exposition format)',
  tags: ['ops'],
  security: security.none,
  response: {
    200: { description: 'the metrics', content: { 'text/plain': { schema: z.string() } } },
    ...errorResponses(['VALIDATION_FAILED', 'INTERNAL']),
  },
}

/** Unauthenticated operational routes: liveness (DESIGN §4) and Prometheus metrics. */
export function opsRoutes(deps: Pick<HttpDeps, 'db' | 'health' | 'metrics'>): FastifyPluginAsync {
  return async (plain) => {
    const app = plain.withTypeProvider<ZodTypeProvider>()
    app.get('/healthz', { schema: healthSchema }, async (request, reply) => {
      const [dbUp, extra] = await Promise.all([
        databaseAnswers(deps),
        deps.health().catch((err: unknown): Record<string, unknown> => {
          request.log.warn({ err }, 'health details failed')
          return { problems: [{ code: 'health_unknown', message: 'health details unavailable' }] }
        }),
      ])
      const problems = Array.isArray(extra.problems) ? extra.problems : []
      if (!dbUp) {
        const down = { code: 'database_down', message: `the database did not answer SELECT 1 within ${DB_PROBE_TIMEOUT_MS} ms` }
        return reply.status(503).send({ status: 'unavailable', database: 'down', ...extra, problems: [down, ...problems] })
      }
      // Degraded is unavailable: an alarm gateway whose data or alerts are stuck must say so.
      if (problems.length > 0) return reply.status(503).send({ status: 'unavailable', database: 'ok', ...extra })
      return { status: 'ok' as const, database: 'ok' as const, ...extra }
    })

    app.get('/metrics', { schema: metricsSchema }, async (_request, reply) => {
      const text = await deps.metrics.registry.metrics()
      return reply.type(deps.metrics.registry.contentType).send(text)
    })
  }
}
