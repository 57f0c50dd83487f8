import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends, type OpenedBackend } from '../../../test/support/databases'
import { plannedEffects, writePlanned } from '../../src/alerts/effects'
import { readChanges } from '../../src/stream/change-log-store'
import type { Db } from '../../src/storage/db'
import { validateCap } from '../../src/notices/cap'
import { getNoticeWithBody, listNotices, type Notice } from '../../src/notices/notice-store'
import { createNoticePlanner, noticesCalledFor } from '../../src/notices/planner'
import { CONTACT_SECRET, HOME, event, openAlert, seedElder, seedStation, seedTenant } from './fixtures'
import { storeReadings } from '../../../test/support/store-readings'

const PLANNED_AT = Date.UTC(2026, 2, 1, 9, 30, 0)
const planner = createNoticePlanner({ clock: () => PLANNED_AT, publicUrl: 'https://gw.example/' })
const page = { limit: 100, offset: 0 }

const contacts = [
  { name: '王强', relation: 'son', webhookUrl: 'https://family.example/hook', secret: CONTACT_SECRET },
  { name: '网格员 张', phone: '+86 139 0000 0000' },
  { name: '王丽', relation: 'daughter', webhookUrl: 'https://daughter.example/hook' },
]

describe('which alert changes call for notices', () => {
  const alert = (level: 'yellow' | 'orange' | 'red') => ({ level }) as never
  it.each([
    ['opened at red', 'opened', null, 'red', { police: true, family: true }],
    ['raised orange → red', 'raised', 'orange', 'red', { police: true, family: false }],
    ['escalated orange → red', 'escalated', 'orange', 'red', { police: true, family: false }],
    ['raised yellow → red', 'raised', 'yellow', 'red', { police: true, family: true }],
    ['opened at orange', 'opened', null, 'orange', { police: false, family: true }],
    ['raised yellow → orange', 'raised', 'yellow', 'orange', { police: false, family: true }],
    ['repeated at red', 'repeated', 'red', 'red', { police: false, family: false }],
    ['acknowledged at red', 'acknowledged', 'red', 'red', { police: false, family: false }],
    ['opened at yellow', 'opened', null, 'yellow', { police: false, family: false }],
  ] as const)('%s', (_name, change, previousLevel, level, expected) => {
    expect(noticesCalledFor({ alert: alert(level), change, previousLevel, actor: 'rule-engine' })).toEqual(expected)
  })
})

