import type { MqttClient } from 'mqtt'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { seedElders, type SeededDevice } from '../../test/support/api-client'
import { ADMIN_PASSWORD, connectDevice, startTestGateway, type TestGateway } from '../../test/support/gateway'
import { buildDashboard } from './support/build'
import { hasChromium, launchChromium, recordCspViolations, screenshot, signInAt } from './support/browser'
import { centreOf, distance, mapViewOf, screenOf, toGcj02 as toGcj, type LatLon } from './support/map-geometry'

/**
 * The elder page's location trail on the board's Leaflet map, on a GCJ-02 datum (EG_MAP_CRS),
 * in real headless Chromium against the gateway serving the built board under its CSP: fixes
 * sent over MQTT as the watch sends them are joined by a line with a vertex a fix, each drawn
 * where the GCJ-02 conversion of the WGS-84 fix falls (hundreds of pixels from the raw numbers),
 * the newest emphasised; the home geofence is there with or without fixes; Leaflet loads only
 * when the trail is shown.
 */
describe.skipIf(!hasChromium && !process.env.CI)('the elder trail on the map', () => {
  let gw: TestGateway
  let browser: Browser
  let page: Page
  let base: string
  let elders: SeededDevice[]
  let watch: MqttClient | undefined
  let violations: () => Promise<string[]>
  /** Six fixes of the last hour, walking some 400 m north-east of home and back a little. */
  let fixes: Array<LatLon & { ts: number }>

  beforeAll(async () => {
    const distDir = await buildDashboard()
    gw = await startTestGateway({ storage: 'pglite', env: { EG_DASHBOARD_DIR: distDir, EG_MAP_CRS: 'gcj02' } })
    elders = await seedElders(gw.api, 2, { prefix: '孙奶奶' })
    const first = elders[0]
    if (first === undefined) throw new Error('no elder seeded')
    const start = Date.now() - 3_600_000
    fixes = [0, 1, 2, 3, 4, 5].map((i) => ({
      ts: start + i * 600_000,
      lat: first.home.lat + Math.min(i, 4) * 0.0007 - (i === 5 ? 0.0004 : 0),
      lon: first.home.lon + i * 0.0005 + (i % 2) * 0.0002,
    }))
    watch = await connectDevice(gw.mqttUrl, first.id, first.secret)
    await watch.publishAsync(`eg/v1/${first.id}/telemetry`, JSON.stringify(fixes.map((f) => ({ ...f, acc: 8, src: 'gps' }))), { qos: 1 })
    await gw.gateway.settle()

    base = `http://127.0.0.1:${gw.gateway.httpPort}`
    browser = await launchChromium()
    page = await browser.newPage({ viewport: { width: 1600, height: 1000 }, locale: 'zh-CN' })
    violations = await recordCspViolations(page)
    await signInAt(page, `${base}/`, 'admin', ADMIN_PASSWORD)
  })

  afterAll(async () => {
    watch?.end(true)
    await browser?.close()
    await gw?.stop()
  })

  /** Leaflet sets the global `L` when its chunk runs (map/leaflet.ts). */
  const leafletLoaded = () => page.evaluate(() => 'L' in window)

  it('loads Leaflet only when a trail is shown', async () => {
    await page.getByTestId('stream-status').waitFor()
    expect(await leafletLoaded()).toBe(false)
    await page.goto(`${base}/elders/${encodeURIComponent(elders[0]?.elderId ?? '')}`)
    await page.getByTestId('trail-line').waitFor({ state: 'attached' })
    expect(await leafletLoaded()).toBe(true)
  })

  it('joins the fixes with a vertex a fix, each where its GCJ-02 conversion falls, the newest emphasised', async () => {
    const trail = page.getByTestId('trail')
    await trail.scrollIntoViewIfNeeded()
    await trail.locator('figcaption').filter({ hasText: `位置轨迹 · ${fixes.length}` }).waitFor()
    expect(await page.getByTestId('map-view').getAttribute('data-crs')).toBe('gcj02')
    expect(await page.getByTestId('trail-fix').count()).toBe(fixes.length)
    const line = page.getByTestId('trail-line')
    expect(await line.getAttribute('data-fixes')).toBe(String(fixes.length))

    // The line's vertices on the page: its path data ("M x y L x y …") through the SVG's own transform.
    const vertices = () =>
      line.evaluate((el) => {
        const path = el as unknown as SVGPathElement
        const matrix = path.getScreenCTM()
        const d = path.getAttribute('d') ?? ''
        return [...d.matchAll(/[ML]\s*(-?[\d.]+)[ ,](-?[\d.]+)/g)].map(([, x, y]) => {
          const p = new DOMPoint(Number(x), Number(y)).matrixTransform(matrix ?? undefined)
          return { x: p.x, y: p.y }
        })
      })
    expect((await line.getAttribute('d'))?.match(/[ML]/g)).toHaveLength(fixes.length)

    const last = fixes[fixes.length - 1] ?? { lat: 0, lon: 0, ts: 0 }
    // The map fits home and fixes once its box has its size; measured after it settles.
    await expect
      .poll(async () => {
        const view = await mapViewOf(page)
        return distance(await centreOf(page, '[data-testid="trail-last"]'), screenOf(view, toGcj(last)))
      }, { timeout: 10_000 })
      .toBeLessThan(1.5)
    const view = await mapViewOf(page)
    expect(view.zoom).toBeGreaterThan(14)
    const drawn = await vertices()
    expect(drawn).toHaveLength(fixes.length)
    drawn.forEach((v, i) => {
      const fix = fixes[i] ?? last
      expect(distance(v, screenOf(view, toGcj(fix))), `vertex ${i}`).toBeLessThan(1.5)
      // The raw WGS-84 numbers on a GCJ-02 base map are some 500 m off: hundreds of pixels here.
      expect(distance(v, screenOf(view, fix)), `vertex ${i}`).toBeGreaterThan(100)
    })
    const newest = await centreOf(page, '[data-testid="trail-last"]')
    expect(distance(newest, screenOf(view, last))).toBeGreaterThan(100)
    expect(await page.getByTestId('trail-last').getAttribute('data-ts')).toBe(String(last.ts))
    // Emphasised: larger than a fix's dot, and labelled as the newest.
    const lastBox = await page.getByTestId('trail-last').boundingBox()
    const dotBox = await page.getByTestId('trail-fix').first().boundingBox()
    expect(lastBox?.width ?? 0).toBeGreaterThan((dotBox?.width ?? 0) * 1.5)
    await page.locator('.leaflet-tooltip').filter({ hasText: '最新位置' }).waitFor()

    // Home: the geofence circle around the converted home position.
    const home = elders[0]?.home ?? { lat: 0, lon: 0 }
    expect(distance(await centreOf(page, '[data-testid="trail-home"]'), screenOf(view, toGcj(home)))).toBeLessThan(1.5)
    await screenshot(page, 'elder-trail-01-gcj02')
    expect(await violations()).toEqual([])
  })

  it('shows home and says "no data" for an elder without fixes', async () => {
    await page.goto(`${base}/elders/${encodeURIComponent(elders[1]?.elderId ?? '')}`)
    const trail = page.getByTestId('trail')
    await trail.locator('figcaption').filter({ hasText: '位置轨迹 · 0' }).waitFor()
    await trail.getByText('暂无数据').waitFor()
    await page.getByTestId('trail-home').waitFor({ state: 'attached' })
    expect(await page.getByTestId('trail-line').count()).toBe(0)
    expect(await page.getByTestId('trail-fix').count()).toBe(0)
    expect(await violations()).toEqual([])
  })
})
