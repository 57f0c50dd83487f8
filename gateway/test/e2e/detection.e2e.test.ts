import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { seedElders, type SeededDevice } from '../../../test/support/api-client'
import { connectDevice, startTestGateway, waitFor, type TestGateway } from '../../../test/support/gateway'
import { MIN, dayWithVisit, offset, shanghaiMidnight, type Fix } from './tracks'

/**
 * Issue 3 end to end: a week of watch readings published over MQTT with EG_CLOCK=event; the
 * expected alerts are read back over HTTP. The gateway is restarted mid-week on the same
 * PostgreSQL database and must neither forget the visits before the restart nor re-fire.
 */
const run = promisify(execFile)

interface AlertView {
  id: string
  elderId: string
  rule: string
  level: string
  count: number
  status: string
  evidence: Record<string, unknown>
}

describe('rule engine wired into the gateway (EG_CLOCK=event)', () => {
  let t: TestGateway
  let watch: SeededDevice
  let home: { lat: number; lon: number }
  const lectureHall = { lat: 31.25, lon: 121.5 }
  const market = offset(lectureHall, 0, 3000)

  beforeAll(async () => {
    t = await startTestGateway({ env: { EG_CLOCK: 'event' } })
    ;[watch] = (await seedElders(t.api, 1)) as [SeededDevice]
    const elder = await t.api.request<{ home: { lat: number; lon: number } }>('GET', `/api/v1/elders/${watch.elderId}`)
    home = elder.home
    await t.api.request('POST', '/api/v1/venues', { name: '健康讲座会场', kind: 'sales', lat: lectureHall.lat, lon: lectureHall.lon, radiusM: 80 })
    await t.api.request('POST', '/api/v1/venues', { name: '菜市场', kind: 'other', lat: market.lat, lon: market.lon, radiusM: 80 })
  })
  afterAll(async () => {
    await t?.stop()
    await t?.drop()
  })

  async function publishDays(days: Fix[][]): Promise<void> {
    const client = await connectDevice(t.mqttUrl, watch.id, watch.secret)
    // Hour-sized buffered uploads, as a watch on a flaky link sends them.
    for (const day of days) {
      for (let i = 0; i < day.length; i += 12) {
        await client.publishAsync(`eg/v1/${watch.id}/telemetry`, JSON.stringify(day.slice(i, i + 12)), { qos: 1 })
      }
    }
    await client.endAsync()
  }

  const alerts = async () => (await t.api.request<{ items: AlertView[] }>('GET', `/api/v1/alerts?elderId=${watch.elderId}`)).items

  it('raises venue.repeat on the second lecture, remembers visits across a restart, and ignores the market', async () => {
    const day = (n: number) => shanghaiMidnight(9 - n)
    await publishDays([
      dayWithVisit(day(0), home, lectureHall, 9, 45),
      dayWithVisit(day(1), home, market, 8, 40),
      dayWithVisit(day(2), home, lectureHall, 9, 45),
      dayWithVisit(day(3), home, market, 8, 40),
    ])
    const first = await waitFor(async () => (await alerts()).find((a) => a.rule === 'venue.repeat'), { what: 'venue.repeat alert' })
    expect(first.level).toBe('yellow')
    expect(JSON.stringify(first.evidence)).toContain('健康讲座会场')

    t = await t.restart()
    await publishDays([dayWithVisit(day(4), home, lectureHall, 9, 45), dayWithVisit(day(5), home, market, 8, 40)])
    const raised = await waitFor(
      async () => (await alerts()).find((a) => a.rule === 'venue.repeat' && (a.evidence as { visitCount?: number }).visitCount === 3),
      { what: 'venue.repeat raised by the third visit after restart' },
    )
    // Same alert, raised: the two visits before the restart were remembered. (Unacknowledged,
    // the orange alert escalates to red 15 event-time minutes later: either level proves it.)
    expect(raised.id).toBe(first.id)
    expect(['orange', 'red']).toContain(raised.level)
    expect(raised.count).toBe(2)
    await t.gateway.settle()
    const all = await alerts()
    expect(all.filter((a) => a.rule === 'venue.repeat')).toHaveLength(1)
    // The daily market is not a risky venue; nothing alerts about it.
    expect(JSON.stringify(all)).not.toContain('菜市场')
  })

  it('escalates the unacknowledged orange alert to red on the rule clock (the escalation job the runtime is given)', async () => {
    // The day's data after the third visit moved the event clock hours past the orange raise:
    // the escalation job ran on it. Its history says who raised it, and why.
    const raised = await waitFor(async () => {
      const alert = (await alerts()).find((a) => a.rule === 'venue.repeat')
      return alert?.level === 'red' ? alert : undefined
    }, { what: 'venue.repeat to escalate to red' })
    const detail = await t.api.request<{ history: Array<{ actor: string; action: string; fromLevel: string | null; toLevel: string | null }> }>('GET', `/api/v1/alerts/${raised.id}`)
    expect(detail.history).toContainEqual(expect.objectContaining({ actor: 'escalation', action: 'escalated', fromLevel: 'orange', toLevel: 'red' }))
  })

  it('raises a red safety.sos alert for an SOS event at once, and the elder turns red', async () => {
    const client = await connectDevice(t.mqttUrl, watch.id, watch.secret)
    await client.publishAsync(`eg/v1/${watch.id}/event`, JSON.stringify({ ts: shanghaiMidnight(2) + 10 * 60 * MIN, type: 'sos' }), { qos: 1 })
    await client.endAsync()
    const sos = await waitFor(async () => (await alerts()).find((a) => a.rule === 'safety.sos'), { what: 'sos alert' })
    expect(sos.level).toBe('red')
    const elder = await t.api.request<{ riskLevel: string }>('GET', `/api/v1/elders/${watch.elderId}`)
    expect(elder.riskLevel).toBe('red')
  })

  it('backtests stored readings with a stricter config without raising alerts', async () => {
    const before = await alerts()
    const from = shanghaiMidnight(10)
    const result = await t.api.request<{ inputs: number; counts: Record<string, Record<string, number>> }>('POST', '/api/v1/rules/backtest', {
      from,
      to: Date.now(),
      config: { rules: { 'venue.repeat': { yellowVisits: 1, orangeVisits: 2, redVisits: 3 } } },
    })
    expect(result.inputs).toBeGreaterThan(1000)
    expect(result.counts['venue.repeat']).toMatchObject({ yellow: 1, orange: 1, red: 1 })
    expect(await alerts()).toEqual(before)
  })

  it('backtests from the command line against the same database', async () => {
    const cli = fileURLToPath(new URL('../../src/cli/backtest.ts', import.meta.url))
    const { stdout } = await run(process.execPath, ['--import', 'tsx', cli, '--from', String(shanghaiMidnight(10)), '--to', String(Date.now())], {
      env: { ...process.env, DATABASE_URL: t.database!.url },
    })
    const venueLine = stdout.split('\n').find((l) => l.trim().startsWith('venue.repeat')) ?? ''
    expect(venueLine).toContain('yellow 1')
    expect(venueLine).toContain('orange 1')
    expect(stdout).toMatch(/safety\.sos\s+red 1/)
  })

  it('validates, versions and audits the live rule config', async () => {
    const bad = await t.api.raw('PUT', '/api/v1/rules', { config: { rules: { 'venue.repeat': { yellowVisits: 4, orangeVisits: 3 } } } })
    expect(bad.status).toBe(400)
    expect(JSON.stringify(bad.json)).toContain('config.rules.venue.repeat.yellowVisits')
    const ok = await t.api.request<{ version: number }>('PUT', '/api/v1/rules', { config: { rules: { 'venue.repeat': { orangeVisits: 4, redVisits: 6 } } }, note: 'pilot' })
    expect(ok.version).toBe(1)
    const current = await t.api.request<{ version: number; config: { rules: Record<string, Record<string, number>> } }>('GET', '/api/v1/rules')
    expect(current.version).toBe(1)
    expect(current.config.rules['venue.repeat']?.orangeVisits).toBe(4)
    expect(current.config.rules['venue.repeat']?.yellowVisits).toBe(2)
  })
})
