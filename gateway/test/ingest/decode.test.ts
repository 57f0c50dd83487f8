import { describe, expect, it } from 'vitest'
import { decodeMessage, type DeviceChannel, type DeviceIdentity, type RejectReason } from '../../src/ingest/decode'
import { NOW, camera, cameraIds, json, limits, watch, watchIds } from './fixtures'

const ts = NOW - 60_000

describe('decodeMessage: accepted readings', () => {
  const cases: Array<{ name: string; device: DeviceIdentity; payload: unknown; expected: object }> = [
    {
      name: 'full watch reading',
      device: watch,
      payload: { ts, lat: 31.2, lon: 121.5, acc: 12, src: 'gps', hr: 72, steps: 1200, bat: 88, worn: true },
      expected: { kind: 'watch', ...watchIds, ts, lat: 31.2, lon: 121.5, acc: 12, src: 'gps', hr: 72, steps: 1200, bat: 88, worn: true },
    },
    { name: 'watch, heart rate only', device: watch, payload: { ts, hr: 20 }, expected: { kind: 'watch', ...watchIds, ts, hr: 20 } },
    {
      name: 'watch health readings',
      device: watch,
      payload: { ts, hr: 76, spo2: 97, sys: 128, dia: 82, temp: 36.6 },
      expected: { kind: 'watch', ...watchIds, ts, hr: 76, spo2: 97, sys: 128, dia: 82, temp: 36.6 },
    },
    {
      name: 'health range edges',
      device: watch,
      payload: { ts, spo2: 50, sys: 260, dia: 200, temp: 45 },
      expected: { kind: 'watch', ...watchIds, ts, spo2: 50, sys: 260, dia: 200, temp: 45 },
    },
    { name: 'health lower edges', device: watch, payload: { ts, spo2: 100, sys: 50, dia: 30, temp: 30 }, expected: { kind: 'watch', ...watchIds, ts, spo2: 100, sys: 50, dia: 30, temp: 30 } },
    { name: 'systolic alone', device: watch, payload: { ts, sys: 141 }, expected: { kind: 'watch', ...watchIds, ts, sys: 141 } },
    { name: 'diastolic alone', device: watch, payload: { ts, dia: 95 }, expected: { kind: 'watch', ...watchIds, ts, dia: 95 } },
    { name: 'temperature with two decimals kept', device: watch, payload: { ts, temp: 37.25 }, expected: { kind: 'watch', ...watchIds, ts, temp: 37.25 } },
    {
      name: 'health 0 (not measured) is absent',
      device: watch,
      payload: { ts, hr: 70, spo2: 0, sys: 0, dia: 0, temp: 0 },
      expected: { kind: 'watch', ...watchIds, ts, hr: 70 },
    },
    { name: 'null health fields are absent', device: watch, payload: { ts, spo2: null, sys: null, dia: null, temp: null, bat: 60 }, expected: { kind: 'watch', ...watchIds, ts, bat: 60 } },
    { name: 'watch range edges', device: watch, payload: { ts, lat: -90, lon: 180, acc: 0, bat: 100, steps: 0 }, expected: { kind: 'watch', ...watchIds, ts, lat: -90, lon: 180, acc: 0, bat: 100, steps: 0 } },
    { name: 'hr 0 from an unworn watch is absent', device: watch, payload: { ts, hr: 0, worn: false, bat: 40 }, expected: { kind: 'watch', ...watchIds, ts, worn: false, bat: 40 } },
    { name: 'null fields are absent', device: watch, payload: { ts, lat: null, lon: null, hr: 80 }, expected: { kind: 'watch', ...watchIds, ts, hr: 80 } },
    {
      name: 'unknown fields ignored',
      device: watch,
      payload: { ts, hr: 70, fw: '1.2.3', rssi: -70, elderId: 'someone-else', deviceId: 'spoofed', kind: 'camera' },
      expected: { kind: 'watch', ...watchIds, ts, hr: 70 },
    },
    {
      name: 'camera reading',
      device: camera,
      payload: { ts, presence: true, persons: 3, strangers: 2, motion: false },
      expected: { kind: 'camera', ...cameraIds, ts, presence: true, persons: 3, strangers: 2, motion: false },
    },
    { name: 'camera strangers without persons', device: camera, payload: { ts, strangers: 1 }, expected: { kind: 'camera', ...cameraIds, ts, strangers: 1 } },
    { name: 'ISO ts with offset', device: watch, payload: { ts: '2026-11-23T08:00:00+08:00', bat: 50 }, expected: { kind: 'watch', ...watchIds, ts: Date.UTC(2026, 10, 23), bat: 50 } },
    { name: 'ISO ts Z with ms', device: watch, payload: { ts: '2026-11-22T23:59:00.250Z', bat: 50 }, expected: { kind: 'watch', ...watchIds, ts: Date.UTC(2026, 10, 22, 23, 59, 0, 250), bat: 50 } },
    { name: 'fractional epoch ms floored', device: watch, payload: { ts: ts + 0.75, bat: 50 }, expected: { kind: 'watch', ...watchIds, ts, bat: 50 } },
    { name: 'ts within future skew', device: watch, payload: { ts: NOW + limits.maxFutureSkewMs, bat: 50 }, expected: { kind: 'watch', ...watchIds, ts: NOW + limits.maxFutureSkewMs, bat: 50 } },
  ]
  it.each(cases)('$name', ({ device, payload, expected }) => {
    const decoded = decodeMessage(device, 'telemetry', json(payload), NOW, limits)
    expect(decoded.rejections).toEqual([])
    expect(decoded.readings).toStrictEqual([expected])
    expect(decoded.events).toEqual([])
    expect(decoded.acks).toEqual([])
    expect(decoded.status).toBeNull()
  })
})

