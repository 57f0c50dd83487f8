import { randomUUID } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ApiClient, seedElders, type SeededDevice } from '../../test/support/api-client'
import { ADMIN_PASSWORD, startTestGateway, waitFor, type TestGateway } from '../../test/support/gateway'
import { loadConfig } from '../../gateway/src/config'
import { tilesCovering } from '../../test/support/pmtiles-writer'
import type { BoardConfig, Venue, VenueCandidate } from '../src/types'
import { startBoardFixture, type BoardFixture } from './support/board-fixture'
import { startBoardServer, type BoardServer } from './support/board-server'
import { buildDashboard } from './support/build'
import { hasChromium, launchChromium, screenshot } from './support/browser'

/**
 * The Map and Venues pages (Leaflet) in real headless Chromium against a real gateway (PGlite,
 * embedded broker), with no base map (no internet): geofences, venues by kind, a candidate
 * venue; place a venue by clicking the map, edit it, promote the candidate; police see no
 * controls. Drawing outlines: venue-draw.e2e.test.ts; the offline base map and other datums:
 * map-offline.e2e.test.ts.
 */
const SALES = { name: '长寿保健品讲座点', kind: 'sales', lat: 31.236, lon: 121.482, radiusM: 80 }
const BANK = { name: '城关农商银行', kind: 'bank', polygon: [[31.2255, 121.4645], [31.2255, 121.4665], [31.2242, 121.4665], [31.2242, 121.4645]] }
const CANDIDATE = { lat: 31.242, lon: 121.476, radiusM: 150 }

async function signIn(page: Page, url: string, username: string, password: string): Promise<void> {
  await page.goto(url)
  await page.getByLabel('用户名').fill(username)
  await page.getByLabel('密码').fill(password)
  await page.getByRole('button', { name: '登录' }).click()
  await page.getByTestId('who').waitFor()
}

/** Screen centre of a drawn shape (Leaflet draws a circle as an SVG path; its box's centre is the circle's). */
async function circleCentre(page: Page, selector: string): Promise<{ x: number; y: number }> {
  const box = await page.locator(selector).first().boundingBox()
  if (box === null) throw new Error(`${selector} is not drawn`)
  return { x: box.x + box.width / 2, y: box.y + box.height / 2 }
}

