import type { DeviceIdentity } from '../broker/types'
import { decodeMessage, defaultDecodeLimits } from '../ingest/decode'

/**
 * Which devices are online, as their retained `eg/v1/<id>/status` says (DESIGN §3: devices
 * publish "online" and set "offline" as their will). With an external cluster the gateway does
 * not see device connections, so this is the only online signal it has. Transitions call the
 * same onConnect/onDisconnect hooks the embedded broker calls on (dis)connection.
 */
export interface Presence {
  onStatus(device: DeviceIdentity, payload: Buffer): void
  isOnline(deviceId: string): boolean
  count(): number
}

/** A status word is a few bytes; anything longer is not one. */
const STATUS_LIMITS = { ...defaultDecodeLimits, maxPayloadBytes: 64, maxFutureSkewMs: 0, maxBatch: 1 }

export function createPresence(hooks: {
  onConnect?(device: DeviceIdentity): void
  onDisconnect?(device: DeviceIdentity): void
  onChange(count: number): void
  onBadStatus(device: DeviceIdentity): void
}): Presence {
  const online = new Set<string>()
  return {
    onStatus(device, payload) {
      const { status } = decodeMessage(device, 'status', payload, Date.now(), STATUS_LIMITS)
      if (status === null) {
        hooks.onBadStatus(device)
        return
      }
      if (status.online === online.has(device.deviceId)) return
      if (status.online) online.add(device.deviceId)
      else online.delete(device.deviceId)
      hooks.onChange(online.size)
      if (status.online) hooks.onConnect?.(device)
      else hooks.onDisconnect?.(device)
    },
    isOnline: (deviceId) => online.has(deviceId),
    count: () => online.size,
  }
}
