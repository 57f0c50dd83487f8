import { defaultDecodeLimits, type DecodeLimits, type DeviceIdentity } from '../../src/ingest/decode'

/** Fixed clock for every test: 2026-11-23T00:00:00Z. */
export const NOW = Date.UTC(2026, 10, 23)

export const watch: DeviceIdentity = { deviceId: 'w-1', tenantId: 't-1', elderId: 'e-1', kind: 'watch' }
export const camera: DeviceIdentity = { deviceId: 'c-1', tenantId: 't-1', elderId: 'e-2', kind: 'camera' }

export const limits: DecodeLimits = { ...defaultDecodeLimits, maxPayloadBytes: 4096, maxBatch: 100 }

export function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value))
}

export const watchIds = { tenantId: 't-1', elderId: 'e-1', deviceId: 'w-1' }
export const cameraIds = { tenantId: 't-1', elderId: 'e-2', deviceId: 'c-1' }
