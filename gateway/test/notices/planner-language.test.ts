import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends, type OpenedBackend } from '../../../test/support/databases'
import type { Alert } from '../../src/alerts/alert-store'
import { createLatestFixes } from '../../src/intake/latest-fixes'
import { getNoticeWithBody, listNotices } from '../../src/notices/notice-store'
import { createNoticePlanner } from '../../src/notices/planner'
import { insertPoliceStation } from '../../src/registry/police-station-store'
import { insertVenue } from '../../src/registry/venue-store'
import type { Db } from '../../src/storage/db'
import { CONTACT_SECRET, HOME, STATION_SECRET, event, openAlert, seedElder, seedTenant } from './fixtures'
import { storeReadings } from '../../../test/support/store-readings'
import { plannedEffects, writePlanned } from '../../src/alerts/effects'

/**
 * Notices in the recipient's language with local times (DESIGN §4), at the freshest position
 * (issue 12 item 4), planned through the real stores on both storage backends.
 */
const PLANNED_AT = Date.parse('2026-11-28T08:20:05Z')
const EVENT_AT = '2026-11-28T08:20:00.000Z'
const latestFixes = createLatestFixes()
const planner = createNoticePlanner({ clock: () => PLANNED_AT, publicUrl: 'https://gw.example', timeZone: 'Asia/Shanghai', latestFix: latestFixes.get })
const page = { limit: 100, offset: 0 }