describe.skipIf(!hasChromium && !process.env.CI)('map and venues in a browser', () => {
  let fx: BoardFixture
  let gw: TestGateway
  let page: Page
  let elders: SeededDevice[]
  let candidateId: string
  const requested: string[] = []

  beforeAll(async () => {
    fx = await startBoardFixture({ viewport: { width: 1920, height: 1080 } })
    ;({ gw, page } = fx)
    elders = await seedElders(gw.api, 3, { prefix: '王阿姨' })
    await gw.api.request('POST', '/api/v1/venues', SALES)
    await gw.api.request('POST', '/api/v1/venues', BANK)
    // What crowd detection writes: three elders, four days, one unknown place.
    candidateId = randomUUID()
    await gw.gateway.db.query(
      `INSERT INTO venue_candidates (id, tenant_id, place_key, lat, lon, radius_m, days, elder_ids, evidence, first_at, last_at)
       SELECT $1, tenant_id, 'test-place', $2, $3, $4, $5::jsonb, $6::jsonb, '{}'::jsonb, now() - interval '4 days', now() FROM elders WHERE id = $7`,
      [candidateId, CANDIDATE.lat, CANDIDATE.lon, CANDIDATE.radiusM, JSON.stringify(['2026-11-26', '2026-11-27', '2026-11-28', '2026-11-29']), JSON.stringify(elders.map((e) => e.elderId)), elders[0]?.elderId],
    )
    page.on('request', (request) => requested.push(request.url()))
    await fx.signIn('admin', ADMIN_PASSWORD)
  })

  afterAll(async () => {
    await fx?.close()
  })

  const venues = () => gw.api.request<{ items: Venue[] }>('GET', '/api/v1/venues?limit=100').then((r) => r.items)

  it('says there is no tile server', async () => {
    const config = await gw.api.request<BoardConfig>('GET', '/api/v1/board-config')
    expect(config).toEqual({ baseMap: 'none', pmtilesUrl: null, tileUrl: null, mapCrs: 'wgs84', attribution: null, tenantName: 'default' })
  })

  it('draws geofences, venues by kind and the candidate on a plain background, with no tile requests', async () => {
    await page.getByRole('link', { name: '地图', exact: true }).click()
    await expect.poll(() => page.getByTestId('map-geofence').count()).toBe(3)
    await expect.poll(() => page.getByTestId('map-venue').count()).toBe(2)
    await page.getByTestId('map-candidate').waitFor()
    // The grid's box has no size of its own (Leaflet's layer boxes never do): its cells show.
    await page.locator('[data-testid="map-grid"] .map-grid-cell').first().waitFor()
    await page.getByTestId('scale-bar').waitFor()
    expect(await page.getByTestId('map-tile').count()).toBe(0)
    expect(await page.locator(`[data-testid="map-venue"][data-kind="sales"][data-risky="true"][data-shape="circle"]`).count()).toBe(1)
    expect(await page.locator(`[data-testid="map-venue"][data-kind="bank"][data-risky="false"][data-shape="polygon"]`).count()).toBe(1)
    // Fitted: every geofence lies inside the map box, and the three homes are drawn apart.
    const box = await page.getByTestId('map-view').boundingBox()
    const homes = await Promise.all(elders.map((e) => circleCentre(page, `[data-testid="map-geofence"][data-elder-id="${e.elderId}"]`)))
    for (const h of homes) {
      expect(h.x).toBeGreaterThan(box?.x ?? 0)
      expect(h.x).toBeLessThan((box?.x ?? 0) + (box?.width ?? 0))
      expect(h.y).toBeGreaterThan(box?.y ?? 0)
      expect(h.y).toBeLessThan((box?.y ?? 0) + (box?.height ?? 0))
    }
    // Homes 0.002° apart northwards: higher latitude is higher on screen.
    expect(homes[0]?.y).toBeGreaterThan((homes[1]?.y ?? 0) + 5)
    await page.getByTestId('map-legend').waitFor()
    await screenshot(page, 'map-01-no-tiles')

    // Only the board's own host was asked for anything (no tile server, no CDN).
    const origin = new URL(fx.board.url).origin
    expect(requested.filter((u) => !u.startsWith(origin) && !u.startsWith('data:'))).toEqual([])
  })

  it('shows a venue on click, filters by kind, and opens an elder', async () => {
    await page.locator('[data-testid="map-venue"][data-kind="sales"]').click()
    await page.getByTestId('map-details').filter({ hasText: SALES.name }).waitFor()
    await page.getByTestId('filter-kind-sales').uncheck()
    await expect.poll(() => page.getByTestId('map-venue').count()).toBe(1)
    await page.getByTestId('filter-candidates').uncheck()
    await page.getByTestId('map-candidate').waitFor({ state: 'detached' })
    await page.getByTestId('filter-kind-sales').check()
    await page.getByTestId('filter-candidates').check()

    const zoom = Number(await page.getByTestId('map-view').getAttribute('data-zoom'))
    await page.getByTestId('map-zoom-in').click()
    await expect.poll(async () => Number(await page.getByTestId('map-view').getAttribute('data-zoom'))).toBeCloseTo(zoom + 1, 5)
    await page.getByTestId('map-fit').click()
    await expect.poll(async () => Number(await page.getByTestId('map-view').getAttribute('data-zoom'))).toBeCloseTo(zoom, 5)

    await page.locator(`[data-testid="map-geofence"][data-elder-id="${elders[1]?.elderId}"]`).click()
    await page.getByTestId('elder-name').filter({ hasText: '王阿姨-1' }).waitFor()
    expect(new URL(page.url()).pathname).toBe(`/elders/${elders[1]?.elderId}`)
  })

  it('creates a venue where the map is clicked, shows field errors, and edits its radius', async () => {
    await page.getByRole('link', { name: '场所', exact: true }).click()
    await expect.poll(() => page.getByTestId('venue-row').count()).toBe(2)
    await page.getByTestId('venue-new').click()
    await page.getByTestId('venue-name').fill('夕阳红旅游咨询点')
    await page.getByTestId('venue-kind').selectOption('travel')

    // Two places of known latitude/longitude on screen give the map's scale at this view.
    const a = await circleCentre(page, '[data-testid="map-venue"][data-kind="sales"]')
    const c = await circleCentre(page, '[data-testid="map-candidate"]')
    const lonAt = (x: number) => SALES.lon + ((x - a.x) * (CANDIDATE.lon - SALES.lon)) / (c.x - a.x)
    const latAt = (y: number) => SALES.lat + ((y - a.y) * (CANDIDATE.lat - SALES.lat)) / (c.y - a.y)
    // Empty ground between them (not on any shape), found by asking the page what is there.
    const spot = await page.evaluate(
      ([ax, ay, cx, cy]) => {
        for (const f of [0.5, 0.4, 0.6, 0.3, 0.7]) {
          for (const dy of [0, 60, -60, 120]) {
            const x = ax + (cx - ax) * f
            const y = ay + (cy - ay) * (1 - f) + dy
            // The ground: inside the map, not a shape, not a control.
            const el = document.elementFromPoint(x, y)
            if (el?.closest('.leaflet-container') !== null && el?.closest('.leaflet-interactive, .leaflet-control, .map-controls') === null) return { x, y }
          }
        }
        return null
      },
      [a.x, a.y, c.x, c.y] as const,
    )
    expect(spot).not.toBeNull()
    if (spot === null) return
    await page.mouse.click(spot.x, spot.y)
    await page.getByTestId('map-draft').waitFor()
    const lat = Number(await page.getByTestId('venue-lat').inputValue())
    const lon = Number(await page.getByTestId('venue-lon').inputValue())
    // Within ~20 m of the clicked point (a pixel is a few metres at this zoom).
    expect(Math.abs(lat - latAt(spot.y))).toBeLessThan(2e-4)
    expect(Math.abs(lon - lonAt(spot.x))).toBeLessThan(2e-4)

    // The gateway's 400 names the field; the form shows it beside the radius.
    await page.getByTestId('venue-radiusM').fill('99999')
    await page.getByTestId('venue-save').click()
    const radiusField = page.getByTestId('venue-form').locator('label', { has: page.getByTestId('venue-radiusM') })
    await radiusField.getByTestId('field-error').waitFor()
    await screenshot(page, 'map-02-venue-field-error')
    await page.getByTestId('venue-radiusM').fill('120')
    await page.getByTestId('venue-save').click()
    await page.getByTestId('venue-row').filter({ hasText: '夕阳红旅游咨询点' }).waitFor()

    const created = (await venues()).find((v) => v.name === '夕阳红旅游咨询点')
    expect(created).toMatchObject({ kind: 'travel', risky: true, radiusM: 120, polygon: null })
    expect(Math.abs((created?.lat ?? 0) - latAt(spot.y))).toBeLessThan(2e-4)
    expect(Math.abs((created?.lon ?? 0) - lonAt(spot.x))).toBeLessThan(2e-4)
    await page.locator(`[data-testid="map-venue"][data-venue-id="${created?.id}"]`).waitFor()

    await page.getByTestId('venue-row').filter({ hasText: '夕阳红旅游咨询点' }).getByTestId('venue-edit').click()
    await expect.poll(() => page.getByTestId('venue-radiusM').inputValue()).toBe('120')
    await page.getByTestId('venue-radiusM').fill('250')
    await screenshot(page, 'map-03-venue-edit')
    await page.getByTestId('venue-save').click()
    await page.getByTestId('venue-form').waitFor({ state: 'detached' })
    await waitFor(async () => (await venues()).find((v) => v.id === created?.id)?.radiusM === 250, { what: 'radius 250' })
    // The edit kept the place.
    const edited = (await venues()).find((v) => v.id === created?.id)
    expect(edited?.lat).toBe(created?.lat)
    expect(edited?.lon).toBe(created?.lon)
  })

  it('promotes the candidate venue in one action', async () => {
    const row = page.locator(`[data-testid="candidate-row"][data-candidate-id="${candidateId}"]`)
    await row.filter({ hasText: '4天' }).filter({ hasText: '3人' }).waitFor()
    await row.getByTestId('candidate-name').fill('幸福里会销点')
    await screenshot(page, 'map-04-candidate')
    await row.getByTestId('candidate-promote').click()
    await row.waitFor({ state: 'detached' })
    await page.getByTestId('venue-row').filter({ hasText: '幸福里会销点' }).waitFor()

    const promoted = (await venues()).find((v) => v.name === '幸福里会销点')
    expect(promoted).toMatchObject({ kind: 'sales', risky: true, lat: CANDIDATE.lat, lon: CANDIDATE.lon, radiusM: CANDIDATE.radiusM })
    const { items } = await gw.api.request<{ items: VenueCandidate[] }>('GET', '/api/v1/venue-candidates')
    expect(items.find((c) => c.id === candidateId)).toMatchObject({ status: 'promoted', venueId: promoted?.id })
    await expect.poll(() => page.getByTestId('map-candidate').count()).toBe(0)
    await screenshot(page, 'map-05-promoted')
  })

  it('deletes a venue after a second click', async () => {
    const row = page.getByTestId('venue-row').filter({ hasText: '夕阳红旅游咨询点' })
    await row.getByTestId('venue-edit').click()
    await page.getByTestId('venue-delete').click()
    await page.getByTestId('venue-delete').filter({ hasText: '再点一次确认' }).waitFor()
    expect((await venues()).some((v) => v.name === '夕阳红旅游咨询点')).toBe(true)
    await page.getByTestId('venue-delete').click()
    await row.waitFor({ state: 'detached' })
    expect((await venues()).some((v) => v.name === '夕阳红旅游咨询点')).toBe(false)
  })

  it('gives police users no editing controls', async () => {
    const station = await gw.api.request<{ id: string }>('POST', '/api/v1/police-stations', { name: '城关派出所', webhookUrl: 'http://127.0.0.1:9/hook', secret: 'station-secret-0123456789', format: 'json' })
    await gw.api.request('POST', '/api/v1/users', { username: 'officer', password: 'officer-password', role: 'police', policeStationId: station.id })
    // Every signed-in role reads the board config; nobody else does.
    const officer = new ApiClient(gw.api.baseUrl)
    await officer.login('officer', 'officer-password')
    expect(await officer.request<BoardConfig>('GET', '/api/v1/board-config')).toMatchObject({ tileUrl: null })
    expect((await new ApiClient(gw.api.baseUrl).raw('GET', '/api/v1/board-config')).status).toBe(401)

    await page.getByTestId('sign-out').click()
    // Signing out asks the gateway first and clears the session after: navigating before that
    // aborts it and the board comes back signed in as admin (a red CI run).
    await page.getByLabel('用户名').waitFor()
    await fx.signIn('officer', 'officer-password')
    // The registry pages are not in a police officer's navigation…
    await page.getByTestId('who').waitFor()
    for (const name of ['地图', '场所', '设备']) expect(await page.getByRole('link', { name, exact: true }).count()).toBe(0)
    // …and opened by address, the venues page offers nothing to change.
    await page.goto(new URL('/venues', page.url()).href)
    await page.getByTestId('map-view').waitFor()
    expect(await page.getByTestId('venue-new').count()).toBe(0)
    expect(await page.getByTestId('venue-edit').count()).toBe(0)
    expect(await page.getByTestId('candidate-promote').count()).toBe(0)
    expect(await page.getByTestId('venue-draw-polygon').count()).toBe(0)
    // No outline to drag: no editing handles anywhere on the map.
    expect(await page.locator('.marker-icon').count()).toBe(0)
    // A click on the map places nothing.
    const box = await page.getByTestId('map-view').boundingBox()
    await page.mouse.click((box?.x ?? 0) + 50, (box?.y ?? 0) + 50)
    expect(await page.getByTestId('map-draft').count()).toBe(0)
    await screenshot(page, 'map-07-police')
  })
})

