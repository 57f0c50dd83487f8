import { Writable } from 'node:stream'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import pino from 'pino'
import { backends, silentLogger, type OpenedBackend } from '../../../test/support/databases'
import { waitFor } from '../../../test/support/gateway'
import { readChanges, type Change } from '../../src/stream/change-log-store'
import { composeAlertEffects } from '../../src/alerts/effects'
import { createMetrics } from '../../src/metrics'
import { validateCap } from '../../src/notices/cap'
import { createNoticeDeliverer, type NoticeDeliverer, type NoticeDelivererOptions } from '../../src/notices/deliverer'
import { listNotices, type Notice } from '../../src/notices/notice-store'
import { createNoticePlanner } from '../../src/notices/planner'
import type { Db } from '../../src/storage/db'
import { CONTACT_SECRET, STATION_SECRET, openAlert, seedElder, seedStation, seedTenant } from './fixtures'
import { startStation, type TestStation } from './station'

/** Fast retries for tests; the policy itself is unit-tested in signature.test.ts. */
const FAST = { backoff: { baseMs: 20, factor: 2, capMs: 200 }, fetchTimeoutMs: 2_000, pollMs: 1_000, webhookAllow: '127.0.0.1/32' }

describe.each(backends)('notice delivery on $name', (backend) => {
  let opened: OpenedBackend
  let db: Db
  let tenantId: string
  const stations: TestStation[] = []
  const deliverers: NoticeDeliverer[] = []

  beforeAll(async () => {
    opened = await backend.open()
    db = opened.db
    tenantId = await seedTenant(db)
  })
  afterEach(async () => {
    for (const d of deliverers.splice(0)) await d.stop()
    for (const s of stations.splice(0)) await s.close()
  })
  afterAll(() => opened.cleanup())

  const station = async (...args: Parameters<typeof startStation>) => {
    const s = await startStation(...args)
    stations.push(s)
    return s
  }
  const deliverer = (opts: Partial<NoticeDelivererOptions> = {}) => {
    const d = createNoticeDeliverer({ db, logger: silentLogger, ...FAST, ...opts })
    deliverers.push(d)
    return d
  }
  const notice = async (alertId: string, audience: 'police' | 'family' = 'police'): Promise<Notice | undefined> =>
    (await listNotices(db, { tenantId, alertId, audience }, { limit: 10, offset: 0 })).items[0]

  it.each(['json', 'cap'] as const)('a %s station that fails three times gets the notice on the 4th attempt, once per key', async (format) => {
    const police = await station(STATION_SECRET, (_n, attempt) => (attempt <= 3 ? 500 : 200))
    const stationId = await seedStation(db, tenantId, police.url, format)
    const elderId = await seedElder(db, tenantId, { policeStationId: stationId })
    const metrics = createMetrics()
    const worker = deliverer({ metrics })
    const streamed: Change[] = []
    worker.onChanges((changes) => streamed.push(...changes))
    worker.start()
    const effects = composeAlertEffects({ planners: [createNoticePlanner()], wake: [() => worker.wake()] })

    const alert = await openAlert(db, tenantId, elderId, format === 'cap' ? 'safety.fall' : 'venue.repeat', 'red', effects)
    const delivered = await waitFor(async () => {
      const n = await notice(alert.id)
      return n?.status === 'delivered' ? n : undefined
    }, { what: 'notice delivered' })

    expect(delivered).toMatchObject({ attempts: 4, lastStatus: 200, lastError: null })
    expect(delivered.deliveredAt).not.toBeNull()
    const posts = police.received.filter((r) => r.idempotencyKey === delivered.id)
    expect(posts.map((p) => p.answered)).toEqual([500, 500, 500, 200])
    expect(police.received.filter((r) => r.answered === 200).map((r) => r.idempotencyKey)).toEqual([delivered.id])
    for (const post of posts) {
      expect(post.signatureValid).toBe(true)
      expect(post.contentType).toBe(format === 'cap' ? 'application/cap+xml' : 'application/json')
      expect(Math.abs(post.timestamp - Date.now() / 1000)).toBeLessThan(300)
    }
    // Every retry sends the identical bytes rendered at planning time.
    expect(new Set(posts.map((p) => p.body)).size).toBe(1)
    const body = posts[0]?.body ?? ''
    if (format === 'cap') {
      expect(validateCap(body)).toEqual([])
      expect(body).toContain(`<identifier>${delivered.id}</identifier>`)
    } else {
      expect(JSON.parse(body)).toMatchObject({ noticeId: delivered.id, alertId: alert.id, level: 'red', rule: 'venue.repeat', elder: { name: '王秀英' } })
    }

    // The board saw each step, in commit order, from the planner and the deliverer.
    const log = (await readChanges(db, tenantId, 0, 10_000)).filter((c) => c.entityId === delivered.id)
    expect(log.map((c) => c.payload.change)).toEqual(['planned', 'retry', 'retry', 'retry', 'delivered'])
    expect(streamed.filter((c) => c.entityId === delivered.id).map((c) => c.payload.change)).toEqual(['retry', 'retry', 'retry', 'delivered'])
    expect(await metrics.registry.getSingleMetricAsString('eg_notice_attempts_total')).toContain('audience="police",outcome="retry"} 3')
  })

  it('family notices go to each contact webhook, signed with the contact secret', async () => {
    const family = await station(CONTACT_SECRET, () => 204)
    const elderId = await seedElder(db, tenantId, { contacts: [{ name: '王强', relation: 'son', webhookUrl: family.url, secret: CONTACT_SECRET }] })
    const worker = deliverer()
    worker.start()
    const effects = composeAlertEffects({ planners: [createNoticePlanner()], wake: [() => worker.wake()] })
    const alert = await openAlert(db, tenantId, elderId, 'absence.overnight', 'orange', effects)
    const delivered = await waitFor(async () => {
      const n = await notice(alert.id, 'family')
      return n?.status === 'delivered' ? n : undefined
    })
    expect(delivered).toMatchObject({ attempts: 1, lastStatus: 204 })
    expect(family.received).toEqual([expect.objectContaining({ idempotencyKey: delivered.id, signatureValid: true, answered: 204 })])
  })

  it('notices committed while no deliverer ran (a crash after the alert) are sent on start', async () => {
    const police = await station(STATION_SECRET, () => 200)
    const stationId = await seedStation(db, tenantId, police.url)
    const elderId = await seedElder(db, tenantId, { policeStationId: stationId })
    const effects = composeAlertEffects({ planners: [createNoticePlanner()], wake: [] })
    const alert = await openAlert(db, tenantId, elderId, 'safety.sos', 'red', effects)
    expect(await notice(alert.id)).toMatchObject({ status: 'pending', attempts: 0 })

    deliverer().start()
    await waitFor(async () => (await notice(alert.id))?.status === 'delivered')
    expect(police.received.filter((r) => r.answered === 200)).toHaveLength(1)
  })

  it('two workers draining one outbox send each notice exactly once', async () => {
    const police = await station(STATION_SECRET, () => 200)
    const stationId = await seedStation(db, tenantId, police.url)
    const effects = composeAlertEffects({ planners: [createNoticePlanner()], wake: [] })
    const alertIds: string[] = []
    for (let i = 0; i < 12; i++) {
      const elderId = await seedElder(db, tenantId, { policeStationId: stationId })
      alertIds.push((await openAlert(db, tenantId, elderId, 'safety.fall', 'red', effects)).id)
    }
    const a = deliverer({ concurrency: 3 })
    const b = deliverer({ concurrency: 3 })
    a.start()
    b.start()
    await waitFor(async () => {
      const states = await Promise.all(alertIds.map((id) => notice(id)))
      return states.every((n) => n?.status === 'delivered')
    }, { what: 'all delivered' })
    const keys = police.received.map((r) => r.idempotencyKey)
    expect(keys).toHaveLength(12)
    expect(new Set(keys).size).toBe(12)
    for (const id of alertIds) expect(await notice(id)).toMatchObject({ attempts: 1 })
  })

  it('connection refused and timeouts are failed attempts with the reason kept', async () => {
    const closed = await station(STATION_SECRET, () => 200)
    await closed.close()
    stations.splice(stations.indexOf(closed), 1)
    const slow = await station(STATION_SECRET, () => 'hang')
    const refusedStation = await seedStation(db, tenantId, closed.url)
    const slowStation = await seedStation(db, tenantId, slow.url)
    const effects = composeAlertEffects({ planners: [createNoticePlanner()], wake: [] })
    const refused = await openAlert(db, tenantId, await seedElder(db, tenantId, { policeStationId: refusedStation }), 'safety.fall', 'red', effects)
    const hung = await openAlert(db, tenantId, await seedElder(db, tenantId, { policeStationId: slowStation }), 'safety.fall', 'red', effects)
    // Long backoff: exactly one attempt each within the test.
    deliverer({ fetchTimeoutMs: 300, backoff: { baseMs: 60_000, factor: 2, capMs: 60_000 }, random: () => 0.99 }).start()

    const refusedNotice = await waitFor(async () => {
      const n = await notice(refused.id)
      return n && n.attempts > 0 ? n : undefined
    })
    expect(refusedNotice).toMatchObject({ status: 'pending', attempts: 1, lastStatus: null, lastError: expect.stringContaining('ECONNREFUSED') })
    const hungNotice = await waitFor(async () => {
      const n = await notice(hung.id)
      return n && n.attempts > 0 ? n : undefined
    })
    expect(hungNotice).toMatchObject({ status: 'pending', attempts: 1, lastStatus: null, lastError: 'timed out after 300 ms' })
    expect(Date.parse(hungNotice.nextAttemptAt)).toBeGreaterThan(Date.now() + 30_000)
  })

  it('stop() aborts a POST in flight and gives the notice back, attempts unchanged', async () => {
    const slow = await station(STATION_SECRET, () => 'hang')
    const stationId = await seedStation(db, tenantId, slow.url)
    const effects = composeAlertEffects({ planners: [createNoticePlanner()], wake: [] })
    const alert = await openAlert(db, tenantId, await seedElder(db, tenantId, { policeStationId: stationId }), 'safety.fall', 'red', effects)
    const worker = deliverer({ fetchTimeoutMs: 60_000 })
    worker.start()
    await waitFor(async () => slow.received.length === 1, { what: 'POST in flight' })
    await worker.stop()
    const released = await notice(alert.id)
    expect(released).toMatchObject({ status: 'pending', attempts: 0, lastError: null })
    // Due at once for the next start, not after the 80 s lease.
    expect(Date.parse(released?.nextAttemptAt ?? '')).toBeLessThanOrEqual(Date.now())
  })

  it('past the deadline (created + 24 h, injected clock) a notice is failed and logged at error level', async () => {
    const police = await station(STATION_SECRET, () => 503)
    const stationId = await seedStation(db, tenantId, police.url)
    const elderId = await seedElder(db, tenantId, { policeStationId: stationId })
    let now = Date.UTC(2026, 2, 1, 10, 0, 0)
    const clock = () => now
    const lines: Array<{ level: number; msg: string; noticeId?: string; lastError?: string }> = []
    const logger = pino(
      { level: 'info' },
      new Writable({
        write(chunk: Buffer, _enc, done) {
          lines.push(JSON.parse(chunk.toString()) as (typeof lines)[number])
          done()
        },
      }),
    )
    const worker = deliverer({ clock, logger, random: () => 0.5 })
    worker.start()
    const effects = composeAlertEffects({ planners: [createNoticePlanner({ clock })], wake: [() => worker.wake()] })
    const alert = await openAlert(db, tenantId, elderId, 'absence.trip', 'red', effects)
    const first = await waitFor(async () => {
      const n = await notice(alert.id)
      return n && n.attempts >= 1 ? n : undefined
    })
    expect(first).toMatchObject({ status: 'pending', lastStatus: 503, deadlineAt: new Date(now + 24 * 3_600_000).toISOString() })

    now += 24 * 3_600_000 + 60_000
    worker.wake()
    const failed = await waitFor(async () => {
      const n = await notice(alert.id)
      return n?.status === 'failed' ? n : undefined
    })
    // The status and its standard phrase: the station's body ('station error 503') is never kept.
    expect(failed.lastError).toBe('not delivered before the deadline; last error: HTTP 503 Service Unavailable')
    const posted = police.received.length
    worker.wake()
    await worker.idle()
    expect(police.received).toHaveLength(posted)
    expect(lines).toContainEqual(expect.objectContaining({ level: 50, noticeId: failed.id, msg: 'notice failed' }))
  })
})
