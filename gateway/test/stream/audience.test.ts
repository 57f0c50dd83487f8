import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { silentLogger } from '../../../test/support/databases'
import { waitFor } from '../../../test/support/gateway'
import type { Change } from '../../src/stream/change-log-store'
import { createDeviceActivity, type DeviceActivity } from '../../src/storage/device-activity'
import { userToken } from '../http/harness'
import { dataOf, openStream, type SseStream } from './sse-client'
import { startStreamApi, type StreamApi } from './fixture'

/**
 * Who sees what on the stream, and device status: police see only red alerts (and their
 * notices) of elders assigned to their own station; staff see everything of their tenant;
 * online/offline flushed by the device-activity recorder arrives as 'device' events.
 */
describe('stream audience and device status', () => {
  let s: StreamApi
  let policeToken: string
  let operatorToken: string
  const elders: Record<'north' | 'south', string> = { north: '', south: '' }
  let watchId = ''
  let activity: DeviceActivity | undefined
  const open: SseStream[] = []
  const connect = async (token: string) => {
    const stream = await openStream(s.baseUrl, { token })
    open.push(stream)
    await stream.waitForEvents(1)
    return stream
  }
  const topics = (stream: SseStream) => stream.events.filter((e) => e.event !== 'hello').map((e) => `${e.event}:${dataOf<Change>(e).entityId}`)

  /** A real alert row (the police filter looks its elder up) and its change, as effects.ts writes it. */
  async function alertChange(id: string, elderId: string, level: 'yellow' | 'orange' | 'red', change = 'opened') {
    const db = s.api.opened.db
    await db.query(
      `INSERT INTO alerts (id, tenant_id, elder_id, rule, level, first_at, last_at, summary, evidence)
       VALUES ($1, $2, $3, 'test.' || $1, $4, now(), now(), 'SOS', '{}'::jsonb)
       ON CONFLICT (id) DO UPDATE SET level = EXCLUDED.level`,
      [id, s.tenantId, elderId, level],
    )
    return s.change('alert', id, { change, actor: 'rule-engine', alert: { id, elderId, level, rule: 'safety.sos', status: 'open' } })
  }

  beforeAll(async () => {
    s = await startStreamApi()
    const station = (name: string) =>
      s.request<{ id: string }>('POST', '/api/v1/police-stations', { name, webhookUrl: 'http://127.0.0.1:9/hook', secret: 'station-secret-0123456789', format: 'json' })
    const north = await station('North station')
    const south = await station('South station')
    const elder = (name: string, policeStationId: string) =>
      s.request<{ id: string }>('POST', '/api/v1/elders', { name, home: { lat: 31.23, lon: 121.47 }, policeStationId })
    elders.north = (await elder('Elder north', north.id)).id
    elders.south = (await elder('Elder south', south.id)).id
    watchId = (await s.request<{ id: string }>('POST', '/api/v1/devices', { elderId: elders.north, kind: 'watch' })).id
    policeToken = await userToken(s.api.app, s.adminToken, { username: 'officer-north', role: 'police', policeStationId: north.id })
    operatorToken = await userToken(s.api.app, s.adminToken, { username: 'operator-1', role: 'operator' })
  })
  afterEach(async () => {
    for (const stream of open.splice(0)) stream.close()
    await activity?.close()
    activity = undefined
  })
  afterAll(() => s.close())

  it('police see red alerts and their notices for their own station only; operators see everything', async () => {
    const police = await connect(policeToken)
    const operator = await connect(operatorToken)

    await alertChange('al-north-yellow', elders.north, 'yellow') // not red: hidden from police
    await alertChange('al-south-red', elders.south, 'red') // another station: hidden
    await alertChange('al-north-red', elders.north, 'red')
    await s.change('notice', 'nt-south', { alertId: 'al-south-red', audience: 'police', level: 'red', status: 'delivered' })
    // The notice dispatcher's shape: { change, notice } (notices/deliverer.ts).
    await s.change('notice', 'nt-north', { change: 'delivered', notice: { id: 'nt-north', alertId: 'al-north-red', audience: 'police', level: 'red', status: 'delivered' } })
    // A notice change that does not say its level: the alert's current level decides.
    await s.change('notice', 'nt-north-2', { alertId: 'al-north-red', status: 'receipted' })
    await s.change('voice', 'vp-north', { alertId: 'al-north-red', status: 'played' })
    await alertChange('al-north-yellow', elders.north, 'red', 'raised') // now red: visible from here on
    const last = await s.change('device', watchId, { deviceId: watchId, elderId: elders.north, online: true, at: new Date().toISOString() })

    await operator.waitForEvents(10)
    expect(topics(operator)).toEqual([
      'alert:al-north-yellow', 'alert:al-south-red', 'alert:al-north-red', 'notice:nt-south', 'notice:nt-north',
      'notice:nt-north-2', 'voice:vp-north', 'alert:al-north-yellow', 'device:' + watchId,
    ])
    // The police stream has seen everything up to `last` once a later visible change arrives.
    const marker = await alertChange('al-north-marker', elders.north, 'red')
    await police.waitForEvents(1, { topics: ['alert'] })
    await waitFor(async () => police.events.some((e) => e.id === String(marker.seq)), { what: 'the marker on the police stream' })
    expect(topics(police)).toEqual(['alert:al-north-red', 'notice:nt-north', 'notice:nt-north-2', 'alert:al-north-yellow', 'alert:al-north-marker'])
    expect(Number(police.events.at(-1)!.id)).toBeGreaterThan(last.seq)

    // Replay obeys the same rule: a police board resuming from before all of it.
    const resumed = await openStream(s.baseUrl, { token: policeToken, query: { since: String(Number(police.events[0]!.id)) } })
    open.push(resumed)
    await resumed.waitForEvents(5)
    expect(topics(resumed)).toEqual(topics(police))
  })

  it('sends device online/offline as device events, once per transition', async () => {
    const operator = await connect(operatorToken)
    const police = await connect(policeToken)
    activity = createDeviceActivity(s.api.opened.db, { flushMs: 60_000, logger: silentLogger, onChanges: (changes) => s.bus.publish(changes) })
    const t0 = Date.UTC(2026, 2, 1, 8, 0, 0)

    activity.setOnline(watchId, true, t0)
    await activity.flush()
    const [online] = await operator.waitForEvents(1, { topics: ['device'] })
    expect(dataOf<Change>(online!)).toMatchObject({
      topic: 'device',
      entityId: watchId,
      payload: { deviceId: watchId, elderId: elders.north, online: true, at: new Date(t0).toISOString() },
    })

    // Still online (a retained status re-sent): no event.
    activity.setOnline(watchId, true, t0 + 1000)
    activity.seen(watchId, t0 + 2000, 80)
    await activity.flush()
    activity.setOnline(watchId, false, t0 + 3000)
    await activity.flush()
    const events = await operator.waitForEvents(2, { topics: ['device'] })
    expect(events.map((e) => dataOf<Change>(e).payload.online)).toEqual([true, false])
    expect(Number(events[1]!.id)).toBe(Number(events[0]!.id) + 1)

    // The device status is in the log too (a board resuming gets it), and police never see it.
    const replay = await openStream(s.baseUrl, { token: operatorToken, lastEventId: String(Number(online!.id) - 1) })
    open.push(replay)
    await replay.waitForEvents(2, { topics: ['device'] })
    expect(replay.events.filter((e) => e.event === 'device').map((e) => e.id)).toEqual(events.map((e) => e.id))
    expect(police.events.filter((e) => e.event === 'device')).toEqual([])
  })
})
