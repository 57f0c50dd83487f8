import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ApiClient } from '../../../test/support/api-client'
import { connectDevice, startTestGateway, waitFor, type TestGateway } from '../../../test/support/gateway'
import { fromWgs84 } from '../../src/geo/crs'
import { HOUR, MIN, fixes, shanghaiMidnight, type Fix, type Place } from '../e2e/tracks'

/**
 * Issue 16 end to end, through the real gateway (EG_CLOCK=event, real MQTT): an operator reads
 * a sales venue and an elder's home off AMap (GCJ-02); the elder's watch reports GPS (WGS-84)
 * fixes at the real building and the real home.
 *
 * Registered with crs gcj02 (county A), the venue is where the building is: two mornings of
 * 45 minutes there fire venue.repeat, and the elder asleep at home is home. The same numbers
 * registered as WGS-84 by mistake (county B) put venue and home ~600 m off: no visit, and a
 * night "away from home".
 */
interface Alert {
  rule: string
  level: string
  evidence: Record<string, unknown>
}

/** The sales venue's building and the elder's flat in Luoyang, as GPS knows them. */
const BUILDING: Place = { lat: 34.61, lon: 112.42 }
const HOME: Place = { lat: 34.6235, lon: 112.4362 }
/** What AMap shows for them: the numbers an operator copies. */
const BUILDING_AMAP = fromWgs84(BUILDING.lat, BUILDING.lon, 'gcj02')
const HOME_AMAP = fromWgs84(HOME.lat, HOME.lon, 'gcj02')

/** A day asleep and at home, but for 45 minutes in the building from 09:00 (fixes every 2 min there). */
function dayWithLecture(midnight: number): Fix[] {
  const start = midnight + 9 * HOUR
  return [...fixes(midnight, start, 10 * MIN, HOME), ...fixes(start, start + 45 * MIN, 2 * MIN, BUILDING), ...fixes(start + 50 * MIN, midnight + 24 * HOUR, 10 * MIN, HOME)]
}

describe('venues and homes entered in GCJ-02, WGS-84 fixes (issue 16)', () => {
  let t: TestGateway
  let countyB: ApiClient

  beforeAll(async () => {
    t = await startTestGateway({ env: { EG_CLOCK: 'event' } })
    await t.api.request('POST', '/api/v1/tenants', { name: 'county-b', adminUsername: 'admin-b', adminPassword: 'admin-b-password-1' })
    countyB = new ApiClient(t.api.baseUrl)
    await countyB.login('admin-b', 'admin-b-password-1')
  })
  afterAll(async () => {
    await t?.stop()
    await t?.drop()
  })

  /** Registers the venue and an elder with a watch, positions as AMap gives them, read as `crs`; returns the watch. */
  async function register(api: ApiClient, crs: 'gcj02' | undefined): Promise<{ id: string; secret: string; elderId: string }> {
    const given = crs === undefined ? {} : { crs }
    await api.request('POST', '/api/v1/venues', { name: '保健品会销点', kind: 'sales', ...BUILDING_AMAP, radiusM: 60, ...given })
    const elder = await api.request<{ id: string }>('POST', '/api/v1/elders', { name: '张秀英', home: { ...HOME_AMAP, radiusM: 100, ...given } })
    const watch = await api.request<{ id: string; secret: string }>('POST', '/api/v1/devices', { elderId: elder.id, kind: 'watch' })
    return { ...watch, elderId: elder.id }
  }

  async function publish(watch: { id: string; secret: string }, days: Fix[][]): Promise<void> {
    const client = await connectDevice(t.mqttUrl, watch.id, watch.secret)
    for (const day of days) {
      for (let i = 0; i < day.length; i += 12) await client.publishAsync(`eg/v1/${watch.id}/telemetry`, JSON.stringify(day.slice(i, i + 12)), { qos: 1 })
    }
    await client.endAsync()
  }

  const alertsOf = async (api: ApiClient, elderId: string) => (await api.request<{ items: Alert[] }>('GET', `/api/v1/alerts?elderId=${elderId}`)).items

  it('finds the visits and the home when they were registered in GCJ-02, and neither when the same numbers were taken as WGS-84', async () => {
    const right = await register(t.api, 'gcj02')
    const wrong = await register(countyB, undefined)
    const days = [dayWithLecture(shanghaiMidnight(3)), dayWithLecture(shanghaiMidnight(2))]
    await publish(right, days)
    await publish(wrong, days)

    const repeat = await waitFor(async () => (await alertsOf(t.api, right.elderId)).find((a) => a.rule === 'venue.repeat'), { what: 'venue.repeat in county A' })
    expect(repeat.level).toBe('yellow')
    expect(repeat.evidence).toMatchObject({ visitCount: 2 })
    expect(JSON.stringify(repeat.evidence)).toContain('保健品会销点')

    // Everything published is evaluated: what has not fired by now will not.
    await t.gateway.settle()
    const a = await alertsOf(t.api, right.elderId)
    expect(a.filter((x) => x.rule.startsWith('absence.'))).toEqual([])

    const b = await alertsOf(countyB, wrong.elderId)
    expect(b.find((x) => x.rule === 'venue.repeat')).toBeUndefined()
    // The same fixes against a home 600 m off: in bed, yet "away" overnight. The test can tell.
    expect(b.map((x) => x.rule)).toContain('absence.overnight')
  })
})
