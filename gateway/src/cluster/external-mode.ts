import type { FastifyPluginAsync } from 'fastify'
import type { ExternalBrokerOptions } from '../broker-external/index'
import { createClusterAccess } from '../broker-external/cluster-access'
import type { Config } from '../config'
import { listTenantIds } from '../detection/engine-store'
import { brokerAuthRoutes } from '../http/routes/broker-auth-routes'
import type { DeviceAuthenticator } from '../registry/device-auth'
import type { ClusterDetectionOptions } from './index'

/**
 * EG_BROKER=external, from configuration to components (gateway.ts composes them; this file
 * keeps the mapping out of it).
 */

/**
 * How long the cluster keeps a worker's session (with the QoS 1 messages routed to it) after
 * its connection drops. Only worth it for a worker that comes back under the same client id
 * (EG_WORKER_ID): then a restart or a network blip loses nothing. A random per-process id never
 * comes back, and brokers keep routing shared-subscription messages to an offline session
 * (Mosquitto does: half of them with two workers, measured), so such a session must end with
 * its connection — the live workers then get everything. A graceful shutdown ends the session
 * either way (DISCONNECT with expiry 0).
 */
const STABLE_SESSION_EXPIRY_S = 300
/** Venues, elders and rule config changed through another worker's API reach the rule worker within this. */
const REFRESH_MS = 10_000

export function externalBrokerOptions(
  config: Config,
  deps: Pick<ExternalBrokerOptions, 'logger' | 'metrics' | 'workerId' | 'lookupDevice'>,
): ExternalBrokerOptions {
  return {
    ...deps,
    url: config.EG_MQTT_URL ?? '',
    username: config.EG_MQTT_USERNAME,
    password: config.EG_MQTT_PASSWORD,
    shareGroup: config.EG_SHARE_GROUP,
    sessionExpirySec: config.EG_WORKER_ID === undefined ? 0 : STABLE_SESSION_EXPIRY_S,
  }
}

export function clusterOptions(
  config: Config,
  deps: Pick<ClusterDetectionOptions, 'db' | 'detection' | 'logger' | 'workerId' | 'flushOwnWrites' | 'owned'>,
): ClusterDetectionOptions {
  return {
    ...deps,
    leaseTtlMs: config.EG_LEASE_TTL_MS,
    pollMs: config.EG_FEED_POLL_MS,
    refreshMs: REFRESH_MS,
    tenants: () => listTenantIds(deps.db),
  }
}

/** The cluster's auth backend endpoints, when EG_BROKER_AUTH_SECRET is set (else they do not exist). */
export function brokerAuthPlugins(config: Config, deviceAuth: Pick<DeviceAuthenticator, 'verifyDevice' | 'lookupDevice'>): FastifyPluginAsync[] {
  if (config.EG_BROKER_AUTH_SECRET === undefined) return []
  const worker =
    config.EG_MQTT_USERNAME !== undefined && config.EG_MQTT_PASSWORD !== undefined
      ? { username: config.EG_MQTT_USERNAME, password: config.EG_MQTT_PASSWORD }
      : undefined
  const access = createClusterAccess({
    verifyDevice: (id, secret) => deviceAuth.verifyDevice(id, secret),
    lookupDevice: (id) => deviceAuth.lookupDevice(id),
    worker,
  })
  return [brokerAuthRoutes({ access, secret: config.EG_BROKER_AUTH_SECRET })]
}
