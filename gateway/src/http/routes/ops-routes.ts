import type { FastifyPluginAsync } from 'fastify'
import type { HttpDeps } from '../app.js'

/** How long /healthz waits for `SELECT 1` before calling the database down. */
const DB_PROBE_TIMEOUT_MS = 2_000

async function databaseAnswers(deps: HttpDeps): Promise<boolean> {
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

/** Unauthenticated operational routes: liveness (DESIGN §4) and Prometheus metrics. */
export function opsRoutes(deps: HttpDeps): FastifyPluginAsync {
  return async (app) => {
    app.get('/healthz', { schema: { hide: true } }, async (request, reply) => {
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
      return { status: 'ok', database: 'ok', ...extra }
    })

    app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
      const text = await deps.metrics.registry.metrics()
      return reply.type(deps.metrics.registry.contentType).send(text)
    })
  }
}
