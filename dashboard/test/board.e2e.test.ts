import type { MqttClient } from 'mqtt'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { seedElders, type SeededDevice } from '../../test/support/api-client'
import { ADMIN_PASSWORD, connectDevice, startTestGateway, type TestGateway } from '../../test/support/gateway'
import { startBoardServer, type BoardServer } from './support/board-server'
import { buildDashboard } from './support/build'
import { hasChromium, launchChromium, screenshot } from './support/browser'

/**
 * The operator board in real headless Chromium against a real gateway (embedded PGlite, the
 * embedded broker): sign in, an SOS over MQTT appears without a reload, acknowledge, resolve,
 * switch language, survive a dropped stream. Every wait is on a condition in the page.
 */
// CI installs Chromium (.ci/run); elsewhere the browser tests need Debian's chromium package.
describe.skipIf(!hasChromium && !process.env.CI)('operator board in a browser', () => {
  let gw: TestGateway
  let board: BoardServer
  let browser: Browser
  let page: Page
  let devices: SeededDevice[]
  const clients: MqttClient[] = []

  beforeAll(async () => {
    const [distDir, started] = await Promise.all([buildDashboard(), startTestGateway({ storage: 'pglite' })])
    gw = started
    devices = await seedElders(gw.api, 3, { prefix: '张阿姨' })
    const gatewayUrl = `http://127.0.0.1:${gw.gateway.httpPort}`
    board = await startBoardServer({ distDir, gatewayUrl })
    browser = await launchChromium()
    page = await browser.newPage({ viewport: { width: 1920, height: 1080 }, locale: 'zh-CN' })
  })

  afterAll(async () => {
    for (const client of clients) client.end(true)
    await browser?.close()
    await board?.close()
    await gw?.stop()
  })

  async function device(i: number): Promise<MqttClient> {
    const d = devices[i]
    if (d === undefined) throw new Error(`no device ${i}`)
    const client = await connectDevice(gw.mqttUrl, d.id, d.secret)
    clients.push(client)
    return client
  }

  async function publishEvent(i: number, type: 'sos' | 'fall'): Promise<void> {
    const client = await device(i)
    await client.publishAsync(`eg/v1/${devices[i]?.id}/event`, JSON.stringify({ ts: Date.now(), type }), { qos: 1 })
  }

  it('serves the board with SPA fallback, and keeps /api 404s as JSON', async () => {
    const deep = await fetch(`${board.url}/elders/some-id`)
    expect(deep.status).toBe(200)
    expect(await deep.text()).toContain('<div id="app">')
    const api = await fetch(`${board.url}/api/v1/nothing-here`, { headers: { authorization: `Bearer ${gw.api.token}` } })
    expect(api.status).toBe(404)
    expect(((await api.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND')
    expect((await fetch(`${board.url}/assets/missing.js`)).status).toBe(404)
    expect((await fetch(`${board.url}/..%2f..%2fpackage.json`)).status).toBe(404)
  })

  it('signs in and shows the role', async () => {
    await page.goto(board.url)
    await page.getByLabel('用户名').fill('admin')
    await page.getByLabel('密码').fill('wrong-password')
    await page.getByRole('button', { name: '登录' }).click()
    await page.getByRole('alert').filter({ hasText: '登录失败' }).waitFor()
    await screenshot(page, '01-sign-in')
    await page.getByLabel('密码').fill(ADMIN_PASSWORD)
    await page.getByRole('button', { name: '登录' }).click()
    await page.getByTestId('who').filter({ hasText: 'admin · 管理员' }).waitFor()
  })

  it('shows an SOS live, beeps, badges the title; acknowledge takes two clicks; resolve with a disposition', async () => {
    await page.getByTestId('stream-status').and(page.locator('[data-status="live"]')).waitFor()
    // A marker that a reload would wipe: the alert must arrive without one.
    await page.evaluate(() => document.body.setAttribute('data-no-reload', 'yes'))
    await publishEvent(0, 'sos')

    const row = page.getByTestId('alert-row').filter({ hasText: 'SOS 紧急求救' })
    await row.waitFor()
    expect(await row.getAttribute('data-level')).toBe('red')
    await expect.poll(() => page.title()).toMatch(/^\(1\) /)
    await expect.poll(() => page.evaluate(() => document.documentElement.dataset.beeps)).toBe('1')
    expect(await page.evaluate(() => document.body.getAttribute('data-no-reload'))).toBe('yes')
    await screenshot(page, '02-board-sos')

    const ack = row.getByTestId('ack')
    await ack.click()
    await ack.filter({ hasText: '再点一次确认' }).waitFor()
    expect(await row.getAttribute('data-status')).toBe('open')
    await ack.click()
    await page.locator('[data-testid="alert-row"][data-status="acknowledged"]').filter({ hasText: 'SOS 紧急求救' }).waitFor()
    await expect.poll(() => page.title()).not.toMatch(/^\(\d+\) /)

    await row.getByTestId('resolve').click()
    const dialog = page.getByTestId('resolve-dialog')
    await dialog.getByLabel('误报').check()
    await dialog.getByLabel('备注').fill('老人误按，已电话确认平安')
    await screenshot(page, '03-resolve-dialog')
    await dialog.getByTestId('resolve-submit').click()
    await dialog.waitFor({ state: 'detached' })
    await row.waitFor({ state: 'detached' }) // the default filter shows unresolved alerts only
    await page.getByTestId('filter-status').selectOption('resolved')
    await page.locator('[data-testid="alert-row"][data-status="resolved"]').filter({ hasText: '误报' }).waitFor()
    await page.getByTestId('filter-status').selectOption('active')
  })

  it('says so when the stream drops, and "caught up" after replaying what it missed', async () => {
    board.holdStreams(true)
    board.dropStreams()
    await page.getByTestId('banner-lost').waitFor()
    await screenshot(page, '04-connection-lost')
    await publishEvent(1, 'fall') // while the board is cut off
    board.holdStreams(false)
    await page.getByTestId('banner-caught-up').waitFor()
    await page.getByTestId('alert-row').filter({ hasText: '跌倒' }).waitFor()
    await screenshot(page, '05-caught-up')
  })

  it('switches to English and back', async () => {
    await page.getByTestId('lang').click()
    await page.getByRole('link', { name: 'Risk list' }).waitFor()
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('en')
    await screenshot(page, '06-board-en')
    await page.getByTestId('lang').click()
    await page.getByRole('link', { name: '风险名单' }).waitFor()
  })

  it('shows the risk list, elder detail with trail and 喊话 status, notices and devices', async () => {
    const watch = await device(2)
    // Half past an hour, 2–3 h ago: the 12 fixes (5 min apart) fall six into each of two hours,
    // so both hours have steps to chart whatever minute the test runs at (one reading: 0 steps).
    const base = Math.floor((Date.now() - 3 * 3_600_000) / 3_600_000) * 3_600_000 + 30 * 60_000
    const trail = Array.from({ length: 12 }, (_, i) => ({ ts: base + i * 300_000, lat: 31.23 + i * 0.0008, lon: 121.47 + (i % 4) * 0.0006, acc: 10, src: 'gps', hr: 68 + (i % 5) * 4, bat: 80 - i, steps: 2000 + i * 50 }))
    await watch.publishAsync(`eg/v1/${devices[2]?.id}/telemetry`, JSON.stringify(trail), { qos: 1 })
    await gw.gateway.settle()
    await gw.api.request('PATCH', `/api/v1/elders/${devices[2]?.elderId}`, {
      phone: '13800000002',
      address: '幸福路 12 号 3 单元 201',
      area: '幸福社区',
      contacts: [{ name: '李明', relation: '儿子', phone: '13900000002' }],
    })

    await page.getByRole('link', { name: '风险名单' }).click()
    await page.getByTestId('risk-row').first().waitFor()
    await screenshot(page, '07-risk-list')

    await page.getByRole('link', { name: '张阿姨-2' }).click()
    await page.getByTestId('elder-name').filter({ hasText: '张阿姨-2' }).waitFor()
    // The trail on the map (Leaflet, loaded with the trail): a line with a vertex a fix.
    await page.getByTestId('trail').locator('figcaption').filter({ hasText: `位置轨迹 · ${trail.length}` }).waitFor()
    await page.locator('[data-testid="trail"] [data-testid="trail-line"]').waitFor({ state: 'attached' })
    expect((await page.getByTestId('trail-line').getAttribute('d'))?.match(/[ML]/g)).toHaveLength(trail.length)
    expect(await page.getByTestId('trail-fix').count()).toBe(trail.length)
    await page.getByTestId('trail-last').waitFor({ state: 'attached' })
    await page.locator('[data-testid="sparkline"] polyline').waitFor()
    {
      // The hourly activity chart: one bar per hour of the trail, each the steps of its hour.
      const perHour = new Map<string, number[]>()
      for (const r of trail) {
        const at = new Date(Math.floor(r.ts / 3_600_000) * 3_600_000).toISOString()
        perHour.set(at, [...(perHour.get(at) ?? []), r.steps])
      }
      const expected = [...perHour].map(([at, steps]) => [at, String(Math.max(...steps) - Math.min(...steps))])
      const bars = page.locator('[data-testid="activity-chart"][data-range="24h"] .activity-bar')
      await bars.nth(expected.length - 1).waitFor()
      const drawn = await bars.evaluateAll((els) => els.map((el) => [el.getAttribute('data-at'), el.getAttribute('data-steps')]))
      expect(drawn).toEqual(expected)
      await page.locator('[data-testid="activity-chart"] [data-testid="hr-mean"]').first().waitFor({ state: 'attached' })
      await page.getByTestId('activity-chart').scrollIntoViewIfNeeded()
      await screenshot(page, '08b-elder-activity')
      await page.getByRole('button', { name: '近 7 天' }).click()
      await page.locator('[data-testid="activity-chart"][data-range="7d"] .activity-bar').nth(expected.length - 1).waitFor()
    }
    {
      await watch.subscribeAsync(`eg/v1/${devices[2]?.id}/cmd`, { qos: 1 })
      watch.on('message', (_topic, payload) => {
        const command = JSON.parse(payload.toString()) as { id: string }
        void watch.publishAsync(`eg/v1/${devices[2]?.id}/cmd/ack`, JSON.stringify({ id: command.id, status: 'played', ts: Date.now() }), { qos: 1 })
      })
      await page.getByPlaceholder('对老人说的话').fill('张阿姨，社区工作人员马上给您打电话，请注意接听。')
      await page.getByTestId('voice-send').click()
      await page.locator('[data-testid="voice-prompt"][data-status="played"]').filter({ hasText: '已播放' }).filter({ hasText: '社区工作人员马上给您打电话' }).waitFor()
    }
    await screenshot(page, '08-elder-detail', { fullPage: true })

    await page.getByRole('link', { name: '设备' }).click()
    await page.getByTestId('devices-table').waitFor()
    await screenshot(page, '09-devices')

    await page.getByRole('link', { name: '通知' }).click()
    await page.locator('.table-page, .empty').first().waitFor()
    await screenshot(page, '10-notices')
  })

  it('signs out', async () => {
    await page.getByTestId('sign-out').click()
    await page.getByLabel('用户名').waitFor()
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0)
  })
})
