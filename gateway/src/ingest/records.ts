import type { CameraReading, DeviceEvent, WatchReading } from '../../../rules/src/input'
import { checkDetail } from './detail'
import { detailInWgs84, placeFix } from './device-crs'
import { rejectionFromIssues, withIndex } from './issues'
import { cameraReadingSchema, commandAckSchema, deviceEventSchema, watchReadingSchema } from '../../../contract/device-payloads'
import { compileFastAcceptance, type FastAcceptance } from './schema-fast-path'
import { decodeTs } from './timestamp'
import type { DecodeLimits, Decoded, DeviceIdentity } from './types'
import type { z } from 'zod'

/**
 * One decoder per record kind (the aedes model: one handler per packet type). Each takes one
 * parsed JSON value — a single payload or one element of an array upload — and pushes either
 * the enriched record or one rejection straight into `out`, so nothing is allocated between.
 * Enrichment here is only the device identity: a reading belongs to the elder of the device
 * that sent it, whatever the payload claims.
 */
export type RecordDecoder = (
  device: DeviceIdentity,
  value: unknown,
  receivedAt: number,
  limits: DecodeLimits,
  out: Decoded,
  index: number | undefined,
) => void

/** Readings the schema accepts as they are skip zod's copy (schema-fast-path.ts); the rest are parsed by zod. */
const watchAcceptsAsIs = compileFastAcceptance(watchReadingSchema)
const cameraAcceptsAsIs = compileFastAcceptance(cameraReadingSchema)

