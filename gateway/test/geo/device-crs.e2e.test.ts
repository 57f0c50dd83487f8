import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connectDevice, startTestGateway, waitFor, type TestGateway } from '../../../test/support/gateway'
import { fixContent, frame, WatchClient } from '../../../test/support/watch-client'
import { fromWgs84, type Crs } from '../../src/geo/crs'

/**
 * DESIGN §4: a device registered with `crs` reports positions in it; the intake converts them
 * to WGS-84 before storage and the rules, whichever way they come in — MQTT, HTTP ingest, the
 * watch port — and answers give them back in `?crs=`.
 */
interface Reading {
  deviceId: string
  ts: number
  lat?: number
  lon?: number
}
interface Event {
  deviceId: string
  type: string
  detail?: { lat?: number; lon?: number }
}
interface Point {
  lat: number
  lon: number
}

/** Where the elder really is (WGS-84): Luoyang, Henan. */
const WGS: Point = { lat: 34.61, lon: 112.42 }
const GCJ = fromWgs84(WGS.lat, WGS.lon, 'gcj02')
const BD = fromWgs84(WGS.lat, WGS.lon, 'bd09')

function metres(a: Point, b: Point): number {
  return Math.hypot((a.lat - b.lat) * 111_320, (a.lon - b.lon) * 111_320 * Math.cos((b.lat * Math.PI) / 180))
}

