import { readFile } from 'node:fs/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { seedElders, type SeededDevice } from '../../test/support/api-client'
import { ADMIN_PASSWORD, waitFor } from '../../test/support/gateway'
import type { AlertReport } from '../src/types'
import { startBoardFixture, type BoardFixture } from './support/board-fixture'
import { hasChromium, screenshot } from './support/browser'

/**
 * The Reports page (报表) against a real gateway and PostgreSQL: alerts raised over MQTT,
 * one acknowledged and one resolved, show up in the day and week tables, the breakdowns and
 * the SLA tiles; 导出 CSV downloads the gateway's CSV, whose rows match the report.
 */
interface Alert {
  id: string
  elderId: string
  rule: string
}

describe.skipIf(!hasChromium && !process.env.CI)('reports page in a browser', () => {
  let f: BoardFixture
  let devices: SeededDevice[]

  beforeAll(async () => {
    f = await startBoardFixture({ viewport: { width: 1600, height: 1000 } })
    devices = await seedElders(f.gw.api, 3, { prefix: '赵奶奶' })
    const areas = ['东湖社区', '东湖社区', '西山社区']
    for (const [i, d] of devices.entries()) await f.gw.api.request('PATCH', `/api/v1/elders/${d.elderId}`, { area: areas[i] })
  })

  afterAll(() => f?.close())

  const device = (i: number) => {
    const d = devices[i]
    if (d === undefined) throw new Error(`no device ${i}`)
    return d
  }
  const alerts = () => f.gw.api.request<{ items: Alert[] }>('GET', '/api/v1/alerts').then((r) => r.items)
  const find = (list: Alert[], i: number, rule: string) => {
    const found = list.find((a) => a.elderId === devices[i]?.elderId && a.rule === rule)
    if (found === undefined) throw new Error(`no ${rule} for elder ${i}`)
    return found
  }
  const countIn = (testId: string, key: string) => f.page.getByTestId(testId).locator(`tr[data-key="${key}"] [data-testid="breakdown-count"]`).textContent()

  it('counts seeded alerts by day, level, rule, area and disposition, with the SLA', async () => {
    await f.publishEvent(device(0), 'sos')
    await f.publishEvent(device(1), 'fall')
    await f.publishEvent(device(2), 'sos')
    await f.publishEvent(device(2), 'low_battery')
    const raised = await waitFor(async () => {
      const list = await alerts()
      return list.length >= 4 ? list : null
    }, { what: 'four alerts' })
    expect(raised).toHaveLength(4)
    await f.gw.api.request('POST', `/api/v1/alerts/${find(raised, 0, 'safety.sos').id}/ack`)
    await f.gw.api.request('POST', `/api/v1/alerts/${find(raised, 1, 'safety.fall').id}/resolve`, { disposition: 'false_alarm', note: '误报' })
    const expected = await f.gw.api.request<AlertReport>('GET', '/api/v1/reports/alerts?period=day')
    const today = expected.to

    const page = f.page
    await f.signIn('admin', ADMIN_PASSWORD)
    await page.getByRole('link', { name: '报表' }).click()
    await page.getByTestId('report-total').filter({ hasText: '4' }).waitFor()

    // Every day of the default range is a row; today's holds the four alerts.
    expect(await page.getByTestId('report-bucket').count()).toBe(7)
    const todayRow = page.locator(`[data-testid="report-bucket"][data-bucket="${today}"]`)
    expect(await todayRow.getByTestId('bucket-total').textContent()).toBe('4')
    expect(await todayRow.locator('td[data-level="red"]').textContent()).toBe('3')
    expect(await todayRow.locator('td[data-level="green"]').textContent()).toBe('1')
    expect(await todayRow.locator('td[data-level="red"]').getAttribute('class')).toContain('level-cell-red')

    expect(await countIn('by-rule', 'safety.sos')).toBe('2')
    expect(await countIn('by-rule', 'safety.fall')).toBe('1')
    expect(await countIn('by-rule', 'device.battery')).toBe('1')
    expect(await countIn('by-level', 'red')).toBe('3')
    expect(await countIn('by-area', '东湖社区')).toBe('2')
    expect(await countIn('by-area', '西山社区')).toBe('2')
    expect(await countIn('by-disposition', 'false_alarm')).toBe('1')
    expect(await countIn('by-disposition', 'unresolved')).toBe('3')
    expect(await page.getByTestId('by-rule').textContent()).toContain('SOS 紧急求救')
    expect(await page.getByTestId('by-disposition').textContent()).toContain('误报')

    // One red acknowledged at once: within the 15 min target.
    expect(await page.getByTestId('sla-within').locator('.sla-value').textContent()).toBe('100%')
    expect(await page.getByTestId('sla-unacked').locator('.sla-value').textContent()).toBe(String(expected.sla.unacknowledged))
    await screenshot(page, 'reports-01-day', { fullPage: true })

    await page.getByTestId('period-week').click()
    await page.locator('[data-testid="report-bucket"] [data-testid="bucket-total"]').filter({ hasText: /^4$/ }).waitFor()
    expect(await page.getByTestId('period-week').getAttribute('aria-pressed')).toBe('true')
    await screenshot(page, 'reports-02-week', { fullPage: true })
  })

  it('exports the report as a CSV file whose rows match it', async () => {
    const page = f.page
    const expected = await f.gw.api.request<AlertReport>('GET', '/api/v1/reports/alerts?period=week')
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('report-export').click()])
    expect(download.suggestedFilename()).toBe(`eldergate-alerts-week-${expected.from}-${expected.to}.csv`)
    const text = (await readFile(await download.path(), 'utf8')).replace(/^\uFEFF/, '')
    const [header, ...lines] = text.trimEnd().split('\r\n')
    expect(header).toBe('bucket,rule,level,area,disposition,count')
    const rows = lines.map((line) => line.split(','))
    expect(rows).toEqual(expected.rows.map((r) => [r.bucket, r.rule, r.level, r.area ?? '', r.disposition ?? '', String(r.count)]))
    expect(rows.reduce((sum, r) => sum + Number(r[5]), 0)).toBe(4)
  })
})