describe('decodeMessage: rejections', () => {
  const cases: Array<{ name: string; device?: DeviceIdentity; channel?: DeviceChannel; payload: Buffer; reason: RejectReason; message?: RegExp }> = [
    { name: 'oversize', payload: Buffer.alloc(limits.maxPayloadBytes + 1, 0x20), reason: 'oversize', message: /limit 4096/ },
    { name: 'oversize even for status', channel: 'status', payload: Buffer.alloc(limits.maxPayloadBytes + 1, 0x20), reason: 'oversize' },
    { name: 'not JSON', payload: Buffer.from('{"ts":1,'), reason: 'not_json' },
    { name: 'binary garbage', payload: Buffer.from([0xff, 0x00, 0x13]), reason: 'not_json' },
    { name: 'zero-byte payload', payload: Buffer.alloc(0), reason: 'empty' },
    { name: 'empty array', payload: json([]), reason: 'empty' },
    { name: 'object with only ts', payload: json({ ts }), reason: 'empty', message: /no watch fields/ },
    { name: 'only hr 0', payload: json({ ts, hr: 0 }), reason: 'empty' },
    { name: 'camera identity, watch fields', device: camera, payload: json({ ts, hr: 70, lat: 1, lon: 2 }), reason: 'empty', message: /no camera fields/ },
    { name: '{} (no ts)', payload: json({}), reason: 'bad_shape', message: /^ts: required/ },
    { name: 'top-level number', payload: json(42), reason: 'bad_shape' },
    { name: 'top-level null', payload: json(null), reason: 'bad_shape' },
    { name: 'hr as string', payload: json({ ts, hr: '72' }), reason: 'bad_shape', message: /^hr: expected number, got string$/ },
    { name: 'worn as 1', payload: json({ ts, worn: 1 }), reason: 'bad_shape', message: /^worn:/ },
    { name: 'lat without lon', payload: json({ ts, lat: 31.2 }), reason: 'bad_shape', message: /^lon: required with lat$/ },
    { name: 'lon without lat', payload: json({ ts, lon: 121.5, hr: 70 }), reason: 'bad_shape', message: /^lat: required with lon$/ },
    { name: 'ts as boolean', payload: json({ ts: true, hr: 70 }), reason: 'bad_shape', message: /^ts:/ },
    { name: 'hr too high', payload: json({ ts, hr: 251 }), reason: 'out_of_range', message: /^hr: must be ≤ 250$/ },
    { name: 'hr too low (not 0)', payload: json({ ts, hr: 5 }), reason: 'out_of_range', message: /^hr: must be ≥ 20$/ },
    { name: 'lat beyond pole', payload: json({ ts, lat: 90.5, lon: 0 }), reason: 'out_of_range', message: /^lat:/ },
    { name: 'lon beyond 180', payload: json({ ts, lat: 0, lon: -181 }), reason: 'out_of_range', message: /^lon:/ },
    { name: 'acc negative', payload: json({ ts, acc: -1 }), reason: 'out_of_range', message: /^acc: must be ≥ 0$/ },
    { name: 'acc beyond 50 km', payload: json({ ts, acc: 50_001 }), reason: 'out_of_range' },
    { name: 'src unknown', payload: json({ ts, src: 'satellite' }), reason: 'out_of_range', message: /^src: must be one of gps\|wifi\|lbs$/ },
    { name: 'steps fractional', payload: json({ ts, steps: 10.5 }), reason: 'out_of_range', message: /^steps: must be an integer$/ },
    { name: 'steps negative', payload: json({ ts, steps: -3 }), reason: 'out_of_range' },
    { name: 'bat over 100', payload: json({ ts, bat: 101 }), reason: 'out_of_range', message: /^bat: must be ≤ 100$/ },
    { name: 'spo2 over 100', payload: json({ ts, hr: 70, spo2: 101 }), reason: 'out_of_range', message: /^spo2: must be ≤ 100$/ },
    { name: 'spo2 under 50', payload: json({ ts, spo2: 49 }), reason: 'out_of_range', message: /^spo2: must be ≥ 50$/ },
    { name: 'spo2 fractional', payload: json({ ts, spo2: 97.5 }), reason: 'out_of_range', message: /^spo2: must be an integer$/ },
    { name: 'spo2 as string', payload: json({ ts, spo2: '97' }), reason: 'bad_shape', message: /^spo2: expected number, got string$/ },
    { name: 'sys over 260', payload: json({ ts, sys: 261 }), reason: 'out_of_range', message: /^sys: must be ≤ 260$/ },
    { name: 'sys under 50', payload: json({ ts, sys: 49, dia: 30 }), reason: 'out_of_range', message: /^sys: must be ≥ 50$/ },
    { name: 'dia over 200', payload: json({ ts, dia: 201 }), reason: 'out_of_range', message: /^dia: must be ≤ 200$/ },
    { name: 'dia under 30', payload: json({ ts, dia: 29 }), reason: 'out_of_range', message: /^dia: must be ≥ 30$/ },
    { name: 'dia fractional', payload: json({ ts, dia: 80.5 }), reason: 'out_of_range', message: /^dia: must be an integer$/ },
    { name: 'dia above sys (swapped)', payload: json({ ts, hr: 70, sys: 80, dia: 125 }), reason: 'out_of_range', message: /^dia: must be < sys$/ },
    { name: 'dia equal to sys', payload: json({ ts, sys: 90, dia: 90 }), reason: 'out_of_range', message: /^dia: must be < sys$/ },
    { name: 'temp over 45', payload: json({ ts, temp: 45.1 }), reason: 'out_of_range', message: /^temp: must be ≤ 45$/ },
    { name: 'temp under 30', payload: json({ ts, temp: 29.9 }), reason: 'out_of_range', message: /^temp: must be ≥ 30$/ },
    { name: 'temp in Fahrenheit', payload: json({ ts, temp: 98.6 }), reason: 'out_of_range', message: /^temp: must be ≤ 45$/ },
    { name: 'only health zeros', payload: json({ ts, spo2: 0, sys: 0, dia: 0, temp: 0 }), reason: 'empty', message: /spo2, sys, dia, temp\)$/ },
    { name: 'number overflowing to Infinity', payload: Buffer.from(`{"ts":${ts},"bat":1e400}`), reason: 'out_of_range', message: /^bat: must be finite$/ },
    { name: 'camera persons over 50', device: camera, payload: json({ ts, persons: 51 }), reason: 'out_of_range' },
    { name: 'camera strangers > persons', device: camera, payload: json({ ts, persons: 1, strangers: 2 }), reason: 'out_of_range', message: /^strangers: must be ≤ persons$/ },
    { name: 'camera persons fractional', device: camera, payload: json({ ts, persons: 1.5 }), reason: 'out_of_range' },
    { name: 'camera presence as string', device: camera, payload: json({ ts, presence: 'yes' }), reason: 'bad_shape' },
    { name: 'ts epoch seconds', payload: json({ ts: 1_795_392_000, hr: 70 }), reason: 'bad_ts', message: /milliseconds expected/ },
    { name: 'ts before 2015', payload: json({ ts: Date.UTC(2014, 11, 31), hr: 70 }), reason: 'bad_ts', message: /2015/ },
    { name: 'ts zero (clock never set)', payload: json({ ts: 0, hr: 70 }), reason: 'bad_ts' },
    { name: 'ts ISO without zone', payload: json({ ts: '2026-11-23T08:00:00', hr: 70 }), reason: 'bad_ts', message: /zone/ },
    { name: 'ts free-form date', payload: json({ ts: 'Nov 23 2026', hr: 70 }), reason: 'bad_ts' },
    { name: 'ts impossible date', payload: json({ ts: '2026-02-30T08:00:00Z', hr: 70 }), reason: 'bad_ts' },
    { name: 'ts future', payload: json({ ts: NOW + limits.maxFutureSkewMs + 1, hr: 70 }), reason: 'future_ts', message: /ahead/ },
    { name: 'ts future ISO', payload: json({ ts: '2026-11-24T00:00:00Z', hr: 70 }), reason: 'future_ts' },
    { name: 'ts microseconds', payload: json({ ts: ts * 1000, hr: 70 }), reason: 'future_ts' },
    { name: 'array over maxBatch', payload: json(Array.from({ length: limits.maxBatch + 1 }, () => ({ ts, hr: 70 }))), reason: 'too_many', message: /split/ },
    { name: 'status garbage', channel: 'status', payload: Buffer.from('maybe'), reason: 'bad_status' },
    { name: 'status as object', channel: 'status', payload: json({ online: true }), reason: 'bad_status' },
    { name: 'status wrong case', channel: 'status', payload: Buffer.from('ONLINE'), reason: 'bad_status' },
    { name: 'event type unknown', channel: 'event', payload: json({ ts, type: 'heartbeat' }), reason: 'out_of_range', message: /^type: must be one of sos\|/ },
    { name: 'event type missing', channel: 'event', payload: json({ ts }), reason: 'bad_shape', message: /^type: required$/ },
    { name: 'event as string', channel: 'event', payload: json('sos'), reason: 'bad_shape' },
    { name: 'event not JSON', channel: 'event', payload: Buffer.from('sos'), reason: 'not_json' },
    { name: 'ack status unknown', channel: 'cmd/ack', payload: json({ id: 'c1', status: 'heard', ts }), reason: 'out_of_range' },
    { name: 'ack id missing', channel: 'cmd/ack', payload: json({ status: 'played', ts }), reason: 'bad_shape', message: /^id: required$/ },
    { name: 'ack id too long', channel: 'cmd/ack', payload: json({ id: 'x'.repeat(129), status: 'played', ts }), reason: 'out_of_range', message: /^id: at most 128 characters$/ },
    { name: 'ack ts in seconds', channel: 'cmd/ack', payload: json({ id: 'c1', status: 'played', ts: 1_795_392_000 }), reason: 'bad_ts' },
  ]
  it.each(cases)('$name → $reason', ({ device = watch, channel = 'telemetry', payload, reason, message }) => {
    const decoded = decodeMessage(device, channel, payload, NOW, limits)
    expect(decoded.readings).toEqual([])
    expect(decoded.events).toEqual([])
    expect(decoded.acks).toEqual([])
    expect(decoded.status).toBeNull()
    expect(decoded.rejections).toHaveLength(1)
    const [rejection] = decoded.rejections
    expect(rejection?.reason).toBe(reason)
    expect(rejection?.index).toBeUndefined()
    if (message) expect(rejection?.message).toMatch(message)
  })

  it('covers every reject reason', () => {
    const covered = new Set(cases.map((c) => c.reason))
    const all: RejectReason[] = ['oversize', 'not_json', 'empty', 'bad_shape', 'out_of_range', 'bad_ts', 'future_ts', 'too_many', 'bad_status']
    expect([...covered].sort()).toEqual([...all].sort())
  })
})