describe.each(backends)('notice planner on $name', (backend) => {
  let opened: OpenedBackend
  let db: Db
  let tenantId: string

  beforeAll(async () => {
    opened = await backend.open()
    db = opened.db
    tenantId = await seedTenant(db)
  })
  afterAll(() => opened.cleanup())

  const noticesOf = async (alertId: string): Promise<Notice[]> => (await listNotices(db, { tenantId, alertId }, page)).items

  it('red with a JSON station: one signed-to-be police notice with the contract fields and the last watch fix', async () => {
    const stationId = await seedStation(db, tenantId, 'https://police.example/hook', 'json')
    const elderId = await seedElder(db, tenantId, { policeStationId: stationId })
    const watch = { kind: 'watch', tenantId, elderId, deviceId: 'w1' } as const
    await storeReadings(db, [
      { ...watch, ts: PLANNED_AT - 600_000, lat: 31.25, lon: 121.5, acc: 18, src: 'gps' },
      { ...watch, ts: PLANNED_AT - 60_000, lat: 31.3, lon: 121.6, acc: 30, src: 'gps' },
      { ...watch, ts: PLANNED_AT - 1_000 },
    ])
    const alert = await openAlert(db, tenantId, elderId, 'money.bank_after_venue', 'red')
    const changes = await db.transaction(async (tx) => writePlanned(tx, plannedEffects(await planner(tx, event(alert, 'opened', null)))))

    const notices = await noticesOf(alert.id)
    expect(notices).toHaveLength(1)
    const notice = notices[0] as Notice
    expect(notice).toMatchObject({
      audience: 'police',
      policeStationId: stationId,
      targetUrl: 'https://police.example/hook',
      format: 'json',
      contentType: 'application/json',
      status: 'pending',
      attempts: 0,
      level: 'red',
      createdAt: new Date(PLANNED_AT).toISOString(),
      deadlineAt: new Date(PLANNED_AT + 24 * 3_600_000).toISOString(),
      lastError: null,
    })
    const body = JSON.parse((await getNoticeWithBody(db, tenantId, notice.id))?.body ?? '{}') as Record<string, unknown>
    expect(body).toMatchObject({
      noticeId: notice.id,
      alertId: alert.id,
      tenantId,
      elderId,
      level: 'red',
      rule: 'money.bank_after_venue',
      // Written for the station (zh-CN by default), from the rule and its evidence, in local time.
      summary: '王秀英参加推销活动后前往银行（2026-03-01 17:00 (UTC+08:00)），疑似被骗转账。',
      language: 'zh-CN',
      elder: { name: '王秀英', address: '城关镇幸福路 12 号', phone: '+86 138 0000 0000' },
      location: { lat: 31.3, lon: 121.6, at: new Date(PLANNED_AT - 60_000).toISOString(), source: 'watch', accuracyM: 30 },
      evidence: alert.evidence,
      sentAt: new Date(PLANNED_AT).toISOString(),
      receiptUrl: `https://gw.example/api/v1/notices/${notice.id}/receipt`,
      station: { id: stationId, name: '城关派出所' },
    })

    expect(changes).toHaveLength(1)
    expect(changes?.[0]).toMatchObject({ topic: 'notice', entityId: notice.id, payload: { change: 'planned', notice: { id: notice.id, status: 'pending' } } })
    const logged = await readChanges(db, tenantId, 0, 1000)
    expect(logged.filter((c) => c.entityId === notice.id).map((c) => c.seq)).toEqual([changes?.[0]?.seq])
  })

  it('red with a CAP station stores a valid CAP 1.2 document; repeats at red plan nothing more', async () => {
    const stationId = await seedStation(db, tenantId, 'https://cap.example/hook', 'cap')
    const elderId = await seedElder(db, tenantId, { policeStationId: stationId })
    const alert = await openAlert(db, tenantId, elderId, 'safety.sos', 'red')
    await db.transaction(async (tx) => writePlanned(tx, plannedEffects(await planner(tx, event(alert, 'opened', null)))))
    expect(await db.transaction(async (tx) => writePlanned(tx, plannedEffects(await planner(tx, event(alert, 'repeated', 'red')))))).toEqual([])

    const [notice] = await noticesOf(alert.id)
    expect(notice).toMatchObject({ format: 'cap', contentType: 'application/cap+xml', status: 'pending' })
    const xml = (await getNoticeWithBody(db, tenantId, notice?.id ?? ''))?.body ?? ''
    expect(validateCap(xml)).toEqual([])
    expect(xml).toContain(`<identifier>${notice?.id}</identifier>`)
    // No watch fix: the home, drawn with the home geofence.
    expect(xml).toContain(`<circle>${HOME.lat},${HOME.lon} 0.15</circle>`)
  })

  it('red for an elder with no station: a failed police notice, loudly, plus family notices', async () => {
    const elderId = await seedElder(db, tenantId, { contacts })
    const alert = await openAlert(db, tenantId, elderId, 'absence.trip', 'red')
    const changes = await db.transaction(async (tx) => writePlanned(tx, plannedEffects(await planner(tx, event(alert, 'opened', null)))))

    const notices = await noticesOf(alert.id)
    const police = notices.filter((n) => n.audience === 'police')
    expect(police).toEqual([expect.objectContaining({ status: 'failed', lastError: 'no police station assigned', policeStationId: null })])
    // The body that would have gone is kept for the operator.
    expect(JSON.parse((await getNoticeWithBody(db, tenantId, police[0]?.id ?? ''))?.body ?? '{}')).toMatchObject({ alertId: alert.id, level: 'red' })
    expect(notices.filter((n) => n.audience === 'family')).toHaveLength(2)
    expect(changes).toHaveLength(3)
  })

  it('orange: one JSON notice per contact with a webhook; a webhook without a secret is failed, not skipped', async () => {
    const stationId = await seedStation(db, tenantId, 'https://police.example/hook')
    const elderId = await seedElder(db, tenantId, { policeStationId: stationId, contacts })
    const alert = await openAlert(db, tenantId, elderId, 'absence.overnight', 'orange')
    const changes = await db.transaction(async (tx) => writePlanned(tx, plannedEffects(await planner(tx, event(alert, 'opened', null)))))

    const notices = (await noticesOf(alert.id)).sort((a, b) => (a.contactIndex ?? 0) - (b.contactIndex ?? 0))
    expect(notices.map((n) => [n.audience, n.contactIndex, n.targetUrl, n.format, n.status, n.lastError])).toEqual([
      ['family', 0, 'https://family.example/hook', 'json', 'pending', null],
      ['family', 2, 'https://daughter.example/hook', 'json', 'failed', 'contact has a webhook but no secret to sign it'],
    ])
    const body = JSON.parse((await getNoticeWithBody(db, tenantId, notices[0]?.id ?? ''))?.body ?? '{}') as Record<string, unknown>
    expect(body).toMatchObject({ audience: 'family', level: 'orange', recipient: { name: '王强', relation: 'son' }, location: { source: 'home', at: null } })
    expect(changes?.map((c) => c.topic)).toEqual(['notice', 'notice'])

    // Escalated to red: the police now, the family not again.
    await db.transaction(async (tx) => writePlanned(tx, plannedEffects(await planner(tx, event({ ...alert, level: 'red' }, 'escalated', 'orange')))))
    const after = await noticesOf(alert.id)
    expect(after.filter((n) => n.audience === 'police')).toEqual([expect.objectContaining({ status: 'pending', policeStationId: stationId })])
    expect(after.filter((n) => n.audience === 'family')).toHaveLength(2)
  })

  it('is part of the alert transaction: a rollback leaves no notice and no change-log entry', async () => {
    const stationId = await seedStation(db, tenantId, 'https://police.example/hook')
    const elderId = await seedElder(db, tenantId, { policeStationId: stationId })
    const alert = await openAlert(db, tenantId, elderId, 'safety.fall', 'red')
    const before = await readChanges(db, tenantId, 0, 10_000)
    await expect(
      db.transaction(async (tx) => {
        await planner(tx, event(alert, 'opened', null))
        throw new Error('alert change failed after planning')
      }),
    ).rejects.toThrow('alert change failed')
    expect(await noticesOf(alert.id)).toEqual([])
    expect(await readChanges(db, tenantId, 0, 10_000)).toHaveLength(before.length)
  })
})
