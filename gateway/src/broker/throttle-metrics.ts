import { Counter, type Registry } from 'prom-client'

/** mqtt: device CONNECT; http: operator login; http_ingest: a vendor cloud's device Basic auth. */
export type ThrottledKind = 'mqtt' | 'http' | 'http_ingest'
/** refused: answered without checking the secret; delayed: checked after a wait. */
export type ThrottledAction = 'refused' | 'delayed'

export type ThrottledCounter = Counter<'kind' | 'scope' | 'action'>

/**
 * eg_auth_throttled_total{kind, scope, action}: login attempts the throttle held back, by
 * protocol (mqtt CONNECT, http operator login, http_ingest device Basic auth), by what was hot
 * (a pair or an address) and by what happened to them. One counter per gateway registry, shared
 * by the broker, the HTTP login and HTTP ingest (each asks here; the first creates it), so tests
 * running several gateways never collide.
 */
const counters = new WeakMap<Registry, ThrottledCounter>()

export function authThrottledCounter(registry: Registry): ThrottledCounter {
  let counter = counters.get(registry)
  if (counter === undefined) {
    counter = new Counter({
      name: 'eg_auth_throttled_total',
      help: 'Login attempts held back by the failed-login throttle, by protocol, scope (pair = one id from one address, address = all ids from one address) and action',
      labelNames: ['kind', 'scope', 'action'] as const,
      registers: [registry],
    })
    counters.set(registry, counter)
  }
  return counter
}

