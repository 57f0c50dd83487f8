import type { FastifyInstance } from 'fastify'
import { Counter, Histogram } from 'prom-client'
import type { Metrics } from '../metrics.js'

/**
 * HTTP request metrics, labelled by route pattern (not the raw URL, which would make one
 * series per elder id). Registered on the gateway's registry; reused when a second app is
 * built on the same registry (tests), since prom-client refuses duplicate names.
 */
export function registerHttpMetrics(app: FastifyInstance, metrics: Metrics): void {
  const registry = metrics.registry
  const requests =
    (registry.getSingleMetric('eg_http_requests_total') as Counter<'method' | 'route' | 'status'> | undefined) ??
    new Counter({
      name: 'eg_http_requests_total',
      help: 'HTTP requests by method, route pattern and status',
      labelNames: ['method', 'route', 'status'] as const,
      registers: [registry],
    })
  const duration =
    (registry.getSingleMetric('eg_http_request_seconds') as Histogram<'method' | 'route'> | undefined) ??
    new Histogram({
      name: 'eg_http_request_seconds',
      help: 'HTTP request latency by method and route pattern',
      labelNames: ['method', 'route'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    })
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched'
    requests.inc({ method: request.method, route, status: String(reply.statusCode) })
    duration.observe({ method: request.method, route }, reply.elapsedTime / 1000)
  })
}
