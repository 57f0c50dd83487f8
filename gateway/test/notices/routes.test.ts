import type { AddressInfo } from 'node:net'
import Fastify, { type FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends, silentLogger, type OpenedBackend } from '../../../test/support/databases'
import type { Change } from '../../src/stream/change-log-store'
import { composeAlertEffects } from '../../src/alerts/effects'
import { loadConfig } from '../../src/config'
import { buildHttpApp } from '../../src/http/app'
import { httpErrorHandler } from '../../src/http/error-handler'
import { zodValidatorCompiler } from '../../src/http/zod-provider'
import { createMetrics } from '../../src/metrics'
import { listNotices, type Notice } from '../../src/notices/notice-store'
import { noticeRoutes } from '../../src/notices/notice-routes'
import { createNoticePlanner } from '../../src/notices/planner'
import { noticeReceiptRoutes } from '../../src/notices/receipt-routes'
import { signNotice } from '../../src/notices/signature'
import { ensureBootstrap } from '../../src/registry/bootstrap'
import { createDeviceAuthenticator } from '../../src/registry/device-auth'
import type { Db } from '../../src/storage/db'
import { bearer, login, userToken } from '../http/harness'
import { CONTACT_SECRET, STATION_SECRET, openAlert, seedElder, seedStation } from './fixtures'

const ADMIN_PASSWORD = 'admin-password-1'