/** The record's fields: the value itself when the schema takes it as it is, else zod's parse; undefined (rejection pushed) when zod refuses it. */
function fieldsOf<S extends z.ZodObject>(
  schema: S, acceptsAsIs: FastAcceptance | undefined, value: Record<string, unknown>, out: Decoded, index: number | undefined,
): z.output<S> | undefined {
  if (acceptsAsIs?.(value) === true) return value as z.output<S>
  const parsed = schema.safeParse(value)
  if (parsed.success) return parsed.data
  out.rejections.push(rejectionFromIssues(parsed.error, value, index))
  return undefined
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

export const decodeWatchReading: RecordDecoder = (device, value, receivedAt, limits, out, index) => {
  if (!isRecord(value)) return void out.rejections.push(withIndex('bad_shape', 'expected a reading object', index))
  const ts = decodeTs(value.ts, receivedAt, limits.maxFutureSkewMs)
  if (typeof ts !== 'number') return void out.rejections.push(index === undefined ? ts : { ...ts, index })
  // Cheap watches report 0 for a measurement they did not take — hr while off the wrist, the
  // health readings until the wearer runs one: that is "no reading", not a bad one.
  // The parsed object is ours alone (fresh from JSON.parse), so editing it copies nothing.
  if (value.hr === 0) value.hr = undefined
  if (value.spo2 === 0) value.spo2 = undefined
  if (value.sys === 0) value.sys = undefined
  if (value.dia === 0) value.dia = undefined
  if (value.temp === 0) value.temp = undefined
  const f = fieldsOf(watchReadingSchema, watchAcceptsAsIs, value, out, index)
  if (f === undefined) return
  // A fix is a point: one coordinate alone cannot be placed against a venue.
  if ((f.lat == null) !== (f.lon == null)) {
    return void out.rejections.push(withIndex('bad_shape', f.lat == null ? 'lat: required with lon' : 'lon: required with lat', index))
  }
  // The diastolic pressure is the lower one by definition; a pair the other way round is swapped
  // or garbled fields, and guessing which would store a wrong reading. One alone is fine (some
  // watches send only the systolic).
  if (f.sys != null && f.dia != null && f.dia >= f.sys) {
    return void out.rejections.push(withIndex('out_of_range', 'dia: must be < sys', index))
  }
  const reading: WatchReading = { kind: 'watch', tenantId: device.tenantId, elderId: device.elderId, deviceId: device.deviceId, ts }
  let fields = 0
  if (f.lat != null && f.lon != null) {
    // Validated as the device sent it (ranges hold in any datum), stored in WGS-84.
    placeFix(reading, f.lat, f.lon, device.crs)
    fields++
  }
  if (f.acc != null) {
    reading.acc = f.acc
    fields++
  }
  if (f.src != null) {
    reading.src = f.src
    fields++
  }
  if (f.hr != null) {
    reading.hr = f.hr
    fields++
  }
  if (f.steps != null) {
    reading.steps = f.steps
    fields++
  }
  if (f.bat != null) {
    reading.bat = f.bat
    fields++
  }
  if (f.worn != null) {
    reading.worn = f.worn
    fields++
  }
  if (f.spo2 != null) {
    reading.spo2 = f.spo2
    fields++
  }
  if (f.sys != null) {
    reading.sys = f.sys
    fields++
  }
  if (f.dia != null) {
    reading.dia = f.dia
    fields++
  }
  if (f.temp != null) {
    reading.temp = f.temp
    fields++
  }
  if (fields === 0) {
    return void out.rejections.push(withIndex('empty', 'no watch fields (lat/lon, acc, src, hr, steps, bat, worn, spo2, sys, dia, temp)', index))
  }
  out.readings.push(reading)
}

export const decodeCameraReading: RecordDecoder = (device, value, receivedAt, limits, out, index) => {
  if (!isRecord(value)) return void out.rejections.push(withIndex('bad_shape', 'expected a reading object', index))
  const ts = decodeTs(value.ts, receivedAt, limits.maxFutureSkewMs)
  if (typeof ts !== 'number') return void out.rejections.push(index === undefined ? ts : { ...ts, index })
  const f = fieldsOf(cameraReadingSchema, cameraAcceptsAsIs, value, out, index)
  if (f === undefined) return
  // Strangers are a subset of the people in view.
  if (f.strangers != null && f.persons != null && f.strangers > f.persons) {
    return void out.rejections.push(withIndex('out_of_range', 'strangers: must be ≤ persons', index))
  }
  const reading: CameraReading = { kind: 'camera', tenantId: device.tenantId, elderId: device.elderId, deviceId: device.deviceId, ts }
  let fields = 0
  if (f.presence != null) {
    reading.presence = f.presence
    fields++
  }
  if (f.persons != null) {
    reading.persons = f.persons
    fields++
  }
  if (f.strangers != null) {
    reading.strangers = f.strangers
    fields++
  }
  if (f.motion != null) {
    reading.motion = f.motion
    fields++
  }
  if (fields === 0) return void out.rejections.push(withIndex('empty', 'no camera fields (presence, persons, strangers, motion)', index))
  out.readings.push(reading)
}

export const decodeDeviceEvent: RecordDecoder = (device, value, receivedAt, limits, out, index) => {
  if (!isRecord(value)) return void out.rejections.push(withIndex('bad_shape', 'expected an event object', index))
  const ts = decodeTs(value.ts, receivedAt, limits.maxFutureSkewMs)
  if (typeof ts !== 'number') return void out.rejections.push(index === undefined ? ts : { ...ts, index })
  const parsed = deviceEventSchema.safeParse(value)
  if (!parsed.success) return void out.rejections.push(rejectionFromIssues(parsed.error, value, index))
  const event: DeviceEvent = {
    kind: 'event',
    tenantId: device.tenantId,
    elderId: device.elderId,
    deviceId: device.deviceId,
    ts,
    deviceKind: device.kind,
    type: parsed.data.type,
  }
  // The extra fields are evidence (DESIGN §3 event `...`). Rest-spread defines own properties,
  // so a device-sent "__proto__" key stays a plain key instead of re-parenting the object.
  const { ts: _ts, type: _type, ...detail } = value
  for (const _key in detail) {
    const verdict = checkDetail(detail, limits, index)
    if (verdict.ok) {
      detailInWgs84(detail, device.crs)
      event.detail = detail
    } else {
      event.detail = verdict.note
      out.rejections.push(verdict.rejection)
    }
    break
  }
  out.events.push(event)
}

export const decodeCommandAck: RecordDecoder = (device, value, receivedAt, limits, out, index) => {
  if (!isRecord(value)) return void out.rejections.push(withIndex('bad_shape', 'expected an acknowledgement object', index))
  const ts = decodeTs(value.ts, receivedAt, limits.maxFutureSkewMs)
  if (typeof ts !== 'number') return void out.rejections.push(index === undefined ? ts : { ...ts, index })
  const parsed = commandAckSchema.safeParse(value)
  if (!parsed.success) return void out.rejections.push(rejectionFromIssues(parsed.error, value, index))
  out.acks.push({
    tenantId: device.tenantId,
    elderId: device.elderId,
    deviceId: device.deviceId,
    commandId: parsed.data.id,
    status: parsed.data.status,
    ts,
  })
}
