import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decodeMessage, type DeviceChannel, type RejectReason } from '../../src/ingest/decode'
import { NOW, camera, limits, watch } from './fixtures'

/**
 * decodeMessage must be total (DESIGN §3: bad input "never crashes anything"). Random bytes only
 * reach the JSON parser, so the interesting generators build near-miss records: the real field
 * names with values of any JSON type, plausible and implausible timestamps, arrays of those.
 */
const reasons = new Set<RejectReason>(['oversize', 'not_json', 'empty', 'bad_shape', 'out_of_range', 'bad_ts', 'future_ts', 'too_many', 'bad_status'])
const channels: DeviceChannel[] = ['telemetry', 'event', 'status', 'cmd/ack']
const fieldNames = [
  'ts', 'lat', 'lon', 'acc', 'src', 'hr', 'steps', 'bat', 'worn', 'spo2', 'sys', 'dia', 'temp',
  'presence', 'persons', 'strangers', 'motion', 'type', 'id', 'status', '__proto__', 'constructor',
]

const tsValue = fc.oneof(
  fc.integer({ min: NOW - 86_400_000, max: NOW + 86_400_000 }),
  fc.double(),
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
  fc.constantFrom('2026-11-23T08:00:00+08:00', '2026-11-23', '', 'now', 1_795_392_000),
)
const fieldValue = fc.oneof(
  fc.jsonValue(),
  fc.double(),
  fc.integer({ min: -300, max: 300 }),
  fc.constantFrom('gps', 'wifi', 'lbs', 'sos', 'fall', 'delivered', 'played', true, false, null, 0),
)
const record = fc.dictionary(fc.constantFrom(...fieldNames), fieldValue, { maxKeys: 8 }).chain((fields) =>
  tsValue.map((ts) => ({ ts, ...fields })),
)
const payloadValue = fc.oneof(record, fc.array(fc.oneof(record, fc.jsonValue()), { maxLength: 120 }), fc.jsonValue())
const device = fc.constantFrom(watch, camera)
const channel = fc.constantFrom(...channels)

function checkInvariants(decoded: ReturnType<typeof decodeMessage>, elements: number | undefined): void {
  for (const r of decoded.rejections) {
    expect(reasons.has(r.reason)).toBe(true)
    expect(r.message.length).toBeGreaterThan(0)
  }
  for (const reading of decoded.readings) {
    expect(Number.isInteger(reading.ts)).toBe(true)
    expect(reading.ts).toBeLessThanOrEqual(NOW + limits.maxFutureSkewMs)
    if (reading.kind === 'watch') {
      expect(reading.deviceId).toBe(watch.deviceId)
      if (reading.hr !== undefined) expect(reading.hr >= 20 && reading.hr <= 250).toBe(true)
      if (reading.spo2 !== undefined) expect(Number.isInteger(reading.spo2) && reading.spo2 >= 50 && reading.spo2 <= 100).toBe(true)
      if (reading.temp !== undefined) expect(reading.temp >= 30 && reading.temp <= 45).toBe(true)
      if (reading.sys !== undefined && reading.dia !== undefined) expect(reading.dia).toBeLessThan(reading.sys)
      expect(reading.lat === undefined).toBe(reading.lon === undefined)
    } else {
      expect(reading.deviceId).toBe(camera.deviceId)
      if (reading.persons !== undefined && reading.strangers !== undefined) expect(reading.strangers).toBeLessThanOrEqual(reading.persons)
    }
  }
  // Every element of an accepted-size array is accounted for exactly once.
  if (elements !== undefined && elements > 0 && elements <= limits.maxBatch) {
    expect(decoded.readings.length + decoded.events.length + decoded.acks.length + decoded.rejections.length).toBe(elements)
  }
}

describe('decodeMessage is total', () => {
  it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(device, channel, fc.uint8Array({ maxLength: 600 }), (d, c, bytes) => {
        checkInvariants(decodeMessage(d, c, Buffer.from(bytes), NOW, limits), undefined)
      }),
      { numRuns: 2000 },
    )
  })

  it('never throws on arbitrary JSON and near-miss records', () => {
    fc.assert(
      fc.property(device, channel, payloadValue, (d, c, value) => {
        const decoded = decodeMessage(d, c, Buffer.from(JSON.stringify(value)), NOW, limits)
        checkInvariants(decoded, c !== 'status' && Array.isArray(value) ? value.length : undefined)
      }),
      { numRuns: 3000 },
    )
  })

  it('never throws on arbitrary text, including truncated JSON', () => {
    fc.assert(
      fc.property(device, channel, payloadValue, fc.nat(), (d, c, value, cut) => {
        const text = JSON.stringify(value)
        checkInvariants(decodeMessage(d, c, Buffer.from(text.slice(0, cut % (text.length + 1))), NOW, limits), undefined)
      }),
      { numRuns: 1000 },
    )
  })
})
