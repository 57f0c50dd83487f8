import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { backends, silentLogger, type OpenedBackend } from '../../../test/support/databases'
import { waitFor } from '../../../test/support/gateway'
import { composeAlertEffects } from '../../src/alerts/effects'
import { createNoticeDeliverer, type NoticeDeliverer, type NoticeDelivererOptions } from '../../src/notices/deliverer'
import { listNotices, type Notice } from '../../src/notices/notice-store'
import { createNoticePlanner } from '../../src/notices/planner'
import type { ResolveHost } from '../../src/notices/webhook-dispatcher'
import type { Db } from '../../src/storage/db'
import { CONTACT_SECRET, STATION_SECRET, openAlert, seedElder, seedStation, seedTenant } from './fixtures'
import { startStation, type TestStation } from './station'

/**
 * Send-time checks (DESIGN §4): URLs stored before the policy (or under a wider allow list)
 * are refused before the POST, names are resolved once and every address checked, and the
 * socket connects to the checked address — a station on 127.0.0.1 is reached through a name
 * that no real DNS knows only when the allow list lets that address through.
 */
const postgres = backends.find((b) => b.name === 'postgres')!
const FAST = { backoff: { baseMs: 60_000, factor: 2, capMs: 60_000 }, fetchTimeoutMs: 2_000, pollMs: 1_000, random: () => 0.99 }

/** A resolver that knows one name, pointing at the loopback: what a rebinding DNS answers. */
const rebinding: ResolveHost = async (hostname) => {
  if (hostname === 'police.rebind.example') return [{ address: '127.0.0.1', family: 4 }]
  throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' })
}

describe('webhook targets at send time', () => {
  let opened: OpenedBackend
  let db: Db
  let tenantId: string
  const stations: TestStation[] = []
  const deliverers: NoticeDeliverer[] = []

  beforeAll(async () => {
    opened = await postgres.open()
    db = opened.db
    tenantId = await seedTenant(db)
  })
  afterEach(async () => {
    for (const d of deliverers.splice(0)) await d.stop()
    for (const s of stations.splice(0)) await s.close()
  })
  afterAll(() => opened.cleanup())

  const station = async (answer: Parameters<typeof startStation>[1] = () => 200) => {
    const s = await startStation(STATION_SECRET, answer)
    stations.push(s)
    return s
  }
  const deliverer = (opts: Partial<NoticeDelivererOptions> = {}) => {
    const d = createNoticeDeliverer({ db, logger: silentLogger, ...FAST, ...opts })
    deliverers.push(d)
    d.start()
    return d
  }
  const firstAttempt = async (alertId: string, audience: 'police' | 'family' = 'police'): Promise<Notice> =>
    waitFor(async () => {
      const n = (await listNotices(db, { tenantId, alertId, audience }, { limit: 10, offset: 0 })).items[0]
      return n && n.attempts > 0 ? n : undefined
    }, { what: `first ${audience} attempt` })
  const alertFor = async (stationUrl: string | null, contacts: Array<{ name: string; webhookUrl: string; secret: string }> = []) => {
    const stationId = stationUrl === null ? null : await seedStation(db, tenantId, stationUrl)
    const elderId = await seedElder(db, tenantId, { policeStationId: stationId, contacts })
    return openAlert(db, tenantId, elderId, 'safety.sos', 'red', composeAlertEffects({ planners: [createNoticePlanner()], wake: [] }))
  }

  it('refuses a loopback URL stored before the policy (or allowed then), and posts nothing', async () => {
    const police = await station()
    const loopbackByName = police.url.replace('127.0.0.1', 'localhost')
    const family = { name: '王强', webhookUrl: police.url.replace('127.0.0.1', '2130706433'), secret: CONTACT_SECRET }
    const alert = await alertFor(loopbackByName, [family])
    deliverer()
    const sent = await firstAttempt(alert.id)
    expect(sent).toMatchObject({ status: 'pending', attempts: 1, lastStatus: null, lastError: 'refused: the webhook URL is a loopback name (not in EG_WEBHOOK_ALLOW)' })
    expect(await firstAttempt(alert.id, 'family')).toMatchObject({ lastError: 'refused: the webhook URL is a loopback address (not in EG_WEBHOOK_ALLOW)' })
    expect(police.received).toHaveLength(0)
  })

  it('refuses a name that resolves to the loopback (DNS rebinding) before connecting', async () => {
    const police = await station()
    const alert = await alertFor(police.url.replace('127.0.0.1', 'police.rebind.example'))
    deliverer({ resolveHost: rebinding })
    const sent = await firstAttempt(alert.id)
    expect(sent).toMatchObject({ status: 'pending', lastStatus: null, lastError: 'refused: police.rebind.example resolves to a loopback address (not in EG_WEBHOOK_ALLOW)' })
    expect(police.received).toHaveLength(0)
  })

  it('connects to the address it checked: allowed, the same name reaches the station', async () => {
    const police = await station()
    const alert = await alertFor(police.url.replace('127.0.0.1', 'police.rebind.example'))
    deliverer({ resolveHost: rebinding, webhookAllow: '127.0.0.1/32' })
    const sent = await firstAttempt(alert.id)
    expect(sent).toMatchObject({ status: 'delivered', lastStatus: 200, lastError: null })
    expect(police.received).toHaveLength(1)
    expect(police.received[0]?.signatureValid).toBe(true)
  })

  it('keeps the status and its standard phrase in lastError, never the receiver body or phrase', async () => {
    // A receiver inside that answers with something worth stealing, under its own reason phrase.
    const leaky = createServer((_req, res) => {
      res.writeHead(500, 'Leaked Phrase SECRET-TOKEN-4711', { 'content-type': 'text/plain' })
      res.end('root:x:0:0:root:/root:/bin/bash SECRET-TOKEN-4711')
    })
    await new Promise<void>((resolve) => leaky.listen(0, '127.0.0.1', resolve))
    try {
      const alert = await alertFor(`http://127.0.0.1:${(leaky.address() as AddressInfo).port}/hook`)
      deliverer({ webhookAllow: '127.0.0.1/32' })
      const sent = await firstAttempt(alert.id)
      expect(sent).toMatchObject({ lastStatus: 500, lastError: 'HTTP 500 Internal Server Error' })
      expect(JSON.stringify(sent)).not.toContain('SECRET-TOKEN-4711')
    } finally {
      leaky.closeAllConnections()
      await new Promise((resolve) => leaky.close(resolve))
    }
  })
})
