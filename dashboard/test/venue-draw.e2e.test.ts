import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { seedElders } from '../../test/support/api-client'
import { waitFor } from '../../test/support/gateway'
import type { Venue } from '../src/types'
import { startBoardFixture, type BoardFixture } from './support/board-fixture'
import { hasChromium, screenshot } from './support/browser'
import { centreOf, degreesIn, drag, mapViewOf, placeAt, screenOf, type MapViewState, type Point } from './support/map-geometry'

/**
 * Drawing venues on the map (issue 16, leaflet-geoman) in real headless Chromium against a real
 * gateway, as an operator: a polygon drawn corner by corner with the mouse is saved with the
 * WGS-84 corners under the clicks; dragging one corner of it saves that corner alone moved; a
 * circle drawn by centre and radius is saved as one. The expected places come from the map's
 * view and the Web Mercator formulas (support/map-geometry.ts), not from Leaflet.
 */
const OPERATOR = { username: 'duty-operator', password: 'duty-operator-password' }

describe.skipIf(!hasChromium && !process.env.CI)('drawing venues on the map', () => {
  let fx: BoardFixture
  let page: Page

  beforeAll(async () => {
    fx = await startBoardFixture({ viewport: { width: 1600, height: 900 } })
    page = fx.page
    await seedElders(fx.gw.api, 2, { prefix: '赵奶奶' })
    // The venues page fits the venues: one small one brings the map to street level (~1 m a pixel).
    await fx.gw.api.request('POST', '/api/v1/venues', { name: '社区卫生服务站', kind: 'care', lat: 31.231, lon: 121.47, radiusM: 150 })
    await fx.gw.api.request('POST', '/api/v1/users', { ...OPERATOR, role: 'operator' })
    await fx.signIn(OPERATOR.username, OPERATOR.password)
  })
  afterAll(() => fx?.close())

  const venues = () => fx.gw.api.request<{ items: Venue[] }>('GET', '/api/v1/venues?limit=100').then((r) => r.items)
  /** A point of the map box at fractions of its width and height. */
  const at = (view: MapViewState, fx_: number, fy: number): Point => ({ x: view.box.x + view.box.width * fx_, y: view.box.y + view.box.height * fy })
  /** Within a pixel and a half of where it was put (Leaflet keeps the map on whole pixels). */
  const near = (view: MapViewState, got: readonly number[] | undefined, want: { lat: number; lon: number }) => {
    expect(Math.abs((got?.[0] ?? 0) - want.lat)).toBeLessThan(degreesIn(view, 1.5))
    expect(Math.abs((got?.[1] ?? 0) - want.lon)).toBeLessThan(degreesIn(view, 1.5))
  }

  it('saves a polygon drawn with the mouse with the WGS-84 corners under the clicks', async () => {
    await page.getByRole('link', { name: '场所', exact: true }).click()
    await page.getByTestId('map-view').waitFor()
    await page.getByTestId('venue-new').click()
    await page.getByTestId('venue-name').fill('红枫养生会馆')
    await page.getByTestId('venue-kind').selectOption('sales')
    await page.getByTestId('venue-draw-polygon').click()
    await page.getByTestId('venue-draw-hint').filter({ hasText: '点击第一个顶点完成' }).waitFor()

    const view = await mapViewOf(page)
    // Left of the venue the view is fitted to, on empty ground.
    const corners = [at(view, 0.12, 0.3), at(view, 0.32, 0.28), at(view, 0.35, 0.65), at(view, 0.15, 0.7)]
    for (const c of corners) await page.mouse.click(c.x, c.y)
    // Clicking the first corner again closes the outline.
    await page.mouse.click(corners[0]?.x ?? 0, corners[0]?.y ?? 0)
    await page.locator('[data-testid="map-draft"][data-shape="polygon"]').waitFor()
    await page.getByTestId('venue-form').filter({ hasText: '多边形（4 个顶点）' }).waitFor()
    await screenshot(page, 'venue-draw-01-polygon')
    await page.getByTestId('venue-save').click()
    await page.getByTestId('venue-row').filter({ hasText: '红枫养生会馆' }).waitFor()

    const saved = (await venues()).find((v) => v.name === '红枫养生会馆')
    expect(saved).toMatchObject({ kind: 'sales', lat: null, lon: null, radiusM: null })
    expect(saved?.polygon).toHaveLength(4)
    corners.forEach((c, i) => near(view, saved?.polygon?.[i], placeAt(view, c)))
  })

  it('moves one corner when it is dragged, and keeps the others', async () => {
    const before = (await venues()).find((v) => v.name === '红枫养生会馆')
    const polygon = before?.polygon ?? []
    await page.getByTestId('venue-row').filter({ hasText: '红枫养生会馆' }).getByTestId('venue-edit').click()
    await page.locator('[data-testid="map-draft"][data-shape="polygon"]').waitFor()
    const view = await mapViewOf(page)
    // geoman's corner handles (the midpoint ones add a corner): the one on the first corner.
    const first = screenOf(view, { lat: polygon[0]?.[0] ?? 0, lon: polygon[0]?.[1] ?? 0 })
    const handles = page.locator('.marker-icon:not(.marker-icon-middle)')
    await expect.poll(() => handles.count()).toBe(4)
    const boxes = await handles.evaluateAll((els) => els.map((el) => el.getBoundingClientRect()).map((r) => ({ x: r.x + r.width / 2, y: r.y + r.height / 2 })))
    const handle = boxes.find((b) => Math.hypot(b.x - first.x, b.y - first.y) < 3)
    expect(handle, `a handle at ${JSON.stringify(first)} among ${JSON.stringify(boxes)}`).toBeDefined()
    if (handle === undefined) return
    const moved = { x: handle.x - 40, y: handle.y + 30 }
    await drag(page, handle, moved)
    await screenshot(page, 'venue-draw-02-corner-dragged')
    await page.getByTestId('venue-save').click()
    await page.getByTestId('venue-form').waitFor({ state: 'detached' })

    const after = await waitFor(
      async () => {
        const v = (await venues()).find((x) => x.id === before?.id)
        return v?.polygon?.[0]?.[0] !== polygon[0]?.[0] ? v : undefined
      },
      { what: 'the dragged corner saved' },
    )
    near(view, after.polygon?.[0], placeAt(view, moved))
    expect(after.polygon?.slice(1)).toEqual(polygon.slice(1))
  })

  it('saves a circle drawn by its centre and a point of its edge', async () => {
    await page.getByTestId('venue-new').click()
    await page.getByTestId('venue-name').fill('金色年华旅游咨询点')
    await page.getByTestId('venue-kind').selectOption('travel')
    await page.getByTestId('venue-draw-circle').click()
    const view = await mapViewOf(page)
    const centre = at(view, 0.8, 0.25)
    const edge = { x: centre.x + 60, y: centre.y }
    await page.mouse.click(centre.x, centre.y)
    await page.mouse.move(edge.x, edge.y, { steps: 6 })
    await page.mouse.click(edge.x, edge.y)
    await page.locator('[data-testid="map-draft"][data-shape="circle"]').waitFor()
    const place = placeAt(view, centre)
    // The form shows the drawn circle's numbers (six decimals, whole metres).
    await expect.poll(async () => Number(await page.getByTestId('venue-lat').inputValue())).toBeCloseTo(place.lat, 4)
    const metresPerPixel = (40_075_016.686 * Math.cos((place.lat * Math.PI) / 180)) / (256 * 2 ** view.zoom)
    expect(Number(await page.getByTestId('venue-radiusM').inputValue())).toBeCloseTo(60 * metresPerPixel, -1)
    await page.getByTestId('venue-save').click()
    await page.getByTestId('venue-row').filter({ hasText: '金色年华旅游咨询点' }).waitFor()
    const saved = (await venues()).find((v) => v.name === '金色年华旅游咨询点')
    expect(saved).toMatchObject({ kind: 'travel', polygon: null })
    near(view, [saved?.lat ?? 0, saved?.lon ?? 0], place)
    expect(Math.abs((saved?.radiusM ?? 0) - 60 * metresPerPixel)).toBeLessThan(2 * metresPerPixel)
    // Drawn where it was saved: the venue's circle is centred on the click.
    const drawn = await centreOf(page, `[data-testid="map-venue"][data-venue-id="${saved?.id}"]`)
    expect(Math.hypot(drawn.x - centre.x, drawn.y - centre.y)).toBeLessThan(2)
    await screenshot(page, 'venue-draw-03-circle')
  })
})
