import type { MqttClient } from 'mqtt'
import type { Browser, Page } from 'playwright-core'
import type { SeededDevice } from '../../../test/support/api-client'
import { connectDevice, startTestGateway, type TestGateway } from '../../../test/support/gateway'
import { startBoardServer, type BoardServer } from './board-server'
import { launchChromium } from './browser'
import { buildDashboard } from './build'

/**
 * The pieces a browser test of the board needs, started together: a real gateway (its own
 * PostgreSQL database), the built board in front of it, headless Chromium with one page, and
 * helpers to raise device events over MQTT and sign in as someone. `close()` undoes all of it.
 */
export interface BoardFixture {
  gw: TestGateway
  board: BoardServer
  browser: Browser
  page: Page
  /** Publishes one device event over MQTT as the device itself. */
  publishEvent(device: SeededDevice, type: 'sos' | 'fall' | 'low_battery'): Promise<void>
  /** Signs in on the board's login page and waits for the top bar. */
  signIn(username: string, password: string): Promise<void>
  close(): Promise<void>
}

export async function startBoardFixture(opts: { viewport: { width: number; height: number } }): Promise<BoardFixture> {
  const [distDir, gw] = await Promise.all([buildDashboard(), startTestGateway()])
  const board = await startBoardServer({ distDir, gatewayUrl: `http://127.0.0.1:${gw.gateway.httpPort}` })
  const browser = await launchChromium()
  const page = await browser.newPage({ viewport: opts.viewport, locale: 'zh-CN', acceptDownloads: true })
  const clients: MqttClient[] = []
  return {
    gw,
    board,
    browser,
    page,
    async publishEvent(device, type) {
      const client = await connectDevice(gw.mqttUrl, device.id, device.secret)
      clients.push(client)
      await client.publishAsync(`eg/v1/${device.id}/event`, JSON.stringify({ ts: Date.now(), type }), { qos: 1 })
    },
    async signIn(username, password) {
      await page.goto(board.url)
      await page.getByLabel('用户名').fill(username)
      await page.getByLabel('密码').fill(password)
      await page.getByRole('button', { name: '登录' }).click()
      await page.getByTestId('who').filter({ hasText: username }).waitFor()
    },
    async close() {
      for (const client of clients) client.end(true)
      await browser.close()
      await board.close()
      await gw.stop()
      await gw.drop()
    },
  }
}