describe('decodeMessage: array uploads', () => {
  it('keeps good elements and rejects bad ones by index', () => {
    const payload = json([
      { ts, hr: 70 },
      { ts, hr: 400 },
      'junk',
      { ts: '2026-11-22T23:00:00Z', lat: 31.2, lon: 121.5, src: 'wifi' },
      { ts: 1_795_392_000, bat: 50 },
      { ts: ts + 1, hr: 0, steps: 10 },
      { ts },
    ])
    const decoded = decodeMessage(watch, 'telemetry', payload, NOW, limits)
    expect(decoded.readings).toStrictEqual([
      { kind: 'watch', ...watchIds, ts, hr: 70 },
      { kind: 'watch', ...watchIds, ts: Date.UTC(2026, 10, 22, 23), lat: 31.2, lon: 121.5, src: 'wifi' },
      { kind: 'watch', ...watchIds, ts: ts + 1, steps: 10 },
    ])
    expect(decoded.rejections.map((r) => [r.index, r.reason])).toEqual([
      [1, 'out_of_range'],
      [2, 'bad_shape'],
      [4, 'bad_ts'],
      [6, 'empty'],
    ])
  })

  it('accepts exactly maxBatch elements', () => {
    const payload = json(Array.from({ length: limits.maxBatch }, (_, i) => ({ ts: ts + i, steps: i })))
    const decoded = decodeMessage(watch, 'telemetry', payload, NOW, limits)
    expect(decoded.rejections).toEqual([])
    expect(decoded.readings).toHaveLength(limits.maxBatch)
    expect(decoded.readings[99]).toStrictEqual({ kind: 'watch', ...watchIds, ts: ts + 99, steps: 99 })
  })

  it('keeps nothing from an upload over maxBatch', () => {
    const payload = json(Array.from({ length: limits.maxBatch + 1 }, () => ({ ts, hr: 70 })))
    const decoded = decodeMessage(watch, 'telemetry', payload, NOW, limits)
    expect(decoded.readings).toEqual([])
    expect(decoded.rejections).toEqual([{ reason: 'too_many', message: expect.stringContaining('101 elements') }])
  })

  it('rejects nested arrays element by element', () => {
    const decoded = decodeMessage(camera, 'telemetry', json([[{ ts, motion: true }], { ts, motion: true }]), NOW, limits)
    expect(decoded.readings).toStrictEqual([{ kind: 'camera', ...cameraIds, ts, motion: true }])
    expect(decoded.rejections).toEqual([{ reason: 'bad_shape', message: 'expected a reading object', index: 0 }])
  })

  it('decodes event arrays', () => {
    const decoded = decodeMessage(watch, 'event', json([{ ts, type: 'fall' }, { ts, type: 'nap' }]), NOW, limits)
    expect(decoded.events.map((e) => e.type)).toEqual(['fall'])
    expect(decoded.rejections.map((r) => r.index)).toEqual([1])
  })
})

