import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import gcoord from 'gcoord'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { seedElders, type SeededDevice } from '../../test/support/api-client'
import { ADMIN_PASSWORD, startTestGateway, type TestGateway } from '../../test/support/gateway'
import { solidPng, tilesCovering, writePmtiles } from '../../test/support/pmtiles-writer'
import type { BoardConfig, Venue } from '../src/types'
import { buildDashboard } from './support/build'
import { hasChromium, launchChromium, recordCspViolations, screenshot, signInAt } from './support/browser'
import { centreOf, degreesIn, distance, mapViewOf, pixelAt, placeAt, screenOf, toGcj02 as toGcj, type Point } from './support/map-geometry'

/**
 * The offline base map on a GCJ-02 datum (issue 16), in real headless Chromium against the
 * gateway serving the built board under its CSP: a raster PMTiles archive made here (one-colour
 * PNG tiles, a gzipped directory as `pmtiles convert` writes; test/support/pmtiles-writer.ts)
 * is served by EG_MAP_PMTILES and read by byte ranges,
 * with the browser cut off from every host but the gateway. The tiles show (loaded <img> from
 * blob: URLs, the tile colour on screen); the WGS-84 homes the API answers are drawn where their
 * GCJ-02 conversion falls, not where the raw numbers would; an outline drawn on this base map
 * is saved converted back to WGS-84.
 */
const TILE_RGB = [46, 92, 138] as const
/** The archive's extent (GCJ-02, like the imagery it stands for); z10–15, Leaflet scales z15 up. */
const BOUNDS: [number, number, number, number] = [121.4, 31.18, 121.56, 31.28]
const ZOOMS = [10, 11, 12, 13, 14, 15]

const toWgs = (p: { lat: number; lon: number }) => {
  const [lon, lat] = gcoord.transform<[number, number]>([p.lon, p.lat], gcoord.GCJ02, gcoord.WGS84)
  return { lat, lon }
}

