import type { FastifyInstance } from 'fastify'
import { Counter, Histogram, type Registry } from 'prom-client'

/**
 * HTTP request metrics, labelled by route pattern (not the raw URL, which would make one
 * series per elder id). Created with every other metric by metrics.ts createMetrics.
 */
export function createHttpMetrics(registry: Registry) {
  const registers = [registry]
  return {
    requests: new Counter({ name: 'eg_http_requests_total', help: 'HTTP requests by method, route pattern and status', labelNames: ['method', 'route', 'status'] as const, registers }),
    duration: new Histogram({
      name: 'eg_http_request_seconds',
      help: 'HTTP request latency by method and route pattern',
      labelNames: ['method', 'route'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
  }
}

export type HttpMetrics = ReturnType<typeof createHttpMetrics>

/** Counts every answer of `app`. */
export function registerHttpMetrics(app: FastifyInstance, metrics: HttpMetrics): void {
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched'
    metrics.requests.inc({ method: request.method, route, status: String(reply.statusCode) })
    metrics.duration.observe({ method: request.method, route }, reply.elapsedTime / 1000)
  })
}
