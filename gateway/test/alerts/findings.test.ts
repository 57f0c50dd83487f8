import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { applyFindings, elderRiskLevels, getAlert } from '../../src/alerts/alert-store'
import { noAlertEffects } from '../../src/alerts/effects'
import { createAlertLifecycle } from '../../src/alerts/lifecycle'
import type { Db } from '../../src/storage/db'
import { backends, type OpenedBackend } from '../../../test/support/databases'
import { changeLogCount, finding, HOUR, historyActions, MIN, newElder, recordingEffects, seedTenant, T0 } from './fixtures'

describe.each(backends)('alerts from findings ($name)', (backend) => {
  let opened: OpenedBackend
  let db: Db
  const tenant = `t-${backend.name}`
  const admin = { tenantId: tenant, username: 'ops-admin', role: 'admin' as const }

  beforeAll(async () => {
    opened = await backend.open()
    db = opened.db
    await seedTenant(db, tenant)
  })
  afterAll(async () => opened?.cleanup())

  it('keeps one alert per (elder, rule): repeats count, raises lift the level and restart level_since, lower findings never lower it', async () => {
    const elder = await newElder(db, tenant)
    const effects = recordingEffects()
    const [opened1] = await applyFindings(db, [finding(tenant, elder, 'venue.repeat', 'yellow', T0)], effects)
    expect(opened1?.change).toBe('opened')
    const id = opened1!.alert.id
    expect(opened1!.alert.levelSince).toBe(new Date(T0).toISOString())

    const [repeated] = await applyFindings(db, [finding(tenant, elder, 'venue.repeat', 'yellow', T0 + HOUR)], effects)
    expect(repeated).toMatchObject({ change: 'repeated', alert: { id, count: 2, level: 'yellow', levelSince: new Date(T0).toISOString() } })

    const [raised] = await applyFindings(db, [finding(tenant, elder, 'venue.repeat', 'orange', T0 + 2 * HOUR)], effects)
    expect(raised).toMatchObject({ change: 'raised', alert: { id, count: 3, level: 'orange', levelSince: new Date(T0 + 2 * HOUR).toISOString() } })

    const [lower] = await applyFindings(db, [finding(tenant, elder, 'venue.repeat', 'yellow', T0 + 3 * HOUR)], effects)
    expect(lower).toMatchObject({ change: 'repeated', alert: { id, count: 4, level: 'orange', levelSince: new Date(T0 + 2 * HOUR).toISOString() } })

    expect(effects.planned.map((e) => [e.change, e.previousLevel, e.actor])).toEqual([
      ['opened', null, 'rule-engine'],
      ['repeated', 'yellow', 'rule-engine'],
      ['raised', 'yellow', 'rule-engine'],
      ['repeated', 'orange', 'rule-engine'],
    ])
    expect((await historyActions(db, id)).map((h) => [h.action, h.from_level, h.to_level])).toEqual([
      ['opened', null, 'yellow'],
      ['repeated', 'yellow', 'yellow'],
      ['raised', 'yellow', 'orange'],
      ['repeated', 'orange', 'orange'],
    ])
  })

  it('takes a refresh of the finding it shows as new evidence: no count, no history, an "updated" change; stale or unknown refreshes change nothing', async () => {
    const elder = await newElder(db, tenant)
    const effects = recordingEffects()
    const first = finding(tenant, elder, 'venue.repeat', 'yellow', T0)
    const [opened1] = await applyFindings(db, [first], effects)
    const id = opened1!.alert.id
    const later = { ...first, ts: T0 + 20 * MIN, summary: 'two visits, the second 40 min', evidence: { dwellMin: 40 }, refresh: true as const }
    const [updated] = await applyFindings(db, [later], effects)
    expect(updated).toMatchObject({ change: 'updated', alert: { id, count: 1, level: 'yellow', summary: 'two visits, the second 40 min', evidence: { dwellMin: 40 } } })
    // The same evidence again: nothing to change.
    expect(await applyFindings(db, [later], effects)).toEqual([])
    // A refresh is not a finding: its key alone never opens an alert.
    expect(await applyFindings(db, [{ ...finding(tenant, elder, 'absence.long', 'yellow', T0), refresh: true as const }], effects)).toEqual([])
    // Raised by a newer finding: a late refresh of the older one must not overwrite its evidence.
    await applyFindings(db, [finding(tenant, elder, 'venue.repeat', 'orange', T0 + HOUR)], effects)
    expect(await applyFindings(db, [{ ...later, evidence: { dwellMin: 50 } }], effects)).toEqual([])
    expect((await getAlert(db, tenant, id))?.evidence).toEqual({ ts: T0 + HOUR })
    expect(effects.planned.map((e) => [e.change, e.previousLevel])).toEqual([['opened', null], ['updated', 'yellow'], ['raised', 'yellow']])
    expect((await historyActions(db, id)).map((h) => h.action)).toEqual(['opened', 'raised'])
  })

  it('applies a finding once: the same dedup key again changes nothing and plans nothing', async () => {
    const elder = await newElder(db, tenant)
    const f = finding(tenant, elder, 'safety.sos', 'red', T0)
    await applyFindings(db, [f], noAlertEffects)
    const effects = recordingEffects()
    expect(await applyFindings(db, [f, f], effects)).toEqual([])
    expect(effects.planned).toEqual([])
    expect(effects.committed).toEqual([])
  })

  it('plans effects inside the transaction: a planner that writes keeps its row; a failing planner rolls the whole change back', async () => {
    const elder = await newElder(db, tenant)
    const before = await changeLogCount(db, tenant)
    const failing = recordingEffects({ failOn: 'opened' })
    const f = finding(tenant, elder, 'absence.overnight', 'orange', T0)
    await expect(applyFindings(db, [f], failing)).rejects.toThrow('planner refused opened')
    // No alert, no history, no change-log row, no applied_findings entry, no wake-up.
    expect(await db.query('SELECT id FROM alerts WHERE elder_id = $1', [elder])).toEqual([])
    expect(await changeLogCount(db, tenant)).toBe(before)
    expect(failing.committed).toEqual([])

    // The finding was not marked applied, so the retry the runtime makes goes through.
    const working = recordingEffects()
    const [change] = await applyFindings(db, [f], working)
    expect(change?.change).toBe('opened')
    expect(await changeLogCount(db, tenant)).toBe(before + 1)
    expect(working.committed).toHaveLength(1)
    expect(working.committed[0]?.[0]).toMatchObject({ topic: 'alert', entityId: change!.alert.id, payload: { change: 'opened' } })
  })

  it('wakes afterCommit once per transaction, only after the commit: the change is already visible from another connection', async () => {
    const elder = await newElder(db, tenant)
    const seen: Array<Promise<unknown[]>> = []
    const effects = recordingEffects({
      onCommit: () => seen.push(db.query('SELECT id, count FROM alerts WHERE elder_id = $1', [elder])),
    })
    await applyFindings(db, [finding(tenant, elder, 'home.strangers', 'yellow', T0), finding(tenant, elder, 'home.strangers', 'yellow', T0 + MIN)], effects)
    expect(effects.planned).toHaveLength(2)
    expect(effects.committed).toHaveLength(1)
    expect(effects.committed[0]).toHaveLength(2)
    expect(await seen[0]).toEqual([expect.objectContaining({ count: 2 })])
  })

  describe('cool-down after a resolution', () => {
    const resolvedAt = T0 + HOUR
    const lifecycle = () => createAlertLifecycle({ db, effects: noAlertEffects, ruleClock: () => resolvedAt })

    async function resolvedAlert(level: 'yellow' | 'orange') {
      const elder = await newElder(db, tenant)
      const [c] = await applyFindings(db, [finding(tenant, elder, 'home.strangers', level, T0)], noAlertEffects)
      await lifecycle().resolve(admin, c!.alert.id, { disposition: 'false_alarm', note: 'nephew visiting' })
      return { elder, id: c!.alert.id }
    }

    it('suppresses same- or lower-level findings within the cool-down: no new alert, a suppressed history row, counted', async () => {
      const { elder, id } = await resolvedAlert('orange')
      const effects = recordingEffects()
      const changes = await applyFindings(
        db,
        [finding(tenant, elder, 'home.strangers', 'orange', resolvedAt + 2 * HOUR), finding(tenant, elder, 'home.strangers', 'yellow', resolvedAt + 6 * HOUR - 1)],
        effects,
        { cooldownMs: 6 * HOUR },
      )
      expect(changes).toEqual([])
      expect(effects.planned).toEqual([])
      expect(await db.query('SELECT id FROM alerts WHERE elder_id = $1', [elder])).toHaveLength(1)
      expect((await getAlert(db, tenant, id))?.suppressedCount).toBe(2)
      expect((await historyActions(db, id)).filter((h) => h.action === 'suppressed')).toEqual([
        { action: 'suppressed', actor: 'rule-engine', from_status: 'resolved', to_status: 'resolved', from_level: 'orange', to_level: 'orange' },
        { action: 'suppressed', actor: 'rule-engine', from_status: 'resolved', to_status: 'resolved', from_level: 'orange', to_level: 'orange' },
      ])
    })

    it('opens a new alert for a higher level inside the cool-down, and for any level once it is over', async () => {
      const a = await resolvedAlert('yellow')
      const [higher] = await applyFindings(db, [finding(tenant, a.elder, 'home.strangers', 'orange', resolvedAt + MIN)], noAlertEffects, { cooldownMs: 6 * HOUR })
      expect(higher).toMatchObject({ change: 'opened', alert: { level: 'orange', status: 'open' } })
      expect(higher!.alert.id).not.toBe(a.id)

      const b = await resolvedAlert('yellow')
      const [after] = await applyFindings(db, [finding(tenant, b.elder, 'home.strangers', 'yellow', resolvedAt + 6 * HOUR)], noAlertEffects, { cooldownMs: 6 * HOUR })
      expect(after).toMatchObject({ change: 'opened', alert: { level: 'yellow' } })
      expect((await getAlert(db, tenant, b.id))?.suppressedCount).toBe(0)
    })

    it('defaults to six hours', async () => {
      const { elder } = await resolvedAlert('yellow')
      expect(await applyFindings(db, [finding(tenant, elder, 'home.strangers', 'yellow', resolvedAt + 6 * HOUR - MIN)], noAlertEffects)).toEqual([])
      expect(await applyFindings(db, [finding(tenant, elder, 'home.strangers', 'yellow', resolvedAt + 6 * HOUR)], noAlertEffects)).toHaveLength(1)
    })
  })

  it("gives the elder the highest level of open and acknowledged alerts, green once they are resolved", async () => {
    const elder = await newElder(db, tenant)
    const lifecycle = createAlertLifecycle({ db, effects: noAlertEffects })
    const [red] = await applyFindings(db, [finding(tenant, elder, 'safety.fall', 'red', T0)], noAlertEffects)
    const [yellow] = await applyFindings(db, [finding(tenant, elder, 'home.strangers', 'yellow', T0)], noAlertEffects)
    await lifecycle.acknowledge(admin, red!.alert.id)
    expect((await elderRiskLevels(db, tenant, [elder])).get(elder)).toBe('red')
    await lifecycle.resolve(admin, red!.alert.id, { disposition: 'resolved_other' })
    expect((await elderRiskLevels(db, tenant, [elder])).get(elder)).toBe('yellow')
    await lifecycle.resolve(admin, yellow!.alert.id, { disposition: 'false_alarm' })
    expect((await elderRiskLevels(db, tenant, [elder])).get(elder)).toBe('green')
  })

  it('hands an acknowledged alert back to the board when a finding raises it', async () => {
    const elder = await newElder(db, tenant)
    const lifecycle = createAlertLifecycle({ db, effects: noAlertEffects })
    const [c] = await applyFindings(db, [finding(tenant, elder, 'venue.repeat', 'yellow', T0)], noAlertEffects)
    await lifecycle.acknowledge(admin, c!.alert.id)
    const [same] = await applyFindings(db, [finding(tenant, elder, 'venue.repeat', 'yellow', T0 + HOUR)], noAlertEffects)
    expect(same?.alert.status).toBe('acknowledged')
    const [raised] = await applyFindings(db, [finding(tenant, elder, 'venue.repeat', 'orange', T0 + 2 * HOUR)], noAlertEffects)
    expect(raised?.alert).toMatchObject({ status: 'open', level: 'orange', acknowledgedBy: 'ops-admin' })
  })
})
