import type { Browser, Page, Route } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Alert } from '../src/types'
import { startBoardServer, type BoardServer } from './support/board-server'
import { buildDashboard } from './support/build'
import { hasChromium, launchChromium, screenshot } from './support/browser'

/**
 * The board against a scripted API (Playwright routes, no gateway): 10,000 alerts stay a
 * short DOM, and a gateway without a live stream gets a plain banner, not a broken page.
 */
const LEVELS = ['red', 'orange', 'yellow', 'green'] as const
const RULES = ['venue.repeat', 'absence.long', 'home.strangers', 'safety.fall', 'money.bank_after_venue'] as const
const T = Date.UTC(2026, 10, 1, 0, 0, 0)

function syntheticAlerts(n: number): Alert[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `alert-${i}`,
    elderId: `elder-${i % 500}`,
    rule: RULES[i % RULES.length] ?? 'venue.repeat',
    level: LEVELS[i % LEVELS.length] ?? 'green',
    status: 'open',
    count: 1 + (i % 3),
    firstAt: new Date(T + i * 1000).toISOString(),
    lastAt: new Date(T + i * 1000).toISOString(),
    updatedAt: new Date(T + i * 1000).toISOString(),
    summary: `synthetic alert ${i}`,
  }))
}

describe.skipIf(!hasChromium && !process.env.CI)('board with 10,000 alerts and no live stream', () => {
  let board: BoardServer
  let browser: Browser
  let page: Page
  const alerts = syntheticAlerts(10_000)

  beforeAll(async () => {
    const distDir = await buildDashboard()
    // Nothing listens there: every /api call below is answered by the page's routes.
    board = await startBoardServer({ distDir, gatewayUrl: 'http://127.0.0.1:9' })
    browser = await launchChromium()
    page = await browser.newPage({ viewport: { width: 1366, height: 768 }, locale: 'zh-CN' })
    const json = (route: Route, status: number, body: unknown) => route.fulfill({ status, contentType: 'application/json', body: JSON.stringify(body) })
    await page.route('**/api/v1/**', (route) => {
      const url = new URL(route.request().url())
      const path = url.pathname.replace('/api/v1', '')
      if (path === '/auth/login') return json(route, 200, { token: 'tok', user: { id: 'u1', username: 'night', role: 'operator', tenantId: 't' } })
      if (path === '/alerts') {
        const items = url.searchParams.get('status') === 'open' ? alerts : []
        const offset = Number(url.searchParams.get('offset') ?? 0)
        const limit = Number(url.searchParams.get('limit') ?? 100)
        return json(route, 200, { items: items.slice(offset, offset + limit), total: items.length })
      }
      if (path === '/elders') return json(route, 200, { items: [], total: 0 })
      return json(route, 404, { error: { code: 'NOT_FOUND', message: `no route GET ${url.pathname}` } })
    })
  })

  afterAll(async () => {
    await browser?.close()
    await board?.close()
  })

  it('renders only the rows in view and scrolls to the last', async () => {
    await page.goto(board.url)
    await page.getByLabel('用户名').fill('night')
    await page.getByLabel('密码').fill('whatever-password')
    await page.getByRole('button', { name: '登录' }).click()
    const list = page.getByTestId('alert-list')
    await page.locator('[data-testid="alert-list"][data-rows="10000"]').waitFor()
    await page.getByTestId('banner-missing').waitFor()
    expect(await page.getByTestId('alert-row').count()).toBeLessThan(60)
    // Red first: the list opens on red alerts.
    expect(await page.getByTestId('alert-row').first().getAttribute('data-level')).toBe('red')
    await screenshot(page, '11-board-10k-laptop')

    await list.evaluate((el) => el.scrollTo({ top: el.scrollHeight }))
    await page.locator('[data-testid="alert-row"][data-level="green"]').last().waitFor()
    expect(await page.getByTestId('alert-row').count()).toBeLessThan(60)

    await page.getByTestId('filter-red').click()
    await page.getByTestId('filter-orange').click()
    await page.getByTestId('filter-yellow').click()
    await page.locator('[data-testid="alert-list"][data-rows="2500"]').waitFor()
    await page.getByTestId('filter-rule').selectOption('safety.fall')
    await page.locator('[data-testid="alert-list"][data-rows="500"]').waitFor()
  })
})
