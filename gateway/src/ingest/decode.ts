import { withIndex } from './issues'
import { decodeCameraReading, decodeCommandAck, decodeDeviceEvent, decodeWatchReading, type RecordDecoder } from './records'
import type { DecodeLimits, Decoded, DeviceChannel, DeviceIdentity } from './types'

export type {
  CommandAck,
  DecodeLimits,
  Decoded,
  DeviceChannel,
  DeviceIdentity,
  RejectReason,
  Rejection,
  StatusChange,
} from './types'
export { decodeLimitsFromConfig, defaultDecodeLimits, MIN_TS } from './limits'

/**
 * Decode and validate one MQTT message from an authenticated device (DESIGN §2, the first
 * pipeline stage; §3, the payload contract). Pure and total: any bytes give a result, never an
 * exception, because bad input must be "dropped, counted by reason, and kept in a bounded
 * dead-letter store; it never crashes anything" (§3). Every output record carries the device's
 * tenant, elder and device ids; event time is epoch ms.
 */
export function decodeMessage(
  device: DeviceIdentity,
  channel: DeviceChannel,
  payload: Buffer,
  receivedAt: number,
  limits: DecodeLimits,
): Decoded {
  const out: Decoded = { readings: [], events: [], acks: [], status: null, rejections: [] }
  // Before any parsing: the size bound is what keeps one message's cost bounded.
  if (payload.length > limits.maxPayloadBytes) {
    out.rejections.push({ reason: 'oversize', message: `payload: ${payload.length} bytes, limit ${limits.maxPayloadBytes}` })
    return out
  }
  // Zero bytes is an MQTT "clear retained message", not a message with content.
  if (payload.length === 0) {
    out.rejections.push({ reason: 'empty', message: 'payload: empty' })
    return out
  }
  if (channel === 'status') {
    decodeStatus(device, payload, out)
    return out
  }
  let value: unknown
  try {
    value = JSON.parse(payload.toString('utf8'))
  } catch {
    out.rejections.push({ reason: 'not_json', message: 'payload: not JSON' })
    return out
  }
  const decodeRecord = recordDecoder(device, channel)
  if (!Array.isArray(value)) {
    decodeRecord(device, value, receivedAt, limits, out, undefined)
    return out
  }
  // A buffered upload (DESIGN §3): each element stands alone, so one bad reading does not cost
  // the good ones around it.
  if (value.length === 0) {
    out.rejections.push({ reason: 'empty', message: 'payload: empty array' })
  } else if (value.length > limits.maxBatch) {
    // All or nothing: keeping a prefix would make the device's retry re-send readings we hold.
    out.rejections.push({ reason: 'too_many', message: `payload: ${value.length} elements, limit ${limits.maxBatch}; split the upload` })
  } else {
    for (let i = 0; i < value.length; i++) decodeRecord(device, value[i], receivedAt, limits, out, i)
  }
  return out
}

function recordDecoder(device: DeviceIdentity, channel: Exclude<DeviceChannel, 'status'>): RecordDecoder {
  switch (channel) {
    case 'telemetry':
      // The identity, not the payload, says which schema applies: a device cannot pose as another kind.
      return device.kind === 'watch' ? decodeWatchReading : decodeCameraReading
    case 'event':
      return decodeDeviceEvent
    case 'cmd/ack':
      return decodeCommandAck
  }
}

const ONLINE = Buffer.from('online')
const OFFLINE = Buffer.from('offline')
const ONLINE_JSON = Buffer.from('"online"')
const OFFLINE_JSON = Buffer.from('"offline"')

/**
 * `status` is the device's will message (DESIGN §3): bare `online` / `offline`, or the same as a
 * JSON string. Compared as bytes (after trimming the newline that shell tools append) so the
 * common case neither decodes text nor parses JSON.
 */
function decodeStatus(device: DeviceIdentity, payload: Buffer, out: Decoded): void {
  let end = payload.length
  while (end > 0 && isSpace(payload[end - 1])) end--
  let start = 0
  while (start < end && isSpace(payload[start])) start++
  const word = start === 0 && end === payload.length ? payload : payload.subarray(start, end)
  if (word.equals(ONLINE) || word.equals(ONLINE_JSON)) out.status = { deviceId: device.deviceId, online: true }
  else if (word.equals(OFFLINE) || word.equals(OFFLINE_JSON)) out.status = { deviceId: device.deviceId, online: false }
  else out.rejections.push(withIndex('bad_status', 'status: expected "online" or "offline"', undefined))
}

function isSpace(byte: number | undefined): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09
}
