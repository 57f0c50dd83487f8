import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ApiClient, seedElders, type SeededDevice } from '../../../test/support/api-client'
import { createPostgresDatabase, type TestDatabase } from '../../../test/support/databases'
import { connectDevice, waitFor } from '../../../test/support/gateway'
import { spawnGateway, type GatewayProcess } from '../../../test/support/gateway-process'
import { dayWithVisit, shanghaiMidnight } from './tracks'

/**
 * A gateway process killed with SIGKILL before it ever checkpointed its rule engine: after the
 * restart, the readings it had accepted are replayed from storage, so the visits before the
 * crash still count and no finding is applied twice.
 */
interface AlertView {
  id: string
  rule: string
  level: string
  count: number
  evidence: unknown
}

describe('rule state survives SIGKILL', () => {
  let database: TestDatabase
  let gateway: GatewayProcess | undefined
  const env = () => ({
    DATABASE_URL: database.url,
    EG_ADMIN_PASSWORD: 'crash-test-password',
    EG_CLOCK: 'event',
    // No checkpoint happens before the kill: everything rests on replay from storage.
    EG_CHECKPOINT_MS: '3600000',
  })
  const home = { lat: 31.23, lon: 121.47 }
  const lectureHall = { lat: 31.25, lon: 121.5 }

  beforeAll(async () => {
    database = await createPostgresDatabase()
  })
  afterAll(async () => {
    await gateway?.kill()
    await database?.drop()
  })

  async function start(): Promise<ApiClient> {
    gateway = await spawnGateway(env())
    const api = new ApiClient(`http://127.0.0.1:${gateway.httpPort}`)
    await api.login('admin', 'crash-test-password')
    return api
  }

  async function publishVisit(watch: SeededDevice, daysAgo: number): Promise<void> {
    const client = await connectDevice(`mqtt://127.0.0.1:${gateway!.mqttPort}`, watch.id, watch.secret)
    const fixes = dayWithVisit(shanghaiMidnight(daysAgo), home, lectureHall, 9, 45)
    for (let i = 0; i < fixes.length; i += 20) {
      await client.publishAsync(`eg/v1/${watch.id}/telemetry`, JSON.stringify(fixes.slice(i, i + 20)), { qos: 1 })
    }
    await client.endAsync()
  }

  it('replays accepted readings after a crash', { timeout: 150_000 }, async () => {
    let api = await start()
    const [watch] = (await seedElders(api, 1, { centre: home })) as [SeededDevice]
    await api.request('PATCH', `/api/v1/elders/${watch.elderId}`, { home: { lat: home.lat, lon: home.lon, radiusM: 100 } })
    await api.request('POST', '/api/v1/venues', { name: '保健品讲座', kind: 'sales', lat: lectureHall.lat, lon: lectureHall.lon, radiusM: 80 })
    await publishVisit(watch, 8)
    await publishVisit(watch, 6)
    const alerts = (a: ApiClient) => a.request<{ items: AlertView[] }>('GET', `/api/v1/alerts?elderId=${watch.elderId}`)
    const yellow = await waitFor(async () => (await alerts(api)).items.find((x) => x.rule === 'venue.repeat'), { what: 'yellow alert' })
    expect(yellow.level).toBe('yellow')

    await gateway!.kill('SIGKILL')
    api = await start()
    await publishVisit(watch, 4)
    // The third visit raises it to orange; the event clock then runs on past the 15-minute
    // acknowledgement window, so it may already have escalated to red: both prove the raise.
    const orange = await waitFor(
      async () => (await alerts(api)).items.find((x) => x.rule === 'venue.repeat' && (x.evidence as { visitCount?: number }).visitCount === 3),
      { what: 'orange after the crash', timeoutMs: 40_000 },
    ).catch(async (err: Error) => {
      throw new Error(`${err.message}; alerts: ${JSON.stringify((await alerts(api)).items.map((a) => [a.rule, a.level, a.count, a.evidence]))}`)
    })
    expect(orange.id).toBe(yellow.id)
    expect(['orange', 'red']).toContain(orange.level)
    // Raised once by the third visit; the replayed second visit did not count the finding again.
    expect(orange.count).toBe(2)
    const history = await api.request<{ history: Array<{ action: string; toLevel: string | null }> }>('GET', `/api/v1/alerts/${orange.id}`)
    expect(history.history.map((h) => [h.action, h.toLevel])).toContainEqual(['raised', 'orange'])
    expect((await alerts(api)).items.filter((x) => x.rule === 'venue.repeat')).toHaveLength(1)
  })
})
