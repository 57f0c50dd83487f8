import type { Crs } from '../geo/crs'
import type { Queryable } from '../storage/db'
import type { DeviceKind } from './types'
import { findDeviceCredentials, type DeviceCredentialRow } from './device-store'
import { verifyDeviceSecret } from './secrets'
import { createCachedLookup } from './cached-lookup'

/** Same shape as the broker's DeviceIdentity (gateway/src/broker/types.ts). */
export interface DeviceIdentity {
  deviceId: string
  tenantId: string
  elderId: string
  kind: DeviceKind
  /** What the device reports positions in (absent = wgs84): read with the login, not per message. */
  crs?: Crs
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

function identityOf(row: DeviceCredentialRow): DeviceIdentity {
  return { deviceId: row.deviceId, tenantId: row.tenantId, elderId: row.elderId, kind: row.kind, crs: row.crs }
}

export function createDeviceAuthenticator(db: Queryable, opts: DeviceAuthOptions): DeviceAuthenticator {
  // Cached rows (registry/cached-lookup.ts): one query per device id per TTL, shared by
  // concurrent connects; invalidate() drops a row at once and discards an answer in flight.
  const rows = createCachedLookup<DeviceCredentialRow>({
    find: (deviceId) => findDeviceCredentials(db, deviceId),
    ttlMs: opts.cacheTtlMs,
    ...(opts.maxEntries !== undefined ? { maxEntries: opts.maxEntries } : {}),
    ...(opts.now !== undefined ? { now: opts.now } : {}),
  })
  const lookup = (deviceId: string) => rows.lookup(deviceId)

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
      rows.forget(deviceId)
    },
  }
}
