import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { applyFindings, getAlert } from '../../src/alerts/alert-store'
import { noAlertEffects } from '../../src/alerts/effects'
import { escalateOverdue } from '../../src/alerts/escalation'
import { createAlertLifecycle, type AlertActor } from '../../src/alerts/lifecycle'
import type { RiskLevel } from '../../../contract/levels'
import type { RuleId } from '../../../rules/src/index'
import { EgError } from '../../src/errors'
import type { Db } from '../../src/storage/db'
import { backends, type OpenedBackend } from '../../../test/support/databases'
import { changeLogCount, finding, HOUR, historyActions, MIN, newElder, recordingEffects, seedTenant, T0 } from './fixtures'

describe.each(backends)('alert lifecycle ($name)', (backend) => {
  let opened: OpenedBackend
  let db: Db
  let users: Awaited<ReturnType<typeof seedTenant>>
  const tenant = `lc-${backend.name}`
  const admin: AlertActor = { tenantId: tenant, username: 'ana-admin', role: 'admin' }
  const operator: AlertActor = { tenantId: tenant, username: 'otto-operator', role: 'operator' }

  beforeAll(async () => {
    opened = await backend.open()
    db = opened.db
    users = await seedTenant(db, tenant)
  })
  afterAll(async () => opened?.cleanup())

  async function newAlert(level: RiskLevel = 'orange', rule: RuleId = 'absence.overnight', at = T0, tenantId = tenant) {
    const elder = await newElder(db, tenantId)
    const [c] = await applyFindings(db, [finding(tenantId, elder, rule, level, at)], noAlertEffects)
    return c!.alert
  }

  async function conflict(p: Promise<unknown>): Promise<string> {
    const err = await p.then(
      () => null,
      (e: unknown) => e,
    )
    expect(err).toBeInstanceOf(EgError)
    expect((err as EgError).code).toBe('CONFLICT')
    expect((err as EgError).status).toBe(409)
    return (err as EgError).message
  }

  it('acknowledges, assigns and resolves, with a history row and planned effects for every step', async () => {
    const effects = recordingEffects()
    const lifecycle = createAlertLifecycle({ db, effects, ruleClock: () => T0 + HOUR })
    const alert = await newAlert()

    const acked = await lifecycle.acknowledge(operator, alert.id)
    expect(acked).toMatchObject({ status: 'acknowledged', acknowledgedBy: 'otto-operator' })
    expect(acked.acknowledgedAt).not.toBeNull()
    const assigned = await lifecycle.assign(operator, alert.id, users.operatorId)
    expect(assigned).toMatchObject({ status: 'acknowledged', assignee: users.operatorId })
    const resolved = await lifecycle.resolve(admin, alert.id, { disposition: 'referred_to_police', note: '  case 110-42 ' })
    expect(resolved).toMatchObject({ status: 'resolved', resolvedBy: 'ana-admin', disposition: 'referred_to_police', resolutionNote: 'case 110-42' })
    expect(resolved.resolvedAt).not.toBeNull()

    expect(await historyActions(db, alert.id)).toEqual([
      { action: 'opened', actor: 'rule-engine', from_status: null, to_status: 'open', from_level: null, to_level: 'orange' },
      { action: 'acknowledged', actor: 'otto-operator', from_status: 'open', to_status: 'acknowledged', from_level: 'orange', to_level: 'orange' },
      { action: 'assigned', actor: 'otto-operator', from_status: 'acknowledged', to_status: 'acknowledged', from_level: 'orange', to_level: 'orange' },
      { action: 'resolved', actor: 'ana-admin', from_status: 'acknowledged', to_status: 'resolved', from_level: 'orange', to_level: 'orange' },
    ])
    expect(effects.planned.map((e) => [e.change, e.actor, e.previousLevel, e.alert.status])).toEqual([
      ['acknowledged', 'otto-operator', 'orange', 'acknowledged'],
      ['assigned', 'otto-operator', 'orange', 'acknowledged'],
      ['resolved', 'ana-admin', 'orange', 'resolved'],
    ])
    expect(effects.committed.map((c) => c.map((x) => x.payload.change))).toEqual([['acknowledged'], ['assigned'], ['resolved']])
  })

  it('refuses illegal transitions with 409 CONFLICT and a clear message, changing nothing', async () => {
    const effects = recordingEffects()
    const lifecycle = createAlertLifecycle({ db, effects })
    const alert = await newAlert('yellow', 'home.strangers')
    expect(await conflict(lifecycle.reopen(admin, alert.id))).toMatch(/is open, not resolved/)
    await lifecycle.acknowledge(operator, alert.id)
    expect(await conflict(lifecycle.acknowledge(operator, alert.id))).toMatch(/already acknowledged/)
    await lifecycle.resolve(operator, alert.id, { disposition: 'false_alarm' })
    expect(await conflict(lifecycle.resolve(operator, alert.id, { disposition: 'false_alarm' }))).toMatch(/already resolved/)
    expect(await conflict(lifecycle.acknowledge(operator, alert.id))).toMatch(/resolved; an admin must reopen it/)
    expect(await conflict(lifecycle.assign(operator, alert.id, users.operatorId))).toMatch(/resolved alert cannot be assigned/)
    expect(effects.planned.map((e) => e.change)).toEqual(['acknowledged', 'resolved'])
    expect((await historyActions(db, alert.id)).map((h) => h.action)).toEqual(['opened', 'acknowledged', 'resolved'])

    await expect(lifecycle.reopen(operator, alert.id)).rejects.toMatchObject({ code: 'FORBIDDEN' })
    await expect(lifecycle.acknowledge(operator, 'no-such-alert')).rejects.toMatchObject({ code: 'NOT_FOUND' })
  })

  it('assigns only to an active staff user of the tenant, naming userId', async () => {
    const lifecycle = createAlertLifecycle({ db, effects: noAlertEffects })
    const alert = await newAlert()
    for (const userId of ['nobody', users.policeId, users.disabledId]) {
      await expect(lifecycle.assign(operator, alert.id, userId)).rejects.toMatchObject({ code: 'VALIDATION_FAILED', fields: [{ path: 'userId' }] })
    }
    expect((await getAlert(db, tenant, alert.id))?.assignee).toBeNull()
  })

  it('reopens a resolved alert (admins only), restarting its level clock; refuses when another alert is open for the same elder and rule', async () => {
    const effects = recordingEffects()
    const lifecycle = createAlertLifecycle({ db, effects, ruleClock: () => T0 + 3 * HOUR })
    const alert = await newAlert('orange', 'device.removed')
    await lifecycle.resolve(operator, alert.id, { disposition: 'resolved_other' })
    const reopened = await lifecycle.reopen(admin, alert.id)
    expect(reopened).toMatchObject({ status: 'open', resolvedAt: null, disposition: null, levelSince: new Date(T0 + 3 * HOUR).toISOString() })
    expect(effects.planned.at(-1)).toMatchObject({ change: 'reopened', actor: 'ana-admin' })
    expect((await historyActions(db, alert.id)).at(-1)).toMatchObject({ action: 'reopened', from_status: 'resolved', to_status: 'open' })

    // Resolved again, then a newer alert for the same (elder, rule) opens past the cool-down.
    await lifecycle.resolve(operator, alert.id, { disposition: 'resolved_other' })
    const [newer] = await applyFindings(db, [finding(tenant, alert.elderId, 'device.removed', 'orange', T0 + 20 * HOUR)], noAlertEffects)
    expect(newer?.change).toBe('opened')
    expect(await conflict(lifecycle.reopen(admin, alert.id))).toContain(newer!.alert.id)
  })

  it('rolls a transition back when a planner fails: status, history and change log stay as they were', async () => {
    const alert = await newAlert()
    const before = await changeLogCount(db, tenant)
    const failing = recordingEffects({ failOn: 'acknowledged' })
    await expect(createAlertLifecycle({ db, effects: failing }).acknowledge(operator, alert.id)).rejects.toThrow('planner refused acknowledged')
    expect((await getAlert(db, tenant, alert.id))?.status).toBe('open')
    expect((await historyActions(db, alert.id)).map((h) => h.action)).toEqual(['opened'])
    expect(await changeLogCount(db, tenant)).toBe(before)
    expect(failing.committed).toEqual([])
  })

  describe('escalation of unacknowledged orange alerts', () => {
    it('raises an open orange alert to red exactly when level_since + orangeAckMs is reached on the given clock', async () => {
      const tenantE = `${tenant}-esc`
      await seedTenant(db, tenantE)
      const orange = await newAlert('orange', 'absence.overnight', T0, tenantE)
      const yellow = await newAlert('yellow', 'home.strangers', T0 - HOUR, tenantE)
      const acked = await newAlert('orange', 'device.removed', T0 - HOUR, tenantE)
      await createAlertLifecycle({ db, effects: noAlertEffects }).acknowledge({ ...operator, tenantId: tenantE }, acked.id)
      const effects = recordingEffects()

      expect(await escalateOverdue(db, effects, { now: T0 + 15 * MIN - 1, orangeAckMs: 15 * MIN, tenantId: tenantE })).toEqual([])
      expect(effects.planned).toEqual([])

      const escalated = await escalateOverdue(db, effects, { now: T0 + 15 * MIN, tenantId: tenantE })
      expect(escalated.map((a) => a.id)).toEqual([orange.id])
      expect(escalated[0]).toMatchObject({ level: 'red', status: 'open', levelSince: new Date(T0 + 15 * MIN).toISOString(), escalatedAt: new Date(T0 + 15 * MIN).toISOString() })
      expect(effects.planned).toEqual([expect.objectContaining({ change: 'escalated', actor: 'escalation', previousLevel: 'orange' })])
      expect(effects.committed).toHaveLength(1)
      expect((await historyActions(db, orange.id)).at(-1)).toEqual({
        action: 'escalated',
        actor: 'escalation',
        from_status: 'open',
        to_status: 'open',
        from_level: 'orange',
        to_level: 'red',
      })
      expect((await getAlert(db, tenantE, yellow.id))?.level).toBe('yellow')
      expect((await getAlert(db, tenantE, acked.id))?.level).toBe('orange')
      // Escalated once: the next tick finds nothing.
      expect(await escalateOverdue(db, effects, { now: T0 + 2 * HOUR, tenantId: tenantE })).toEqual([])
    })

    it('leaves other tenants alone when given a tenant, and keeps an alert orange when its escalation effects fail', async () => {
      const tenantA = `${tenant}-a`
      const tenantB = `${tenant}-b`
      await seedTenant(db, tenantA)
      await seedTenant(db, tenantB)
      const a = await newAlert('orange', 'absence.overnight', T0, tenantA)
      const b = await newAlert('orange', 'absence.overnight', T0, tenantB)
      expect((await escalateOverdue(db, noAlertEffects, { now: T0 + HOUR, tenantId: tenantA })).map((x) => x.id)).toEqual([a.id])
      expect((await getAlert(db, tenantB, b.id))?.level).toBe('orange')

      const failing = recordingEffects({ failOn: 'escalated' })
      await expect(escalateOverdue(db, failing, { now: T0 + HOUR, tenantId: tenantB })).rejects.toThrow(/stay orange/)
      expect((await getAlert(db, tenantB, b.id))?.level).toBe('orange')
      expect((await historyActions(db, b.id)).map((h) => h.action)).toEqual(['opened'])
    })
  })
})