describe.each(backends)('notice routes on $name', (backend) => {
  let opened: OpenedBackend
  let db: Db
  let tenantId: string
  let api: FastifyInstance
  let receipts: FastifyInstance
  let receiptBase: string
  let adminToken: string
  const receiptChanges: Change[] = []
  const planned = { stationA: '', stationB: '', police: {} as Notice, otherPolice: {} as Notice, family: {} as Notice, alertId: '' }

  beforeAll(async () => {
    opened = await backend.open()
    db = opened.db
    tenantId = (await ensureBootstrap(db, { tenantName: 'county-a', adminPassword: ADMIN_PASSWORD })).tenantId
    api = await buildHttpApp({
      db,
      config: loadConfig({ EG_LOG_LEVEL: 'silent', EG_DOCS: 'false' }),
      logger: silentLogger,
      metrics: createMetrics(),
      deviceAuth: createDeviceAuthenticator(db, { cacheTtlMs: 60_000 }),
      health: async () => ({}),
      plugins: [noticeRoutes({ db })],
    })
    // Mounted as the gateway mounts it: outside the bearer-token scope, under /api/v1.
    receipts = Fastify()
    receipts.setValidatorCompiler(zodValidatorCompiler)
    receipts.setErrorHandler(httpErrorHandler)
    await receipts.register(noticeReceiptRoutes({ db, logger: silentLogger, onChanges: (c) => receiptChanges.push(...c) }), { prefix: '/api/v1' })
    // A sibling route: the raw-body parser must stay inside the receipt plugin.
    receipts.post('/echo', async (request) => ({ parsed: request.body }))
    await receipts.listen({ port: 0, host: '127.0.0.1' })
    receiptBase = `http://127.0.0.1:${(receipts.server.address() as AddressInfo).port}`
    adminToken = await login(api, 'admin', ADMIN_PASSWORD)

    planned.stationA = await seedStation(db, tenantId, 'https://a.example/hook')
    planned.stationB = await seedStation(db, tenantId, 'https://b.example/hook')
    const effects = composeAlertEffects({ planners: [createNoticePlanner({ publicUrl: () => receiptBase })], wake: [] })
    const contacts = [{ name: '王强', webhookUrl: 'https://family.example/hook', secret: CONTACT_SECRET }]
    const elderA = await seedElder(db, tenantId, { policeStationId: planned.stationA, contacts })
    const elderB = await seedElder(db, tenantId, { policeStationId: planned.stationB })
    planned.alertId = (await openAlert(db, tenantId, elderA, 'safety.sos', 'red', effects)).id
    const otherAlert = await openAlert(db, tenantId, elderB, 'safety.sos', 'red', effects)
    const ofAlert = (await listNotices(db, { tenantId, alertId: planned.alertId }, { limit: 10, offset: 0 })).items
    planned.police = ofAlert.find((n) => n.audience === 'police') as Notice
    planned.family = ofAlert.find((n) => n.audience === 'family') as Notice
    planned.otherPolice = (await listNotices(db, { tenantId, alertId: otherAlert.id }, { limit: 10, offset: 0 })).items[0] as Notice
  })
  afterAll(async () => {
    await receipts.close()
    await api.close()
    await opened.cleanup()
  })

  const postReceipt = (noticeId: string, body: string, opts: { secret?: string; timestamp?: number; signature?: string } = {}) => {
    const timestamp = opts.timestamp ?? Math.floor(Date.now() / 1000)
    return fetch(`${receiptBase}/api/v1/notices/${noticeId}/receipt`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-eldergate-timestamp': String(timestamp),
        'x-eldergate-signature': opts.signature ?? signNotice(opts.secret ?? STATION_SECRET, timestamp, body),
      },
      body,
    })
  }

  it('GET /notices lists delivery state for staff, filtered by alert, status and audience', async () => {
    const res = await api.inject({ url: `/api/v1/notices?alertId=${planned.alertId}`, headers: bearer(adminToken) })
    expect(res.statusCode).toBe(200)
    const page = res.json() as { items: Notice[]; total: number }
    expect(page.total).toBe(2)
    expect(page.items.map((n) => n.audience).sort()).toEqual(['family', 'police'])
    expect(page.items[0]).toMatchObject({ status: 'pending', attempts: 0, lastError: null, receipt: null })
    expect(page.items[0]).not.toHaveProperty('body')

    const family = await api.inject({ url: `/api/v1/notices?alertId=${planned.alertId}&audience=family&status=pending`, headers: bearer(adminToken) })
    expect((family.json() as { items: Notice[] }).items.map((n) => n.id)).toEqual([planned.family.id])
    const bad = await api.inject({ url: '/api/v1/notices?status=lost', headers: bearer(adminToken) })
    expect(bad.statusCode).toBe(400)
    expect((await api.inject({ url: '/api/v1/notices' })).statusCode).toBe(401)

    const one = await api.inject({ url: `/api/v1/notices/${planned.police.id}`, headers: bearer(adminToken) })
    expect(JSON.parse((one.json() as { body: string }).body)).toMatchObject({ noticeId: planned.police.id, receiptUrl: `${receiptBase}/api/v1/notices/${planned.police.id}/receipt` })
  })

  it("police users see only their own station's police notices", async () => {
    const token = await userToken(api, adminToken, { username: 'officer-a', role: 'police', policeStationId: planned.stationA })
    const res = await api.inject({ url: '/api/v1/notices', headers: bearer(token) })
    expect((res.json() as { items: Notice[] }).items.map((n) => n.id)).toEqual([planned.police.id])
    expect((await api.inject({ url: `/api/v1/notices/${planned.family.id}`, headers: bearer(token) })).statusCode).toBe(404)
    expect((await api.inject({ url: `/api/v1/notices/${planned.otherPolice.id}`, headers: bearer(token) })).statusCode).toBe(404)
  })

  it('keeps its raw-body parser to itself', async () => {
    const res = await fetch(`${receiptBase}/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' })
    expect(await res.json()).toEqual({ parsed: { a: 1 } })
  })

  it('a forged, stale or missing signature is refused and changes nothing', async () => {
    const body = JSON.stringify({ status: 'accepted', caseNumber: 'FORGED-1' })
    const forged = await postReceipt(planned.police.id, body, { secret: 'not-the-station-secret' })
    expect(forged.status).toBe(401)
    expect(((await forged.json()) as { error: { code: string } }).error.code).toBe('UNAUTHENTICATED')
    const stale = await postReceipt(planned.police.id, body, { timestamp: Math.floor(Date.now() / 1000) - 6 * 60 })
    expect(stale.status).toBe(401)
    // Signed for another body: the MAC covers the raw bytes.
    const swapped = await postReceipt(planned.police.id, body, { signature: signNotice(STATION_SECRET, Math.floor(Date.now() / 1000), `${body} `) })
    expect(swapped.status).toBe(401)
    // A family notice is answered with its contact's secret, not a station's.
    expect((await postReceipt(planned.family.id, body)).status).toBe(401)
    const unsigned = await fetch(`${receiptBase}/api/v1/notices/${planned.police.id}/receipt`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
    expect(unsigned.status).toBe(401)
    expect((await postReceipt('no-such-notice', body)).status).toBe(404)
    const after = (await listNotices(db, { tenantId, alertId: planned.alertId, audience: 'police' }, { limit: 10, offset: 0 })).items[0]
    expect(after).toMatchObject({ status: 'pending', receipt: null })
    expect(receiptChanges).toEqual([])
  })

  it('a signed receipt marks the notice receipted with the case number, and shows in GET /notices', async () => {
    const invalid = await postReceipt(planned.police.id, JSON.stringify({ status: 'lost' }))
    expect(invalid.status).toBe(400)
    expect(((await invalid.json()) as { error: { fields: Array<{ path: string }> } }).error.fields[0]?.path).toBe('status')

    const received = await postReceipt(planned.police.id, JSON.stringify({ status: 'received' }))
    expect(received.status).toBe(200)
    const accepted = await postReceipt(planned.police.id, JSON.stringify({ status: 'accepted', caseNumber: '城关-2026-117', note: '民警已出发' }))
    expect(accepted.status).toBe(200)
    expect(await accepted.json()).toMatchObject({ id: planned.police.id, status: 'receipted', receipt: { status: 'accepted', caseNumber: '城关-2026-117', note: '民警已出发' } })
    expect(receiptChanges.map((c) => [c.topic, c.entityId, c.payload.change])).toEqual([
      ['notice', planned.police.id, 'receipted'],
      ['notice', planned.police.id, 'receipted'],
    ])

    const family = await postReceipt(planned.family.id, JSON.stringify({ status: 'received' }), { secret: CONTACT_SECRET })
    expect(family.status).toBe(200)

    const res = await api.inject({ url: `/api/v1/notices?alertId=${planned.alertId}&status=receipted&audience=police`, headers: bearer(adminToken) })
    expect((res.json() as { items: Notice[] }).items).toEqual([
      expect.objectContaining({ id: planned.police.id, status: 'receipted', receipt: expect.objectContaining({ status: 'accepted', caseNumber: '城关-2026-117' }) }),
    ])
  })
})
