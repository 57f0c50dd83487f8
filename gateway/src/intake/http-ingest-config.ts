import type { FastifyPluginAsync } from 'fastify'
import { authThrottleFromConfig, type Config } from '../config'
import { httpIngestRoutes, type HttpIngestOptions } from './http-ingest-routes'

/**
 * HTTP ingest from configuration (gateway.ts composes it; this keeps the mapping out of it):
 * the broker's limits, so a device's message is judged the same over HTTP as over MQTT — the
 * same payload limit (EG_PAYLOAD_MAX_BYTES) and the same failed-login throttle settings
 * (EG_AUTH_*, the broker's `authThrottle` block).
 */
export function httpIngestPlugin(config: Config, deps: Pick<HttpIngestOptions, 'deviceAuth' | 'intake' | 'metrics'>): FastifyPluginAsync {
  return httpIngestRoutes({
    ...deps,
    throttle: authThrottleFromConfig(config),
    maxPayloadBytes: config.EG_PAYLOAD_MAX_BYTES,
  })
}