describe.each(backends)('notices in the reader language, at the freshest position, on $name', (backend) => {
  let opened: OpenedBackend
  let db: Db
  let tenantId: string

  beforeAll(async () => {
    opened = await backend.open()
    db = opened.db
    tenantId = await seedTenant(db)
  })
  afterAll(() => opened.cleanup())

  const station = async (language?: 'zh-CN' | 'en', format: 'json' | 'cap' = 'json') => {
    const id = randomUUID()
    await insertPoliceStation(db, tenantId, id, { name: '城关派出所', webhookUrl: 'https://police.example/hook', secret: STATION_SECRET, format, language })
    return id
  }
  const bodies = async (alertId: string) => {
    const notices = (await listNotices(db, { tenantId, alertId }, page)).items
    return Promise.all(notices.map(async (n) => ({ notice: n, body: (await getNoticeWithBody(db, tenantId, n.id))?.body ?? '' })))
  }
  /** An alert row, then planned as the rule engine would describe it. */
  const plan = async (elderId: string, rule: string, evidence: Record<string, unknown>) => {
    const stored = await openAlert(db, tenantId, elderId, rule, 'red')
    const alert: Alert = { ...stored, evidence, lastAt: EVENT_AT }
    await db.transaction(async (tx) => writePlanned(tx, plannedEffects(await planner(tx, event(alert, 'opened', null)))))
    return alert
  }
  const storeFix = (elderId: string, at: string, lat: number, lon: number) =>
    storeReadings(db, [{ kind: 'watch', tenantId, elderId, deviceId: `${elderId}-watch`, ts: Date.parse(at), lat, lon, acc: 30, src: 'gps' }])

  it('writes to a station in its language (zh-CN by default), with local times and their offset', async () => {
    const zhStation = await station()
    const enStation = await station('en', 'cap')
    const zhElder = await seedElder(db, tenantId, { policeStationId: zhStation })
    const enElder = await seedElder(db, tenantId, { policeStationId: enStation })
    const evidence = { deviceId: 'w1', at: EVENT_AT, place: 'away', location: null, detail: null }

    const [zh] = await bodies((await plan(zhElder, 'safety.fall', evidence)).id)
    const json = JSON.parse(zh?.body ?? '{}') as Record<string, unknown>
    expect(json).toMatchObject({
      language: 'zh-CN',
      summary: '王秀英可能摔倒（腕表检测到跌倒），时间 2026-11-28 16:20 (UTC+08:00)，当时不在家。',
      summaryLocalTime: '2026-11-28 16:20 (UTC+08:00)',
      sentAtLocal: '2026-11-28 16:20 (UTC+08:00)',
      timeZone: 'Asia/Shanghai',
      // The machine fields stay as they were: ISO UTC.
      sentAt: new Date(PLANNED_AT).toISOString(),
      location: { lat: HOME.lat, lon: HOME.lon, at: null, source: 'home', description: '王秀英家（登记住址：城关镇幸福路 12 号）' },
    })

    const [en] = await bodies((await plan(enElder, 'safety.fall', evidence)).id)
    expect(en?.notice.format).toBe('cap')
    expect(en?.body).toContain('<language>en</language>')
    expect(en?.body).toContain('<event>Fall detected</event>')
    expect(en?.body).toContain('<sent>2026-11-28T16:20:05+08:00</sent>')
    expect(en?.body).toContain('<onset>2026-11-28T16:20:00+08:00</onset>')
    expect(en?.body).toContain('王秀英 may have fallen (fall detected) at 2026-11-28 16:20 (UTC+08:00), away from home.')
    expect(en?.body).toContain('<areaDesc>Home of 王秀英 (registered address: 城关镇幸福路 12 号)</areaDesc>')
    // CAP <contact> is the sender's follow-up contact: unset here, so absent — never the elder's phone.
    expect(en?.body).not.toContain('<contact>')
  })

  it('writes to each family contact in the contact language', async () => {
    const elderId = await seedElder(db, tenantId, {
      contacts: [
        { name: '王强', relation: 'son', webhookUrl: 'https://son.example/hook', secret: CONTACT_SECRET, language: 'en' },
        { name: '王丽', relation: 'daughter', webhookUrl: 'https://daughter.example/hook', secret: CONTACT_SECRET },
      ],
    })
    const alert = await plan(elderId, 'absence.trip', { awaySince: '2026-11-27T20:00:00.000Z', awayMin: 380, distanceKm: 62.4, lastFix: null, reason: 'far' })
    const family = (await bodies(alert.id)).filter((b) => b.notice.audience === 'family').sort((a, b) => (a.notice.contactIndex ?? 0) - (b.notice.contactIndex ?? 0))
    expect(family.map((b) => (JSON.parse(b.body) as { language: string }).language)).toEqual(['en', 'zh-CN'])
    expect((JSON.parse(family[0]?.body ?? '{}') as { summary: string }).summary).toBe(
      '王秀英 has been up to 62.4 km from home for about 6.3 h, away since 2026-11-28 04:00 (UTC+08:00): possibly on a cheap tour (tour scam).',
    )
    expect((JSON.parse(family[1]?.body ?? '{}') as { summary: string }).summary).toBe('王秀英自 2026-11-28 04:00 (UTC+08:00) 离家，最远离家62.4公里，已外出约6.3小时，疑似参加低价游（旅游购物骗局）。')
  })

  it('carries the newest fix: intake before storage, evidence before an older stored one, the venue it lies in', async () => {
    const stationId = await station()
    const venueId = randomUUID()
    await insertVenue(db, tenantId, venueId, { name: '幸福健康讲座', kind: 'sales', risky: true, lat: 31.3, lon: 121.55, radiusM: 100, polygon: null })

    // Storage has an old fix; the evidence (the rule engine's state) a newer one far from home.
    const byEvidence = await seedElder(db, tenantId, { policeStationId: stationId })
    await storeFix(byEvidence, '2026-11-28T07:00:00Z', 31.2305, 121.4738)
    const [fromEvidence] = await bodies((await plan(byEvidence, 'safety.sos', { at: EVENT_AT, place: 'away', location: { lat: 31.3001, lon: 121.5501, at: '2026-11-28T08:19:50.000Z' } })).id)
    expect(JSON.parse(fromEvidence?.body ?? '{}')).toMatchObject({
      location: {
        lat: 31.3001,
        lon: 121.5501,
        at: '2026-11-28T08:19:50.000Z',
        atLocal: '2026-11-28 16:19 (UTC+08:00)',
        source: 'watch',
        venue: { id: venueId, name: '幸福健康讲座', kind: 'sales' },
        description: expect.stringMatching(/^幸福健康讲座（王秀英的手表定位，距家约\d+(\.\d)?公里）$/),
      },
    })

    // A rule whose evidence has no position: intake's fix, not yet stored, beats the stored one.
    const byIntake = await seedElder(db, tenantId, { policeStationId: stationId })
    await storeFix(byIntake, '2026-11-28T07:00:00Z', 31.2305, 121.4738)
    latestFixes.observe([{ kind: 'watch', tenantId, elderId: byIntake, deviceId: 'w1', ts: Date.parse('2026-11-28T08:19:58Z'), lat: 31.4, lon: 121.6, acc: 12 }])
    const [fromIntake] = await bodies((await plan(byIntake, 'money.bank_after_venue', {})).id)
    expect(JSON.parse(fromIntake?.body ?? '{}')).toMatchObject({ location: { lat: 31.4, lon: 121.6, accuracyM: 12, at: '2026-11-28T08:19:58.000Z', venue: null } })

    // And a stored fix newer than both wins over them.
    await storeFix(byIntake, '2026-11-28T08:20:01Z', 31.5, 121.7)
    const [fromStorage] = await bodies((await plan(byIntake, 'absence.long', { lastFix: { lat: 31.45, lon: 121.65, at: '2026-11-28T08:19:59Z' } })).id)
    expect(JSON.parse(fromStorage?.body ?? '{}')).toMatchObject({ location: { lat: 31.5, lon: 121.7, at: '2026-11-28T08:20:01.000Z' } })
  })
})
