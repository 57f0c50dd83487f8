import type { Queryable } from '../storage/db.js'
import type { DeviceKind } from './types.js'
import { findDeviceCredentials, type DeviceCredentialRow } from './device-store.js'
import { verifyDeviceSecret } from './secrets.js'

/** Same shape as the broker's DeviceIdentity (gateway/src/broker/types.ts). */
export interface DeviceIdentity {
  deviceId: string
  tenantId: string
  elderId: string
  kind: DeviceKind
}

export interface DeviceAuthenticator {
  /** The device's identity when the secret matches; null for an unknown device or a wrong secret. */
  verifyDevice(deviceId: string, secret: string): Promise<DeviceIdentity | null>
  /**
   * The identity of a registered device, without a secret (external-broker mode: the MQTT
   * cluster authenticated the device already; the gateway only needs tenant and elder).
   */
  lookupDevice(deviceId: string): Promise<DeviceIdentity | null>
  /** Drops the cached row so a rotated or deleted device's old secret stops working at once. */
  invalidate(deviceId: string): void
}

export interface DeviceAuthOptions {
  /**
   * How long a device row (hash + identity) is reused. A reconnect storm of thousands of
   * watches then costs one query per device per TTL, not one per CONNECT. Rotation and
   * deletion through this process call invalidate(); other gateway workers see the change
   * within the TTL, so keep it short (seconds).
   */
  cacheTtlMs: number
  /** Bound on cached rows, so connects with random ids cannot grow memory without limit. */
  maxEntries?: number
  /** Injected clock (tests). */
  now?: () => number
}

/** DESIGN §3: a device id becomes an MQTT topic level; anything else cannot be a device. */
export const DEVICE_ID_PATTERN = /^[A-Za-z0-9_-]{3,64}$/

interface CacheEntry {
  /** null caches "no such device" too: a storm of unknown ids must not reach the DB either. */
  row: DeviceCredentialRow | null
  expiresAt: number
}

function identityOf(row: DeviceCredentialRow): DeviceIdentity {
  return { deviceId: row.deviceId, tenantId: row.tenantId, elderId: row.elderId, kind: row.kind }
}

export function createDeviceAuthenticator(db: Queryable, opts: DeviceAuthOptions): DeviceAuthenticator {
  const now = opts.now ?? Date.now
  const maxEntries = opts.maxEntries ?? 100_000
  const cache = new Map<string, CacheEntry>()
  // One DB lookup per device id at a time: a flapping device reconnecting in a loop, or the
  // same id tried by many clients, shares the in-flight query.
  const inflight = new Map<string, Promise<DeviceCredentialRow | null>>()

  // Queries that were in flight when their device was invalidated (weak: nothing to clean up).
  const invalidatedDuring = new WeakSet<Promise<DeviceCredentialRow | null>>()

  function remember(deviceId: string, row: DeviceCredentialRow | null): void {
    if (cache.size >= maxEntries) {
      const t = now()
      for (const [key, entry] of cache) if (entry.expiresAt <= t) cache.delete(key)
      // Still full of live entries: start over rather than grow (a miss only costs a query).
      if (cache.size >= maxEntries) cache.clear()
    }
    cache.set(deviceId, { row, expiresAt: now() + opts.cacheTtlMs })
  }

  async function lookup(deviceId: string): Promise<DeviceCredentialRow | null> {
    const cached = cache.get(deviceId)
    if (cached !== undefined && cached.expiresAt > now()) return cached.row
    const pending = inflight.get(deviceId)
    if (pending !== undefined) return pending
    const query = findDeviceCredentials(db, deviceId)
    inflight.set(deviceId, query)
    let row: DeviceCredentialRow | null
    try {
      row = await query
    } finally {
      if (inflight.get(deviceId) === query) inflight.delete(deviceId)
    }
    // Not cached if invalidate() ran while the query was in flight: its result may predate a
    // rotation, and caching it would revive the old secret for a whole TTL.
    if (!invalidatedDuring.has(query)) remember(deviceId, row)
    return row
  }

  return {
    async verifyDevice(deviceId, secret) {
      if (!DEVICE_ID_PATTERN.test(deviceId) || secret.length === 0 || secret.length > 256) return null
      const row = await lookup(deviceId)
      if (row === null || !verifyDeviceSecret(secret, row.secretHash)) return null
      return identityOf(row)
    },
    async lookupDevice(deviceId) {
      if (!DEVICE_ID_PATTERN.test(deviceId)) return null
      const row = await lookup(deviceId)
      return row === null ? null : identityOf(row)
    },
    invalidate(deviceId) {
      cache.delete(deviceId)
      const pending = inflight.get(deviceId)
      if (pending !== undefined) {
        invalidatedDuring.add(pending)
        inflight.delete(deviceId)
      }
    },
  }
}