describe('device crs: positions converted at intake', () => {
  let t: TestGateway
  const elders: Record<string, string> = {}

  beforeAll(async () => {
    t = await startTestGateway({ env: { EG_WATCH_PORT: '0' } })
    for (const name of ['mqtt-gcj', 'mqtt-wgs', 'ingest-bd', 'watch-gcj', 'watch-wgs']) {
      elders[name] = (await t.api.request<{ id: string }>('POST', '/api/v1/elders', { name, home: { lat: 34.7, lon: 112.5 } })).id
    }
  })
  afterAll(async () => {
    await t?.stop()
    await t?.drop()
  })

  const device = (elder: string, extra: object) => t.api.request<{ id: string; secret?: string; crs: Crs }>('POST', '/api/v1/devices', { elderId: elders[elder], kind: 'watch', ...extra })
  const telemetry = async (elder: string, crs = 'wgs84') =>
    t.api.request<{ items: Reading[]; events: Event[] }>('GET', `/api/v1/elders/${elders[elder]}/telemetry?from=${Date.now() - 3_600_000}&crs=${crs}`)
  const storedFix = (elder: string) =>
    waitFor(async () => (await telemetry(elder)).items.find((r) => r.lat !== undefined) as (Reading & Point) | undefined, { what: `a stored fix of ${elder}` })

  it('converts the GCJ-02 fixes and event positions of an MQTT device, and answers them back in ?crs=', async () => {
    const tracker = await device('mqtt-gcj', { crs: 'gcj02' })
    expect(tracker.crs).toBe('gcj02')
    const client = await connectDevice(t.mqttUrl, tracker.id, tracker.secret!)
    const ts = Date.now() - 120_000
    await client.publishAsync(`eg/v1/${tracker.id}/telemetry`, JSON.stringify({ ts, ...GCJ, acc: 10, src: 'gps' }), { qos: 1 })
    await client.publishAsync(`eg/v1/${tracker.id}/event`, JSON.stringify({ ts: ts + 1000, type: 'sos', ...GCJ }), { qos: 1 })
    await client.endAsync()

    // Stored (and evaluated) in WGS-84: where the elder really is, not 500 m off.
    const fix = await storedFix('mqtt-gcj')
    expect(metres(fix, WGS)).toBeLessThan(0.5)
    expect(metres(GCJ, WGS)).toBeGreaterThan(300)
    const event = (await telemetry('mqtt-gcj')).events.find((e) => e.type === 'sos')!
    expect(metres(event.detail as Point, WGS)).toBeLessThan(0.5)

    // Asked in GCJ-02, the answers give the device's own numbers back.
    const asGcj = await telemetry('mqtt-gcj', 'gcj02')
    expect(metres(asGcj.items.find((r) => r.lat !== undefined) as Point, GCJ)).toBeLessThan(0.5)
    expect(metres(asGcj.events[0]!.detail as Point, GCJ)).toBeLessThan(0.5)
    const positions = await t.api.request<{ items: Array<Point & { elderId: string }> }>('GET', '/api/v1/positions?crs=gcj02')
    expect(metres(positions.items.find((p) => p.elderId === elders['mqtt-gcj'])!, GCJ)).toBeLessThan(0.5)
    const wgsPositions = await t.api.request<{ items: Array<Point & { elderId: string }> }>('GET', '/api/v1/positions')
    expect(metres(wgsPositions.items.find((p) => p.elderId === elders['mqtt-gcj'])!, WGS)).toBeLessThan(0.5)

    // The SOS alert's evidence (the last fix the rules saw) is WGS-84, and in ?crs= when asked.
    type Alert = { id: string; rule: string; evidence: { location: Point | null } }
    const sos = await waitFor(
      async () => (await t.api.request<{ items: Alert[] }>('GET', `/api/v1/alerts?elderId=${elders['mqtt-gcj']}`)).items.find((a) => a.rule === 'safety.sos'),
      { what: 'the SOS alert' },
    )
    expect(metres(sos.evidence.location!, WGS)).toBeLessThan(0.5)
    const listed = await t.api.request<{ items: Alert[] }>('GET', `/api/v1/alerts?elderId=${elders['mqtt-gcj']}&crs=gcj02`)
    expect(metres(listed.items[0]!.evidence.location!, GCJ)).toBeLessThan(0.5)
    const one = await t.api.request<Alert>('GET', `/api/v1/alerts/${sos.id}?crs=bd09`)
    expect(metres(one.evidence.location!, BD)).toBeLessThan(0.5)
  })

  it('answers crowd-detected venue candidates in ?crs=', async () => {
    // As crowd detection writes one (detection/candidate-store.ts): WGS-84, like everything stored.
    await t.gateway.db.query(
      `INSERT INTO venue_candidates (id, tenant_id, place_key, lat, lon, radius_m, days, elder_ids, evidence, first_at, last_at)
       VALUES ('cand-1', $1, 'place-1', $2, $3, 80, '[]'::jsonb, '[]'::jsonb, $4::jsonb, now(), now())`,
      [t.gateway.tenantId, WGS.lat, WGS.lon, JSON.stringify({ centre: WGS })],
    )
    type Candidate = Point & { id: string; evidence: { centre: Point } }
    const asGcj = (await t.api.request<{ items: Candidate[] }>('GET', '/api/v1/venue-candidates?crs=gcj02')).items.find((c) => c.id === 'cand-1')!
    expect(metres(asGcj, GCJ)).toBeLessThan(0.01)
    expect(metres(asGcj.evidence.centre, GCJ)).toBeLessThan(0.01)
    const asWgs = (await t.api.request<{ items: Candidate[] }>('GET', '/api/v1/venue-candidates')).items.find((c) => c.id === 'cand-1')!
    expect({ lat: asWgs.lat, lon: asWgs.lon }).toEqual(WGS)
  })

  it('stores a WGS-84 device’s fixes exactly as sent', async () => {
    const watch = await device('mqtt-wgs', {})
    expect(watch.crs).toBe('wgs84')
    const client = await connectDevice(t.mqttUrl, watch.id, watch.secret!)
    await client.publishAsync(`eg/v1/${watch.id}/telemetry`, JSON.stringify({ ts: Date.now() - 60_000, ...GCJ }), { qos: 1 })
    await client.endAsync()
    const fix = await storedFix('mqtt-wgs')
    expect({ lat: fix.lat, lon: fix.lon }).toEqual(GCJ)
  })

  it('converts BD-09 fixes posted over HTTP ingest', async () => {
    const tracker = await device('ingest-bd', { crs: 'bd09' })
    const res = await fetch(`${t.api.baseUrl}/api/v1/ingest/${tracker.id}/telemetry`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${tracker.id}:${tracker.secret!}`).toString('base64')}` },
      body: JSON.stringify([{ ts: Date.now() - 60_000, ...BD, acc: 15 }]),
    })
    expect(res.status).toBe(202)
    expect(metres(await storedFix('ingest-bd'), WGS)).toBeLessThan(0.5)
  })

  it('converts the UD fixes of a protocol watch registered with crs gcj02; a watch registered without is WGS-84', async () => {
    const gcjImei = '8612340000001'
    const wgsImei = '8612340000002'
    expect((await device('watch-gcj', { protocol: 'watch', imei: gcjImei, crs: 'gcj02' })).crs).toBe('gcj02')
    expect((await device('watch-wgs', { protocol: 'watch', imei: wgsImei })).crs).toBe('wgs84')
    const ts = Math.floor((Date.now() - 60_000) / 1000) * 1000
    for (const [imei, at] of [
      [gcjImei, GCJ],
      [wgsImei, WGS],
    ] as const) {
      const watch = await WatchClient.connect(t.watchPort!)
      try {
        watch.write(frame(imei, fixContent('UD', ts, at)))
        // A heartbeat's answer means every frame before it is stored (DESIGN §3b).
        watch.write(frame(imei, 'LK'))
        await watch.answer('LK')
      } finally {
        watch.end()
      }
    }
    // The frame carries 6 decimals (0.1 m): both end where the elder really is.
    expect(metres(await storedFix('watch-gcj'), WGS)).toBeLessThan(0.5)
    expect(metres(await storedFix('watch-wgs'), WGS)).toBeLessThan(0.5)
  })
})