describe('decodeMessage: events', () => {
  it('copies identity, takes deviceKind from the identity and keeps extra fields as detail', () => {
    const decoded = decodeMessage(watch, 'event', json({ ts: '2026-11-22T23:30:00+00:00', type: 'sos', lat: 31.2, lon: 121.5, button: 'side' }), NOW, limits)
    expect(decoded.rejections).toEqual([])
    expect(decoded.events).toStrictEqual([
      {
        kind: 'event',
        ...watchIds,
        ts: Date.UTC(2026, 10, 22, 23, 30),
        deviceKind: 'watch',
        type: 'sos',
        detail: { lat: 31.2, lon: 121.5, button: 'side' },
      },
    ])
  })

  it('omits detail when the event has no extra fields', () => {
    const decoded = decodeMessage(camera, 'event', json({ ts, type: 'door_open' }), NOW, limits)
    expect(decoded.events).toStrictEqual([{ kind: 'event', ...cameraIds, ts, deviceKind: 'camera', type: 'door_open' }])
  })

  it('keeps a "__proto__" key as plain detail without re-parenting anything', () => {
    const decoded = decodeMessage(watch, 'event', Buffer.from(`{"ts":${ts},"type":"fall","__proto__":{"polluted":true}}`), NOW, limits)
    const detail = decoded.events[0]?.detail
    expect(detail && Object.getPrototypeOf(detail)).toBe(Object.prototype)
    expect(detail && Object.keys(detail)).toEqual(['__proto__'])
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })
})

describe('decodeMessage: command acks', () => {
  it.each(['delivered', 'played', 'failed'] as const)('status %s', (status) => {
    const decoded = decodeMessage(watch, 'cmd/ack', json({ id: 'cmd-42', status, ts, extra: 1 }), NOW, limits)
    expect(decoded.rejections).toEqual([])
    expect(decoded.acks).toStrictEqual([{ ...watchIds, commandId: 'cmd-42', status, ts }])
  })
})

describe('decodeMessage: status', () => {
  const cases: Array<[string, string, boolean]> = [
    ['bare online', 'online', true],
    ['bare offline', 'offline', false],
    ['JSON string online', '"online"', true],
    ['JSON string offline', '"offline"', false],
    ['trailing newline from shell tools', 'online\n', true],
  ]
  it.each(cases)('%s', (_name, text, online) => {
    const decoded = decodeMessage(camera, 'status', Buffer.from(text), NOW, limits)
    expect(decoded.rejections).toEqual([])
    expect(decoded.status).toStrictEqual({ deviceId: 'c-1', online })
  })
})
