import type { MqttClient } from 'mqtt'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fixes, MIN } from '../../gateway/test/e2e/tracks'
import { seedElders, type SeededDevice } from '../../test/support/api-client'
import { ADMIN_PASSWORD, connectDevice, startTestGateway, waitFor, type TestGateway } from '../../test/support/gateway'
import { startBoardServer, type BoardServer } from './support/board-server'
import { buildDashboard } from './support/build'
import { hasChromium, launchChromium, screenshot } from './support/browser'

/**
 * The admin pages in real Chromium against a real gateway (embedded PGlite and broker): rule
 * thresholds checked in the page and saved as a new version, a backtest over an SOS sent over
 * MQTT, an operator's read-only view, and a police account created, bound to a station and
 * signed in. Every wait is on a condition in the page or the API.
 */
interface RulesBody {
  version: number
  stored: { rules?: Record<string, Record<string, unknown>> }
  config: { rules: Record<string, Record<string, unknown>> }
}

describe.skipIf(!hasChromium && !process.env.CI)('admin pages in a browser', () => {
  let gw: TestGateway
  let board: BoardServer
  let browser: Browser
  let admin: Page
  let devices: SeededDevice[]
  let stationId: string
  const clients: MqttClient[] = []

  beforeAll(async () => {
    const [distDir, started] = await Promise.all([buildDashboard(), startTestGateway({ storage: 'pglite' })])
    gw = started
    devices = await seedElders(gw.api, 2, { prefix: '王大爷' })
    const station = await gw.api.request<{ id: string }>('POST', '/api/v1/police-stations', {
      name: '幸福路派出所',
      webhookUrl: 'http://127.0.0.1:9/hook',
      secret: 'a-station-secret-of-16+',
      format: 'json',
    })
    stationId = station.id
    await gw.api.request('POST', '/api/v1/users', { username: 'night.li', password: 'operator-pass-1', role: 'operator' })
    board = await startBoardServer({ distDir, gatewayUrl: `http://127.0.0.1:${gw.gateway.httpPort}` })
    browser = await launchChromium()
    admin = await signedIn('admin', ADMIN_PASSWORD)
  })

  afterAll(async () => {
    for (const client of clients) client.end(true)
    await browser?.close()
    await board?.close()
    await gw?.stop()
  })

  async function signedIn(username: string, password: string): Promise<Page> {
    const page = await (await browser.newContext({ viewport: { width: 1920, height: 1080 }, locale: 'zh-CN' })).newPage()
    await page.goto(board.url)
    await page.getByLabel('用户名').fill(username)
    await page.getByLabel('密码').fill(password)
    await page.getByRole('button', { name: '登录' }).click()
    await page.getByTestId('who').filter({ hasText: username }).waitFor()
    return page
  }

  const rules = () => gw.api.request<RulesBody>('GET', '/api/v1/rules')
  const field = (page: Page, id: string) => page.locator(`[data-field="${id}"]`)

  it('refuses an out-of-range threshold in the page and saves nothing', async () => {
    await admin.getByRole('link', { name: '规则' }).click()
    await admin.getByTestId('rules-page').waitFor()
    const yellow = field(admin, 'venue.repeat/yellowVisits')
    await yellow.locator('input').fill('0')
    await yellow.getByTestId('field-error').filter({ hasText: '必须大于 0' }).waitFor()
    expect(await admin.getByTestId('rules-save').isDisabled()).toBe(true)
    // A value in range that breaks the order of the levels is caught too, naming the other field.
    await yellow.locator('input').fill('3')
    await yellow.getByTestId('field-error').filter({ hasText: '必须小于「橙色：到访次数」' }).waitFor()
    await admin.getByTestId('rules-invalid').waitFor()
    await screenshot(admin, 'admin-01-rules-invalid')
    expect(await admin.getByTestId('rules-save').isDisabled()).toBe(true)
    expect((await rules()).version).toBe(0)
    await admin.getByRole('button', { name: '撤销修改' }).click()
    await yellow.getByTestId('field-error').waitFor({ state: 'detached' })
  })

  it('saves a valid threshold as a new version after showing the change', async () => {
    await field(admin, 'venue.repeat/minDwellMs').locator('input').fill('15')
    await admin.getByTestId('rules-save').click()
    const dialog = admin.getByTestId('rules-confirm')
    await dialog.getByTestId('rules-diff').filter({ hasText: '计为一次到访的最短停留' }).filter({ hasText: '20 分钟' }).filter({ hasText: '15 分钟' }).waitFor()
    await dialog.getByLabel('修改说明').fill('讲座一般 15 分钟就开始推销')
    await screenshot(admin, 'admin-02-rules-confirm')
    await dialog.getByTestId('rules-confirm-save').click()
    await admin.getByTestId('rules-version').filter({ hasText: 'v1' }).waitFor()

    const after = await rules()
    expect(after.version).toBe(1)
    expect(after.config.rules['venue.repeat']?.minDwellMs).toBe(15 * 60_000)
    // Only the change is stored: everything else keeps following the defaults.
    expect(after.stored.rules).toEqual({ 'venue.repeat': { minDwellMs: 15 * 60_000 } })
    await admin.getByTestId('rules-versions').locator('tr[data-version="1"]').filter({ hasText: '讲座一般 15 分钟就开始推销' }).waitFor()
  })

  it('backtests the unsaved edit against the live rules: an SOS and a lecture visit sent over MQTT', async () => {
    const d = devices[0] as SeededDevice
    const watch = await connectDevice(gw.mqttUrl, d.id, d.secret)
    clients.push(watch)
    await watch.publishAsync(`eg/v1/${d.id}/event`, JSON.stringify({ ts: Date.now() - 60_000, type: 'sos' }), { qos: 1 })
    // One 45-minute stay at a sales lecture: below the default yellow (2 visits), above an edited 1.
    const hall = { lat: 31.25, lon: 121.5 }
    await gw.api.request('POST', '/api/v1/venues', { name: '健康讲座会场', kind: 'sales', lat: hall.lat, lon: hall.lon, radiusM: 80 })
    const e = devices[1] as SeededDevice
    const start = Date.now() - 4 * 60 * MIN
    const track = [...fixes(start, start + 30 * MIN, 5 * MIN, e.home), ...fixes(start + 30 * MIN, start + 75 * MIN, 2 * MIN, hall), ...fixes(start + 80 * MIN, Date.now() - 10 * MIN, 5 * MIN, e.home)]
    const second = await connectDevice(gw.mqttUrl, e.id, e.secret)
    clients.push(second)
    for (let i = 0; i < track.length; i += 12) await second.publishAsync(`eg/v1/${e.id}/telemetry`, JSON.stringify(track.slice(i, i + 12)), { qos: 1 })
    await gw.gateway.settle()
    await waitFor(async () => ((await gw.api.request<{ items: unknown[] }>('GET', '/api/v1/alerts?rule=safety.sos')).items.length > 0 ? true : null), {
      what: 'the SOS alert',
    })
    // The board learns of the alert from the stream; the "alerts raised" column counts it.
    await admin.reload()
    await admin.getByTestId('rules-page').waitFor()

    // Switch SOS off and lower yellow to one visit, on the page only: the backtest runs the edit, nothing is saved.
    await admin.locator('[data-rule="safety.sos"] .rule-toggle input').uncheck()
    await field(admin, 'venue.repeat/yellowVisits').locator('input').fill('1')
    await admin.getByTestId('bt-run').click()
    const row = admin.locator('[data-testid="bt-rule"][data-rule="safety.sos"]')
    await row.waitFor()
    expect(await row.getAttribute('data-edited')).toBe('0')
    expect(await row.getAttribute('data-live')).toBe('1')
    await row.filter({ hasText: '−1 减少' }).waitFor()
    expect((await row.locator('td').last().textContent())?.trim()).toBe('1')
    await admin.getByTestId('bt-sample').filter({ hasText: '不再产生' }).filter({ hasText: '王大爷-0' }).waitFor()
    const visits = admin.locator('[data-testid="bt-rule"][data-rule="venue.repeat"]')
    await visits.filter({ hasText: '+1 新增' }).waitFor()
    expect([await visits.getAttribute('data-edited'), await visits.getAttribute('data-live')]).toEqual(['1', '0'])
    await admin.getByTestId('bt-sample').filter({ hasText: '新增' }).filter({ hasText: '王大爷-1' }).filter({ hasText: '反复前往高风险场所' }).waitFor()
    await screenshot(admin, 'admin-03-backtest', { fullPage: true })
    expect((await rules()).version).toBe(1)

    // A range the gateway refuses: a plain error, not an empty result.
    const tomorrow = new Date(Date.now() + 86_400_000)
    const iso = `${tomorrow.getFullYear()}-${String(tomorrow.getMonth() + 1).padStart(2, '0')}-${String(tomorrow.getDate()).padStart(2, '0')}`
    await admin.getByTestId('bt-from').fill(iso)
    await admin.getByTestId('bt-run').click()
    await admin.getByTestId('bt-error').filter({ hasText: '回测失败' }).waitFor()
    expect(await admin.getByTestId('bt-result').count()).toBe(0)
  })

  it('shows an operator the rules read-only and no Users page', async () => {
    const operator = await signedIn('night.li', 'operator-pass-1')
    await operator.getByTestId('who').filter({ hasText: '值班员' }).waitFor()
    expect(await operator.getByRole('link', { name: '用户' }).count()).toBe(0)
    await operator.getByRole('link', { name: '规则' }).click()
    await operator.getByTestId('rules-read-only').waitFor()
    expect(await operator.getByTestId('rules-save').count()).toBe(0)
    expect(await field(operator, 'venue.repeat/minDwellMs').locator('input').inputValue()).toBe('15')
    expect(await field(operator, 'venue.repeat/minDwellMs').locator('input').isEditable()).toBe(false)
    await screenshot(operator, 'admin-04-rules-operator')
    await operator.goto(`${board.url}/users`)
    await operator.getByTestId('no-permission').filter({ hasText: '没有权限' }).waitFor()
    await operator.context().close()
  })

  it('creates a police user bound to a station, who signs in as 民警', async () => {
    await admin.getByRole('link', { name: '用户' }).click()
    const form = admin.getByTestId('user-create')
    await form.getByLabel('用户名').fill('police.wang')
    await form.getByLabel('密码').fill('short')
    await form.getByLabel('角色').selectOption('police')
    await form.getByTestId('user-create-submit').click()
    await form.getByTestId('field-error').filter({ hasText: '密码至少 10 位' }).waitFor()
    await form.getByTestId('field-error').filter({ hasText: '民警账号必须绑定派出所' }).waitFor()
    await screenshot(admin, 'admin-05-user-invalid')

    await form.getByLabel('密码').fill('police-pass-1')
    await form.getByLabel('派出所').selectOption(stationId)
    await form.getByTestId('user-create-submit').click()
    const row = admin.locator('[data-testid="user-row"][data-username="police.wang"]')
    await row.getByTestId('user-station').filter({ hasText: '幸福路派出所' }).waitFor()
    expect(await form.getByLabel('密码').inputValue()).toBe('')
    const users = await gw.api.request<{ items: Array<Record<string, unknown>> }>('GET', '/api/v1/users')
    const created = users.items.find((u) => u.username === 'police.wang')
    expect(created).toMatchObject({ role: 'police', policeStationId: stationId, disabled: false })
    expect(await admin.locator('.users-page').textContent()).not.toMatch(/scrypt|\$[0-9a-z]+\$/)

    // The gateway's own answer lands next to the field: a username already taken.
    await form.getByLabel('用户名').fill('police.wang')
    await form.getByLabel('密码').fill('another-pass-2')
    await form.getByLabel('角色').selectOption('operator')
    await form.getByTestId('user-create-submit').click()
    await form.getByTestId('field-error').filter({ hasText: 'not available' }).waitFor()
    await screenshot(admin, 'admin-06-users')

    const police = await signedIn('police.wang', 'police-pass-1')
    await police.getByTestId('who').filter({ hasText: 'police.wang · 民警' }).waitFor()
    expect(await police.getByRole('link', { name: '用户' }).count()).toBe(0)
    expect(await police.getByRole('link', { name: '规则' }).count()).toBe(0)
    await screenshot(police, 'admin-07-police-signed-in')
    await police.context().close()
  })

  it('changes a role: police needs a station, another role drops it', async () => {
    const row = admin.locator('[data-testid="user-row"][data-username="night.li"]')
    await row.getByLabel('角色').selectOption('police')
    await row.getByTestId('user-apply').click()
    await row.getByTestId('field-error').filter({ hasText: '民警账号必须绑定派出所' }).waitFor()
    await row.locator('select').nth(1).selectOption(stationId)
    await row.getByTestId('user-apply').click()
    await row.getByTestId('user-station').filter({ hasText: '幸福路派出所' }).waitFor()
    const user = async () => (await gw.api.request<{ items: Array<Record<string, unknown>> }>('GET', '/api/v1/users')).items.find((u) => u.username === 'night.li')
    expect(await user()).toMatchObject({ role: 'police', policeStationId: stationId })
    await row.getByLabel('角色').selectOption('operator')
    await row.getByTestId('user-apply').click()
    await row.getByTestId('user-station').filter({ hasText: '—' }).waitFor()
    expect(await user()).toMatchObject({ role: 'operator', policeStationId: null })
  })

  it('disables an account (it can no longer sign in) and enables it again', async () => {
    const row = admin.locator('[data-testid="user-row"][data-username="police.wang"]')
    await row.getByTestId('user-toggle').click()
    await admin.locator('[data-testid="user-row"][data-username="police.wang"][data-disabled="true"]').waitFor()
    const refused = await gw.api.raw('POST', '/api/v1/auth/login', { username: 'police.wang', password: 'police-pass-1' })
    expect(refused.status).toBeGreaterThanOrEqual(400)
    await row.getByTestId('user-toggle').click()
    await admin.locator('[data-testid="user-row"][data-username="police.wang"][data-disabled="false"]').waitFor()

    await row.getByLabel('重置密码 police.wang').fill('police-pass-2')
    await row.getByTestId('user-reset-password').click()
    await admin.getByTestId('toast').filter({ hasText: '密码已重置' }).waitFor()
    expect(await row.getByLabel('重置密码 police.wang').inputValue()).toBe('')
    const fresh = await gw.api.raw('POST', '/api/v1/auth/login', { username: 'police.wang', password: 'police-pass-2' })
    expect(fresh.status).toBe(200)
  })
})
