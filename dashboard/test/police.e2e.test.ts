import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { seedElders, type SeededDevice } from '../../test/support/api-client'
import { waitFor } from '../../test/support/gateway'
import { startBoardFixture, type BoardFixture } from './support/board-fixture'
import { hasChromium, screenshot } from './support/browser'

/**
 * A police officer's board (DESIGN §4 roles, gateway/src/stream/visibility.ts): two stations,
 * elders of each, red SOS alerts for both raised over real MQTT; the officer of station A sees
 * A's red alert — from the REST load and live from the stream — and nothing of station B, no
 * non-red alert of A, no acknowledge/assign/resolve controls and no Reports page.
 */
interface Alert {
  id: string
  elderId: string
  level: string
  rule: string
}

const OFFICER = { username: 'officer-a', password: 'officer-a-password' }

describe.skipIf(!hasChromium && !process.env.CI)('police board in a browser', () => {
  let f: BoardFixture
  let station: Server
  let stationA: SeededDevice[]
  let stationB: SeededDevice[]

  beforeAll(async () => {
    // The stations' webhooks: a real HTTP server that takes every notice (delivery is not under test here).
    station = createServer((req, res) => req.resume().on('end', () => res.writeHead(204).end()))
    await new Promise<void>((resolve) => station.listen(0, '127.0.0.1', resolve))
    const hook = `http://127.0.0.1:${(station.address() as AddressInfo).port}`
    f = await startBoardFixture({ viewport: { width: 1600, height: 900 } })
    const api = f.gw.api
    const addStation = (name: string, path: string) =>
      api.request<{ id: string }>('POST', '/api/v1/police-stations', { name, webhookUrl: `${hook}${path}`, secret: 'station-secret-0123456789', format: 'json' })
    const a = await addStation('城东派出所', '/a')
    const b = await addStation('城西派出所', '/b')
    stationA = await seedElders(api, 2, { prefix: '东区王阿姨' })
    stationB = await seedElders(api, 2, { prefix: '西区李大爷', centre: { lat: 31.3, lon: 121.5 } })
    for (const [devices, id] of [[stationA, a.id], [stationB, b.id]] as const) {
      for (const d of devices) await api.request('PATCH', `/api/v1/elders/${d.elderId}`, { policeStationId: id })
    }
    await api.request('POST', '/api/v1/users', { ...OFFICER, role: 'police', policeStationId: a.id })
  })

  afterAll(async () => {
    await f?.close()
    await new Promise((resolve) => station?.close(resolve))
  })

  /** The alert as the admin sees it, once the gateway has raised it. */
  function alertOf(d: SeededDevice, rule: string): Promise<Alert> {
    return waitFor(
      async () => (await f.gw.api.request<{ items: Alert[] }>('GET', `/api/v1/alerts?elderId=${d.elderId}`)).items.find((x) => x.rule === rule),
      { what: `${rule} for ${d.elderId}` },
    )
  }

  const html = () => f.page.evaluate(() => document.documentElement.outerHTML)

  it('shows station A red alerts only, without staff controls', async () => {
    const [a0, a1] = stationA
    const [b0] = stationB
    if (a0 === undefined || a1 === undefined || b0 === undefined) throw new Error('seeding failed')
    // Before sign-in: red for both stations, and a green maintenance alert for station A.
    await f.publishEvent(a0, 'sos')
    await f.publishEvent(b0, 'sos')
    await f.publishEvent(a1, 'low_battery')
    const redA = await alertOf(a0, 'safety.sos')
    const redB = await alertOf(b0, 'safety.sos')
    const greenA = await alertOf(a1, 'device.battery')
    expect([redA.level, redB.level, greenA.level]).toEqual(['red', 'red', 'green'])

    const page = f.page
    await f.signIn(OFFICER.username, OFFICER.password)
    await page.getByTestId('who').filter({ hasText: `${OFFICER.username} · 民警` }).waitFor()
    await page.getByTestId('stream-status').and(page.locator('[data-status="live"]')).waitFor()

    const rowA = page.locator(`[data-testid="alert-row"][data-alert-id="${redA.id}"]`)
    await rowA.waitFor()
    expect(await rowA.getAttribute('data-level')).toBe('red')
    // The summary in Chinese from rule + evidence, with the gateway's sentence (the elder's name) beside it.
    expect(await rowA.getByTestId('alert-summary').textContent()).toMatch(/^按下 SOS 紧急求救.*东区王阿姨-0/)
    await expect.poll(() => page.getByTestId('alert-row').count()).toBe(1)

    // Live: B's fall is committed before A's is raised, so on the one ordered stream it comes
    // first; A's fall showing means B's had its chance to arrive and the gateway held it back.
    await f.publishEvent(b0, 'fall')
    const fallB = await alertOf(b0, 'safety.fall')
    await f.publishEvent(a0, 'fall')
    const fallA = await alertOf(a0, 'safety.fall')
    await page.locator(`[data-testid="alert-row"][data-alert-id="${fallA.id}"]`).waitFor()
    expect(await page.getByTestId('alert-row').count()).toBe(2)

    const dom = await html()
    for (const hidden of [redB.id, fallB.id, greenA.id, b0.elderId, '西区李大爷']) expect(dom, hidden).not.toContain(hidden)
    // Positive control: A's elder (the row's id, the gateway's sentence with the name) is on the page.
    expect(dom).toContain(a0.elderId)
    expect(dom).toContain('东区王阿姨-0')

    // Police only read: no acknowledge, assign or resolve on their rows.
    for (const control of ['ack', 'assign', 'resolve']) expect(await page.getByTestId(control).count(), control).toBe(0)
    await screenshot(page, 'police-01-board')

    // Reports are staff-only: no nav link, and the route says so.
    expect(await page.getByRole('link', { name: '报表' }).count()).toBe(0)
    await page.evaluate(() => {
      history.pushState(null, '', '/reports')
      dispatchEvent(new PopStateEvent('popstate'))
    })
    await page.getByTestId('no-permission').waitFor()
    await screenshot(page, 'police-02-no-reports')
  })

  it('shows no elder, venue or drawing tool on the Leaflet map pages opened by address', async () => {
    const page = f.page
    // Staff did set a venue up: the officer's map must not show it either.
    await f.gw.api.request('POST', '/api/v1/venues', { name: '西区理财讲座点', kind: 'investment', lat: 31.3, lon: 121.5, radiusM: 80 })
    expect(await page.getByRole('link', { name: '地图', exact: true }).count()).toBe(0)
    for (const path of ['/map', '/venues']) {
      await page.evaluate((to) => {
        history.pushState(null, '', to)
        dispatchEvent(new PopStateEvent('popstate'))
      }, path)
      await page.locator('.leaflet-container').waitFor()
      // Give the page its data loads (refused for police) before counting what it drew.
      await page.waitForLoadState('networkidle')
      for (const testId of ['map-geofence', 'map-elder-position', 'map-venue', 'map-candidate', 'map-draft', 'venue-new', 'venue-edit', 'venue-draw-polygon', 'venue-draw-circle']) {
        expect(await page.getByTestId(testId).count(), `${path}: ${testId}`).toBe(0)
      }
      // No shape to drag: no geoman handles; a click on the map places nothing.
      expect(await page.locator('.marker-icon').count()).toBe(0)
      const box = await page.getByTestId('map-view').boundingBox()
      await page.mouse.click((box?.x ?? 0) + 60, (box?.y ?? 0) + 60)
      expect(await page.getByTestId('map-draft').count()).toBe(0)
      const dom = await html()
      for (const hidden of ['西区李大爷', '东区王阿姨', '西区理财讲座点']) expect(dom, `${path}: ${hidden}`).not.toContain(hidden)
    }
    await screenshot(page, 'police-03-venues-map')
  })
})