describe('map tile configuration', () => {
  it('accepts an http(s) template with {z}, {x} and {y}, and names the variable otherwise', () => {
    expect(loadConfig({ EG_MAP_TILE_URL: 'https://{s}.tiles.example/{z}/{y}/{x}.png' }).EG_MAP_TILE_URL).toBe('https://{s}.tiles.example/{z}/{y}/{x}.png')
    expect(loadConfig({}).EG_MAP_TILE_URL).toBeUndefined()
    expect(() => loadConfig({ EG_MAP_TILE_URL: 'https://tiles.example/{z}/{x}.png' })).toThrow(/EG_MAP_TILE_URL=.*\{z\}, \{x\} and \{y\}/)
    expect(() => loadConfig({ EG_MAP_TILE_URL: 'file:///tiles/{z}/{x}/{y}.png' })).toThrow(/EG_MAP_TILE_URL/)
  })
})

/** A tile as a tile server would draw it: here a labelled square, so a screenshot shows the tile grid. */
function tileImage(url: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="256" height="256"><rect width="256" height="256" fill="#2b3a4a" stroke="#5c7080"/><text x="12" y="30" fill="#9fb3c8" font-size="18">${url.replace(/[<&>]/g, '')}</text></svg>`
}

describe.skipIf(!hasChromium && !process.env.CI)('map with a tile server', () => {
  let gw: TestGateway
  let board: BoardServer
  let browser: Browser
  let tiles: Server
  const tileRequests: string[] = []

  beforeAll(async () => {
    // A local tile server stands in for the Internet one (the test machine has no Internet).
    tiles = createServer((req, res) => {
      tileRequests.push(req.url ?? '')
      res.writeHead(200, { 'content-type': 'image/svg+xml' }).end(tileImage(req.url ?? ''))
    })
    await new Promise<void>((resolve) => tiles.listen(0, '127.0.0.1', resolve))
    const port = (tiles.address() as AddressInfo).port
    const [distDir, started] = await Promise.all([
      buildDashboard(),
      startTestGateway({ storage: 'pglite', env: { EG_MAP_TILE_URL: `http://127.0.0.1:${port}/tiles/{z}/{x}/{y}.png`, EG_MAP_ATTRIBUTION: '© 测试底图' } }),
    ])
    gw = started
    await seedElders(gw.api, 2, { prefix: '李大爷' })
    board = await startBoardServer({ distDir, gatewayUrl: `http://127.0.0.1:${gw.gateway.httpPort}` })
    browser = await launchChromium()
  })

  afterAll(async () => {
    await browser?.close()
    await board?.close()
    await gw?.stop()
    await new Promise((resolve) => tiles?.close(resolve))
  })

  it('draws the tiles of the view under the geofences, with the credit line', async () => {
    const config = await gw.api.request<BoardConfig>('GET', '/api/v1/board-config')
    expect(config.tileUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/tiles\/\{z\}\/\{x\}\/\{y\}\.png$/)
    const page = await browser.newPage({ viewport: { width: 1600, height: 900 }, locale: 'zh-CN' })
    await signIn(page, `${board.url}/map`, 'admin', ADMIN_PASSWORD)
    await expect.poll(() => page.getByTestId('map-geofence').count()).toBe(2)
    await page.getByTestId('map-tile').first().waitFor()
    expect(await page.getByTestId('map-grid').count()).toBe(0)
    await page.getByText('© 测试底图').waitFor()
    // The tile under the first home (31.23 N, 121.47 E) at the drawn zoom level was fetched
    // (Leaflet draws a fractional zoom with the tiles of the nearest level, scaled).
    const z = Math.round(Number(await page.getByTestId('map-view').getAttribute('data-zoom')))
    const [home] = tilesCovering([121.47, 31.23, 121.47, 31.23], z)
    const wanted = `/tiles/${z}/${home?.x}/${home?.y}.png`
    await waitFor(async () => tileRequests.includes(wanted), { what: `tile ${wanted}` })
    // Geofences are drawn above the tiles: what is under a geofence's edge is the geofence.
    const edge = await page.getByTestId('map-geofence').first().boundingBox()
    const hit = await page.evaluate(([x, y]) => document.elementFromPoint(x, y)?.getAttribute('data-testid'), [(edge?.x ?? 0) + 1, (edge?.y ?? 0) + (edge?.height ?? 0) / 2] as const)
    expect(hit).toBe('map-geofence')
    await screenshot(page, 'map-06-tiles')
  })
})
