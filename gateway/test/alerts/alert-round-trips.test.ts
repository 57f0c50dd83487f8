import { describe, expect, it } from 'vitest'
import type { Finding } from '../../../rules/src/index'
import { alertChangeLogPlanner, composeAlertEffects } from '../../src/alerts/effects'
import { applyFindings } from '../../src/alerts/finding-store'
import { getNoticeWithBody, listNotices } from '../../src/notices/notice-store'
import { createNoticePlanner } from '../../src/notices/planner'
import { createVoicePlanner } from '../../src/voice/planner'
import { listPrompts } from '../../src/voice/voice-store'
import { insertDevice } from '../../src/registry/device-store'
import type { Db, Queryable } from '../../src/storage/db'
import { readChanges } from '../../src/stream/change-log-store'
import { useBackendDb } from '../../../test/support/backend-suite'
import { backends } from '../../../test/support/databases'
import { storeReadings } from '../../../test/support/store-readings'
import { seedElder, seedStation, seedTenant } from '../notices/fixtures'

/**
 * An SOS is written in one transaction with everything it causes (the outbox): the alert, its
 * history, the voice prompt, the police notice and their live-stream entries. Every statement
 * of it is a round trip between the watch's SOS and the voice prompt at the watch (DESIGN §5,
 * bench:latency), and under load each round trip waits for a CPU on both sides — so the count
 * is part of the contract: 19 statements became 4 (plus BEGIN and COMMIT), and a change that
 * adds one should be a decision, not an accident. The effects' rows (voice prompts, notices)
 * and the change-log entries go in last, in one statement, however many devices and family
 * contacts the elder has.
 */
describe.each(backends)('the statements of an SOS alert on $name', (backend) => {
  const database = useBackendDb(backend)

  /** The database with every statement inside transactions counted. */
  function counting(): { db: Db; statements: string[] } {
    const db = database()
    const statements: string[] = []
    const wrapped: Db = {
      ...db,
      transaction: (fn) =>
        db.transaction((tx) =>
          fn({
            query: (sql, params) => {
              statements.push(sql.replace(/\s+/g, ' ').slice(0, 60))
              return tx.query(sql, params)
            },
          } satisfies Queryable),
        ),
    }
    return { db: wrapped, statements }
  }

  it('opens the alert, queues the voice prompts, the police and family notices in 4 statements inside one transaction', async () => {
    const db = database()
    const tenantId = await seedTenant(db)
    const stationId = await seedStation(db, tenantId, 'https://police.example.test/notices')
    const contacts = [
      { name: '李明', relation: '儿子', webhookUrl: 'https://family.example.test/li', secret: 'family-secret-1' },
      { name: 'Anna Li', relation: 'daughter', webhookUrl: 'https://family.example.test/anna', secret: 'family-secret-2', language: 'en' as const },
    ]
    const elderId = await seedElder(db, tenantId, { policeStationId: stationId, contacts })
    const watchId = `watch-${elderId.slice(0, 8)}`
    const cameraId = `camera-${elderId.slice(0, 8)}`
    await insertDevice(db, tenantId, { id: watchId, elderId, kind: 'watch', secretHash: 'sha256$x$y' })
    await insertDevice(db, tenantId, { id: cameraId, elderId, kind: 'camera', secretHash: 'sha256$x$y' })
    // A stored fix: the notice carries it (read with the elder, the voice prompts' language and
    // devices, in the statement that claims the finding) and looks up the venues around it (the
    // 3rd statement, which runs only with a fix).
    await storeReadings(db, [{ kind: 'watch', tenantId, elderId, deviceId: watchId, ts: Date.UTC(2026, 2, 1, 8, 59), lat: 31.2304, lon: 121.4737, acc: 15, src: 'gps' }])
    const effects = composeAlertEffects({ planners: [alertChangeLogPlanner, createVoicePlanner(), createNoticePlanner()], wake: [] })
    const finding: Finding = {
      rule: 'safety.sos',
      tenantId,
      elderId,
      level: 'red',
      dedupKey: `safety.sos:${elderId}:1`,
      ts: Date.UTC(2026, 2, 1, 9, 0),
      summary: 'SOS pressed',
      evidence: { deviceId: watchId },
    }
    const { db: counted, statements } = counting()

    const [change] = await applyFindings(counted, [finding], effects)

    expect(change?.change).toBe('opened')
    expect(statements, statements.join('\n')).toHaveLength(4)
    const alertId = change!.alert.id
    // What the statements wrote: history, the link of the finding, the prompt, the notice, the stream.
    const history = await db.query<{ action: string }>('SELECT action FROM alert_history WHERE alert_id = $1', [alertId])
    expect(history.map((h) => h.action)).toEqual(['opened'])
    const link = await db.query<{ alert_id: string }>('SELECT alert_id FROM applied_findings WHERE tenant_id = $1 AND dedup_key = $2', [tenantId, finding.dedupKey])
    expect(link[0]?.alert_id).toBe(alertId)
    const prompts = await db.query<{ device_id: string; status: string }>('SELECT device_id, status FROM voice_prompts WHERE alert_id = $1 ORDER BY device_id', [alertId])
    expect(prompts).toEqual([
      { device_id: cameraId, status: 'queued' },
      { device_id: watchId, status: 'queued' },
    ])
    const notices = await listNotices(db, { tenantId, alertId }, { limit: 10, offset: 0 })
    expect(notices.items.map((n) => [n.audience, n.targetUrl, n.status]).sort()).toEqual([
      ['family', contacts[1]!.webhookUrl, 'pending'],
      ['family', contacts[0]!.webhookUrl, 'pending'],
      ['police', 'https://police.example.test/notices', 'pending'],
    ])
    // The police notice places the elder at the stored fix the claim brought along.
    const police = notices.items.find((n) => n.audience === 'police')!
    expect((await getNoticeWithBody(db, tenantId, police.id))?.body).toContain('31.2304')
    // The stream's entries carry the rows as the database holds them (built before the write).
    const changes = await readChanges(db, tenantId, 0, 10)
    expect(changes.map((c) => c.topic)).toEqual(['alert', 'voice', 'voice', 'notice', 'notice', 'notice'])
    expect(changes.map((c) => c.seq)).toEqual([1, 2, 3, 4, 5, 6])
    const stored = new Map(notices.items.map((n) => [n.id, n]))
    for (const c of changes.filter((x) => x.topic === 'notice')) {
      const notice = (c.payload as { notice: { id: string } }).notice
      expect(notice).toEqual(stored.get(notice.id))
    }
    const storedPrompts = await listPrompts(db, { tenantId, elderId, limit: 10, offset: 0 })
    for (const c of changes.filter((x) => x.topic === 'voice')) {
      const prompt = (c.payload as { prompt: { id: string } }).prompt
      const { tenantId: _t, ...view } = storedPrompts.items.find((p) => p.id === prompt.id)!
      expect(prompt).toEqual(view)
    }

    // The same finding again (a replay after a crash) writes nothing beyond its dedup check.
    const again = counting()
    expect(await applyFindings(again.db, [finding], effects)).toEqual([])
    expect(again.statements).toHaveLength(1)
  })
})
