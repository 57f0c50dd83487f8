import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { seedElders } from '../../test/support/api-client'
import { ADMIN_PASSWORD, startTestGateway, type TestGateway } from '../../test/support/gateway'
import { buildDashboard } from './support/build'
import { hasChromium, launchChromium, screenshot } from './support/browser'

/**
 * The built board served by the gateway itself, under its Content-Security-Policy (no inline
 * script or style, images from the gateway and the tile server only), in real headless
 * Chromium: every page a person opens renders, the live stream connects, map tiles load, and
 * the browser reports no CSP violation — the policy is strict and the board needs nothing more.
 */
describe.skipIf(!hasChromium && !process.env.CI)('the board under its CSP', () => {
  let gw: TestGateway
  let browser: Browser
  let tiles: Server
  let base: string
  let elderId: string

  beforeAll(async () => {
    // A local tile server stands in for the Internet one (the test machine has no Internet).
    tiles = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'image/svg+xml' }).end('<svg xmlns="http://www.w3.org/2000/svg" width="256" height="256"><rect width="256" height="256" fill="#2b3a4a"/></svg>')
    })
    await new Promise<void>((resolve) => tiles.listen(0, '127.0.0.1', resolve))
    const distDir = await buildDashboard()
    gw = await startTestGateway({
      storage: 'pglite',
      env: { EG_DASHBOARD_DIR: distDir, EG_MAP_TILE_URL: `http://127.0.0.1:${(tiles.address() as AddressInfo).port}/{z}/{x}/{y}.png` },
    })
    elderId = (await seedElders(gw.api, 2, { prefix: '李大爷' }))[0]?.elderId ?? ''
    base = `http://127.0.0.1:${gw.gateway.httpPort}`
    browser = await launchChromium()
  })

  afterAll(async () => {
    await browser?.close()
    await gw?.stop()
    await new Promise((resolve) => tiles?.close(resolve))
  })

  /** A page that records every CSP violation the browser reports (installed before any script). */
  async function watchedPage(): Promise<{ page: Page; violations: () => Promise<string[]> }> {
    const page = await browser.newPage({ viewport: { width: 1600, height: 900 }, locale: 'zh-CN' })
    const console: string[] = []
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) console.push(message.text())
    })
    await page.addInitScript(() => {
      const seen: string[] = []
      Object.defineProperty(window, '__cspViolations', { value: seen })
      document.addEventListener('securitypolicyviolation', (e) => seen.push(`${e.violatedDirective} ${e.blockedURI}`))
    })
    return {
      page,
      violations: async () => [...console, ...(await page.evaluate(() => (window as unknown as { __cspViolations: string[] }).__cspViolations))],
    }
  }

  it('serves the board with the policy, and the board runs under it without one violation', async () => {
    const index = await fetch(`${base}/`)
    const csp = index.headers.get('content-security-policy') ?? ''
    expect(csp).toContain("script-src 'self'")
    expect(csp).toContain("frame-ancestors 'none'")
    expect(csp).not.toContain('unsafe-inline')
    expect(index.headers.get('x-content-type-options')).toBe('nosniff')

    const { page, violations } = await watchedPage()
    await page.goto(`${base}/`)
    await page.getByLabel('用户名').fill('admin')
    await page.getByLabel('密码').fill(ADMIN_PASSWORD)
    await page.getByRole('button', { name: '登录' }).click()
    await page.getByTestId('who').waitFor()
    await page.getByTestId('stream-status').and(page.locator('[data-status="live"]')).waitFor()
    for (const path of ['/risk', `/elders/${elderId}`, '/devices', '/map', '/venues', '/rules', '/reports', '/users']) {
      await page.goto(`${base}${path}`)
      await page.getByTestId('who').waitFor()
      if (path === '/map') await page.getByTestId('map-tile').first().waitFor()
      // The elder page's trail map: Leaflet, its stylesheet and the tiles, loaded there.
      if (path.startsWith('/elders/')) await page.locator('[data-testid="trail"] [data-testid="map-tile"]').first().waitFor()
      // Let late styles and images settle before counting.
      await page.waitForLoadState('networkidle')
    }
    await screenshot(page, 'csp-01-users-under-policy')
    expect(await violations()).toEqual([])
    await page.close()
  })

  it('refuses to be framed', async () => {
    const { page } = await watchedPage()
    await page.setContent(`<iframe id="board" src="${base}/"></iframe>`)
    await page.waitForTimeout(500)
    const framed = page.frames().find((f) => f.url().startsWith(base))
    // Blocked by frame-ancestors: the frame never gets the board's document.
    const loaded = framed === undefined ? false : await framed.locator('#app').count().then((n) => n > 0).catch(() => false)
    expect(loaded).toBe(false)
    await page.close()
  })
})
