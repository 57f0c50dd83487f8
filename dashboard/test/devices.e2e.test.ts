import type { MqttClient } from 'mqtt'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { seedElders, type SeededDevice } from '../../test/support/api-client'
import { ADMIN_PASSWORD, connectDevice, startTestGateway, type TestGateway } from '../../test/support/gateway'
import { startBoardServer, type BoardServer } from './support/board-server'
import { buildDashboard } from './support/build'
import { hasChromium, launchChromium, screenshot } from './support/browser'
import { frame, registerWatch, WatchClient } from '../../test/support/watch-client'

/**
 * The Devices page (issue 6) in real Chromium against a real gateway (embedded PGlite and
 * broker): a watch sending garbage over MQTT shows its exact rejected count (拒收消息), the last
 * reason in the title, and its kept dead letters when opened; rows sort offline first, then
 * most rejected, then low battery. Every wait is on a condition in the page.
 */
describe.skipIf(!hasChromium && !process.env.CI)('devices page in a browser', () => {
  let gw: TestGateway
  let board: BoardServer
  let browser: Browser
  let page: Page
  let noisy: SeededDevice
  let lowBattery: SeededDevice
  let silent: SeededDevice
  const clients: MqttClient[] = []

  beforeAll(async () => {
    const [distDir, started] = await Promise.all([buildDashboard(), startTestGateway({ storage: 'pglite', env: { EG_WATCH_PORT: '0' } })])
    gw = started
    ;[noisy, lowBattery, silent] = (await seedElders(gw.api, 3, { prefix: '李奶奶' })) as [SeededDevice, SeededDevice, SeededDevice]
    board = await startBoardServer({ distDir, gatewayUrl: `http://127.0.0.1:${gw.gateway.httpPort}` })
    browser = await launchChromium()
    page = await (await browser.newContext({ viewport: { width: 1600, height: 900 }, locale: 'zh-CN' })).newPage()
  })

  afterAll(async () => {
    for (const client of clients) client.end(true)
    await browser?.close()
    await board?.close()
    await gw?.stop()
  })

  async function connected(device: SeededDevice): Promise<MqttClient> {
    const client = await connectDevice(gw.mqttUrl, device.id, device.secret)
    clients.push(client)
    return client
  }

  it('shows rejected counts, sorts by attention, and opens the dead letters', async () => {
    const watch = await connected(noisy)
    const topic = `eg/v1/${noisy.id}/telemetry`
    await watch.publishAsync(topic, 'not json at all', { qos: 1 })
    await watch.publishAsync(topic, JSON.stringify({ ts: Date.now(), hr: 900 }), { qos: 1 })
    await watch.publishAsync(topic, JSON.stringify({ ts: Date.now() + 86_400_000, hr: 70 }), { qos: 1 })
    await watch.publishAsync(topic, JSON.stringify({ ts: Date.now(), hr: 70, bat: 80 }), { qos: 1 })
    const other = await connected(lowBattery)
    await other.publishAsync(`eg/v1/${lowBattery.id}/telemetry`, JSON.stringify({ ts: Date.now(), bat: 9 }), { qos: 1 })
    // `silent` never connects: offline.
    await gw.gateway.settle()

    await page.goto(board.url)
    await page.getByLabel('用户名').fill('admin')
    await page.getByLabel('密码').fill(ADMIN_PASSWORD)
    await page.getByRole('button', { name: '登录' }).click()
    await page.getByTestId('who').waitFor()
    await page.getByRole('link', { name: '设备' }).click()
    const table = page.getByTestId('devices-table')
    await table.getByRole('columnheader', { name: '拒收消息' }).waitFor()

    // Offline first, then the most rejected, then low battery.
    expect(await table.locator('tbody tr[data-device]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-device')))).toEqual([
      silent.id,
      noisy.id,
      lowBattery.id,
    ])
    const count = table.locator(`tr[data-device="${noisy.id}"] [data-testid="rejected-count"]`)
    expect((await count.innerText()).trim()).toMatch(/^3\b/)
    expect(await count.getAttribute('title')).toMatch(/^最近拒收: 时间在未来 · /)
    // None rejected: a plain muted zero, nothing to open.
    await expect(table.locator(`tr[data-device="${lowBattery.id}"] td.rejected`).innerText()).resolves.toBe('0')
    expect(await table.locator(`tr[data-device="${lowBattery.id}"] [data-testid="rejected-count"]`).count()).toBe(0)

    await count.click()
    const letters = page.getByTestId('dead-letters').getByTestId('dead-letter')
    await letters.nth(2).waitFor()
    expect(await letters.count()).toBe(3)
    expect(await letters.nth(0).innerText()).toContain('时间在未来')
    expect(await letters.nth(2).innerText()).toContain('not json at all')
    expect(await count.getAttribute('aria-expanded')).toBe('true')
    await screenshot(page, 'devices-01-rejected')

    await count.click()
    await page.getByTestId('dead-letters').waitFor({ state: 'detached' })
  })

  it('shows a 4G watch on its protocol with its number and its newest frame (issue 15)', async () => {
    const imei = '8613800138000'
    await registerWatch(gw.api, silent.elderId, imei)
    const watch = await WatchClient.connect(gw.watchPort!)
    try {
      watch.write(frame(imei, 'LK,300,0,66'))
      await watch.answer('LK')
      await gw.gateway.settle()
      await page.reload()
      const table = page.getByTestId('devices-table')
      await table.getByRole('columnheader', { name: '接入方式' }).waitFor()
      const cell = table.getByTestId('protocol-watch').filter({ hasText: imei })
      await expect.poll(async () => (await cell.count()) === 1 && (await cell.innerText()), { timeout: 20_000 }).toMatch(/4G 手表协议 8613800138000\s+最近报文: LK · /)
      await screenshot(page, 'devices-02-watch-protocol')
    } finally {
      watch.end()
    }
  })
})