describe.skipIf(!hasChromium && !process.env.CI)('the offline PMTiles base map on GCJ-02', () => {
  let gw: TestGateway
  let browser: Browser
  let context: BrowserContext
  let page: Page
  let base: string
  let violations: () => Promise<string[]>
  let elders: SeededDevice[]
  const blocked: string[] = []
  const archiveRequests: Array<{ method: string; range: string | undefined; status?: number }> = []

  beforeAll(async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'eg-offline-map-'))
    const png = solidPng(TILE_RGB)
    const tiles = ZOOMS.flatMap((z) => tilesCovering(BOUNDS, z)).map((t) => ({ ...t, data: png }))
    await writeFile(path.join(dir, 'county.pmtiles'), writePmtiles(tiles, { bounds: BOUNDS, metadata: { name: 'test county' }, gzip: true }))
    const distDir = await buildDashboard()
    gw = await startTestGateway({
      storage: 'pglite',
      env: { EG_DASHBOARD_DIR: distDir, EG_MAP_PMTILES: path.join(dir, 'county.pmtiles'), EG_MAP_CRS: 'gcj02', EG_MAP_ATTRIBUTION: '© 县测绘院 离线底图' },
    })
    elders = await seedElders(gw.api, 2, { prefix: '钱爷爷' })
    base = `http://127.0.0.1:${gw.gateway.httpPort}`
    browser = await launchChromium()
    context = await browser.newContext({ viewport: { width: 1600, height: 900 }, locale: 'zh-CN' })
    // No network but the gateway: anything else the board tried would be recorded and refused.
    const gatewayHost = new URL(base).host
    await context.route('**/*', (route) => {
      const url = route.request().url()
      if (new URL(url).host === gatewayHost) return route.continue()
      blocked.push(url)
      return route.abort('internetdisconnected')
    })
    page = await context.newPage()
    page.on('request', (request) => {
      if (new URL(request.url()).pathname === '/map/tiles.pmtiles') archiveRequests.push({ method: request.method(), range: request.headers().range })
    })
    page.on('response', (response) => {
      if (new URL(response.url()).pathname !== '/map/tiles.pmtiles') return
      const entry = archiveRequests.find((r) => r.status === undefined)
      if (entry !== undefined) entry.status = response.status()
    })
    violations = await recordCspViolations(page)
    await signInAt(page, `${base}/`, 'admin', ADMIN_PASSWORD)
  })

  afterAll(async () => {
    await browser?.close()
    await gw?.stop()
  })

  it('names the archive and the datum in the board config', async () => {
    expect(await gw.api.request<BoardConfig>('GET', '/api/v1/board-config')).toEqual({
      baseMap: 'pmtiles',
      pmtilesUrl: '/map/tiles.pmtiles',
      tileUrl: null,
      mapCrs: 'gcj02',
      attribution: '© 县测绘院 离线底图',
      tenantName: 'default',
    })
  })

  it('shows the archive tiles, read by byte ranges, with nothing fetched from outside', async () => {
    await page.getByRole('link', { name: '地图', exact: true }).click()
    await page.locator('[data-testid="map-base"][data-base="pmtiles"]').waitFor({ state: 'attached' })
    const loaded = page.locator('img[data-testid="map-tile"].leaflet-tile-loaded')
    await expect.poll(() => loaded.count()).toBeGreaterThan(3)
    const tiles = await loaded.evaluateAll((imgs) =>
      (imgs as HTMLImageElement[]).map((img) => ({ src: img.src, natural: img.naturalWidth, shown: img.getBoundingClientRect().width })),
    )
    for (const tile of tiles) {
      expect(tile.src).toMatch(/^blob:http:\/\/127\.0\.0\.1:\d+\//)
      expect(tile.natural).toBe(256)
      expect(tile.shown).toBeGreaterThan(256)
    }
    await page.getByText('© 县测绘院 离线底图').waitFor()

    // Leaflet fades tiles in (0.2 s): the colour on screen where no shape is, is the tiles'.
    await page.waitForTimeout(600)
    const view = await mapViewOf(page)
    for (const spot of [
      { x: view.box.x + 40, y: view.box.y + 40 },
      { x: view.box.x + view.box.width * 0.25, y: view.box.y + view.box.height * 0.5 },
    ]) {
      const rgb = await pixelAt(page, spot)
      rgb.forEach((channel, i) => expect(Math.abs(channel - (TILE_RGB[i] ?? 0)), `pixel ${JSON.stringify(spot)}: ${rgb}`).toBeLessThanOrEqual(2))
    }
    await screenshot(page, 'map-offline-01-pmtiles-gcj02')

    // The archive came in ranges (the header and root directory in the first), each a 206.
    expect(archiveRequests.length).toBeGreaterThan(0)
    for (const r of archiveRequests) {
      expect(r.range).toMatch(/^bytes=\d+-\d+$/)
      expect(r.status).toBe(206)
    }
    expect(archiveRequests[0]?.range).toBe('bytes=0-16383')
    expect(blocked).toEqual([])
    expect(await violations()).toEqual([])
  })

  it('draws each WGS-84 home where its GCJ-02 conversion falls on the base map', async () => {
    const view = await mapViewOf(page)
    expect(view.zoom).toBeGreaterThan(15)
    for (const elder of elders) {
      const drawn = await centreOf(page, `[data-testid="map-geofence"][data-elder-id="${elder.elderId}"]`)
      const converted = screenOf(view, toGcj(elder.home))
      const raw = screenOf(view, elder.home)
      expect(distance(drawn, converted), `${elder.elderId}: drawn ${JSON.stringify(drawn)}, expected ${JSON.stringify(converted)}`).toBeLessThan(1.5)
      // The GCJ-02 offset in Shanghai is some 500 m: hundreds of pixels at street level.
      expect(Math.abs(distance(drawn, raw) - distance(converted, raw))).toBeLessThan(1.5)
      expect(distance(drawn, raw)).toBeGreaterThan(100)
    }
  })

  it('saves an outline drawn on the GCJ-02 base map in WGS-84', async () => {
    // A venue near the homes: the venues page fits it at street level.
    const home = elders[0]?.home ?? { lat: 31.23, lon: 121.47 }
    await gw.api.request('POST', '/api/v1/venues', { name: '老年活动室', kind: 'care', lat: home.lat + 0.001, lon: home.lon, radiusM: 120 })
    await page.getByRole('link', { name: '场所', exact: true }).click()
    const existing = (await gw.api.request<{ items: Venue[] }>('GET', '/api/v1/venues')).items[0]
    const shown = page.locator(`[data-testid="map-venue"][data-venue-id="${existing?.id}"]`)
    await shown.waitFor()
    let view = await mapViewOf(page)
    expect(distance(await centreOf(page, `[data-testid="map-venue"][data-venue-id="${existing?.id}"]`), screenOf(view, toGcj({ lat: home.lat + 0.001, lon: home.lon })))).toBeLessThan(1.5)

    await page.getByTestId('venue-new').click()
    await page.getByTestId('venue-name').fill('康乐保健品体验店')
    await page.getByTestId('venue-draw-polygon').click()
    view = await mapViewOf(page)
    const at = (fx: number, fy: number): Point => ({ x: view.box.x + view.box.width * fx, y: view.box.y + view.box.height * fy })
    const corners = [at(0.12, 0.25), at(0.3, 0.3), at(0.2, 0.6)]
    for (const c of [...corners, corners[0] ?? at(0, 0)]) await page.mouse.click(c.x, c.y)
    await page.getByTestId('venue-form').filter({ hasText: '多边形（3 个顶点）' }).waitFor()
    await screenshot(page, 'map-offline-02-drawn-on-gcj02')
    await page.getByTestId('venue-save').click()
    await page.getByTestId('venue-row').filter({ hasText: '康乐保健品体验店' }).waitFor()

    const saved = (await gw.api.request<{ items: Venue[] }>('GET', '/api/v1/venues')).items.find((v) => v.name === '康乐保健品体验店')
    expect(saved?.polygon).toHaveLength(3)
    corners.forEach((c, i) => {
      const onMap = placeAt(view, c)
      const want = toWgs(onMap)
      const got = saved?.polygon?.[i] ?? [0, 0]
      expect(Math.abs(got[0] - want.lat)).toBeLessThan(degreesIn(view, 1.5))
      expect(Math.abs(got[1] - want.lon)).toBeLessThan(degreesIn(view, 1.5))
      // Not the base map's own numbers: those are hundreds of metres off.
      expect(Math.abs(got[1] - onMap.lon)).toBeGreaterThan(0.002)
    })
    expect(blocked).toEqual([])
    expect(await violations()).toEqual([])
  })
})
