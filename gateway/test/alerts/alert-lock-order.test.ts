import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Finding } from '../../../rules/src/index'
import { alertChangeLogPlanner, composeAlertEffects } from '../../src/alerts/effects'
import { applyFindings } from '../../src/alerts/finding-store'
import { createNoticePlanner } from '../../src/notices/planner'
import { insertDevice } from '../../src/registry/device-store'
import { createVoicePlanner } from '../../src/voice/planner'
import { backends, type OpenedBackend } from '../../../test/support/databases'
import { waitFor } from '../../../test/support/gateway'
import { openAlert, seedElder, seedStation, seedTenant } from '../notices/fixtures'

/**
 * The claim of a finding locks the elder's alerts of its rule and, in the same statement, the
 * elder row the planners read (finding-store.ts, alert-elder-store.ts). Every other alert
 * transaction (an escalation, an operator's action) locks the alert first and the elder after,
 * in its planners. If the claim took the elder first, a claim waiting on an alert that such a
 * transaction holds would hold the elder that transaction wants next: a deadlock, one of the
 * two aborted. Real PostgreSQL, two connections, the interleaving forced with a held lock.
 */
describe('lock order of an alert transaction (postgres)', () => {
  const postgres = backends.find((b) => b.name === 'postgres')!
  let opened: OpenedBackend
  beforeAll(async () => {
    opened = await postgres.open()
  })
  afterAll(() => opened?.cleanup())

  it('a claim waiting on an alert holds no lock on the elder: the holder locks the elder next and both commit', async () => {
    const db = opened.db
    const tenantId = await seedTenant(db)
    const stationId = await seedStation(db, tenantId, 'https://police.example.test/notices')
    const elderId = await seedElder(db, tenantId, { policeStationId: stationId })
    await insertDevice(db, tenantId, { id: `watch-${elderId.slice(0, 8)}`, elderId, kind: 'watch', secretHash: 'sha256$x$y' })
    const open = await openAlert(db, tenantId, elderId, 'device.removed', 'orange')

    // The other transaction, as an escalation runs: the alert row first.
    const holder = new pg.Client({ connectionString: opened.url })
    await holder.connect()
    try {
      await holder.query('BEGIN')
      await holder.query("SET LOCAL deadlock_timeout = '100ms'")
      await holder.query('SELECT id FROM alerts WHERE id = $1 FOR UPDATE', [open.id])

      const effects = composeAlertEffects({ planners: [alertChangeLogPlanner, createVoicePlanner(), createNoticePlanner()], wake: [] })
      const finding: Finding = {
        rule: 'device.removed',
        tenantId,
        elderId,
        level: 'red',
        dedupKey: `device.removed:${elderId}:red`,
        ts: Date.UTC(2026, 2, 1, 10, 0),
        summary: 'watch removed away from home',
        evidence: {},
      }
      const claiming = applyFindings(db, [finding], effects)
      const outcome = claiming.then(
        (changes) => ({ changes, error: null }),
        (error: unknown) => ({ changes: [], error }),
      )
      // The claim is waiting on the alert row.
      await waitFor(async () => {
        const rows = await db.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'WITH fresh AS%'",
        )
        return rows[0]!.n === 1
      })

      // Now the holder takes the elder, as its planners would: it must not wait on the claim.
      await holder.query('SELECT id FROM elders WHERE tenant_id = $1 AND id = $2 FOR NO KEY UPDATE', [tenantId, elderId])
      await holder.query("UPDATE alerts SET level = 'red', level_since = now() WHERE id = $1", [open.id])
      await holder.query('COMMIT')

      const { changes, error } = await outcome
      expect(error).toBeNull()
      // The claim read the alert as the holder left it: already red, so a repeat, not a raise.
      expect(changes.map((c) => [c.change, c.alert.id, c.alert.level])).toEqual([['repeated', open.id, 'red']])
    } finally {
      await holder.end()
    }
  })
})
