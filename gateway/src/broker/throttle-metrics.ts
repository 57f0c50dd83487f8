import { Counter, type Registry } from 'prom-client'

/** mqtt: device CONNECT; http: operator login; http_ingest: a vendor cloud's device Basic auth. */
export type ThrottledKind = 'mqtt' | 'http' | 'http_ingest'
/** refused: answered without checking the secret; delayed: checked after a wait. */
export type ThrottledAction = 'refused' | 'delayed'

/**
 * eg_auth_throttled_total{kind, scope, action}: login attempts the throttle held back, by
 * protocol (mqtt CONNECT, http operator login, http_ingest device Basic auth), by what was hot
 * (a pair or an address) and by what happened to them. One counter per gateway, shared by the
 * broker, the HTTP login and HTTP ingest; created with every other metric by metrics.ts.
 */
export function createAuthThrottledCounter(registry: Registry) {
  return new Counter({
    name: 'eg_auth_throttled_total',
    help: 'Login attempts held back by the failed-login throttle, by protocol, scope (pair = one id from one address, address = all ids from one address) and action',
    labelNames: ['kind', 'scope', 'action'] as const,
    registers: [registry],
  })
}

export type ThrottledCounter = ReturnType<typeof createAuthThrottledCounter>
