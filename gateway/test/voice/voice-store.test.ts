import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { Finding } from '../../../rules/src/index'
import { backends, silentLogger, type OpenedBackend } from '../../../test/support/databases'
import { applyFindings, type Alert } from '../../src/alerts/alert-store'
import { readChanges, type Change } from '../../src/stream/change-log-store'
import { composeAlertEffects, noAlertEffects, plannedEffects, writePlanned, type AlertEvent } from '../../src/alerts/effects'
import type { CommandAck } from '../../src/ingest/types'
import { ensureBootstrap } from '../../src/registry/bootstrap'
import { insertDevice } from '../../src/registry/device-store'
import { insertElder } from '../../src/registry/elder-store'
import { createVoiceDispatcher, type VoiceDispatcher } from '../../src/voice/dispatcher'
import { createVoicePlanner } from '../../src/voice/planner'
import { insertPrompt, listPrompts, type VoicePrompt } from '../../src/voice/voice-store'

/**
 * The planner's rows, the per-elder rate limit, status transitions driven by acks, re-sends
 * and expiry, on both storage backends. The broker is a recorder here (the end-to-end test
 * uses the real one); the clock is a variable so expiry and the rate-limit hour are exact.
 */
const T0 = Date.parse('2025-03-01T02:00:00Z')
const TTL = 30 * 60_000

class RecordingBroker {
  readonly connected = new Set<string>()
  readonly sent: Array<{ deviceId: string; command: Record<string, unknown> }> = []
  sendCommand = async (deviceId: string, command: object) => {
    this.sent.push({ deviceId, command: command as Record<string, unknown> })
  }
  isConnected = (deviceId: string) => this.connected.has(deviceId)
  commandsTo = (deviceId: string) => this.sent.filter((s) => s.deviceId === deviceId).map((s) => s.command)
}

describe.each(backends)('voice prompts in storage ($name)', (backend) => {
  let opened: OpenedBackend
  let tenantId: string
  let now = T0
  const clock = () => now

  beforeAll(async () => {
    opened = await backend.open()
    tenantId = (await ensureBootstrap(opened.db, { tenantName: 'county-v', adminPassword: 'admin-password-1' })).tenantId
  })
  afterAll(async () => opened?.cleanup())
  beforeEach(() => {
    now = T0
  })

  async function elderWithDevices(language?: string): Promise<{ elderId: string; watch: string; camera: string }> {
    const elderId = randomUUID()
    await insertElder(opened.db, tenantId, elderId, { name: '王阿姨', home: { lat: 31.2, lon: 121.4 }, language })
    const watch = `w-${elderId.slice(0, 8)}`
    const camera = `c-${elderId.slice(0, 8)}`
    await insertDevice(opened.db, tenantId, { id: watch, elderId, kind: 'watch', secretHash: 'x' })
    await insertDevice(opened.db, tenantId, { id: camera, elderId, kind: 'camera', secretHash: 'x' })
    return { elderId, watch, camera }
  }

  async function alertFor(elderId: string, rule: string, level: Finding['level'], evidence: Record<string, unknown> = {}): Promise<Alert> {
    const finding: Finding = { rule: rule as Finding['rule'], tenantId, elderId, level, dedupKey: `${rule}|${randomUUID()}`, ts: now, summary: 's', evidence }
    const [change] = await applyFindings(opened.db, [finding], noAlertEffects)
    if (!change) throw new Error('no alert change')
    return change.alert
  }

  async function plan(planner: ReturnType<typeof createVoicePlanner>, alert: Alert, change: AlertEvent['change'] = 'opened'): Promise<Change[]> {
    return opened.db.transaction(async (tx) => writePlanned(tx, plannedEffects(await planner(tx, { alert, change, previousLevel: null, actor: 'rule-engine' }))))
  }

  const prompts = async (elderId: string) => (await listPrompts(opened.db, { tenantId, elderId, limit: 100, offset: 0 })).items

  describe('planner', () => {
    it('queues one prompt per device of the elder, in the elder’s language, expiring after the TTL', async () => {
      const { elderId, watch, camera } = await elderWithDevices('en')
      const alert = await alertFor(elderId, 'absence.long', 'yellow', { awayMin: 800 })
      const changes = await plan(createVoicePlanner({ ttlMs: TTL, clock }), alert)
      const rows = await prompts(elderId)
      expect(rows.map((r) => r.deviceId).sort()).toEqual([camera, watch].sort())
      for (const r of rows) {
        expect(r).toMatchObject({ alertId: alert.id, origin: 'alert', status: 'queued', priority: 'normal', lang: 'en', sendCount: 0 })
        expect(r.text).toContain('about 13 hours')
        expect(Date.parse(r.expiresAt)).toBe(T0 + TTL)
      }
      expect(changes.map((c) => [c.topic, c.entityId]).sort()).toEqual(rows.map((r) => ['voice', r.id]).sort())
      const logged = await readChanges(opened.db, tenantId, 0, 1000)
      expect(logged.filter((c) => changes.some((x) => x.seq === c.seq))).toHaveLength(2)
    })

    it('gives red alerts high priority and speaks Chinese when the language is unknown', async () => {
      const { elderId } = await elderWithDevices('fr')
      await plan(createVoicePlanner({ clock }), await alertFor(elderId, 'safety.sos', 'red'))
      for (const r of await prompts(elderId)) expect(r).toMatchObject({ priority: 'high', lang: 'zh-CN', text: expect.stringContaining('求救') })
    })

    it('prompts on opened, raised and escalated at yellow and above only', async () => {
      const { elderId } = await elderWithDevices()
      const planner = createVoicePlanner({ clock, maxPerHour: 100 })
      const yellow = await alertFor(elderId, 'home.strangers', 'yellow')
      for (const change of ['repeated', 'acknowledged', 'assigned', 'resolved', 'reopened'] as const) {
        expect(await plan(planner, yellow, change)).toEqual([])
      }
      const green = await alertFor(elderId, 'device.battery', 'green')
      expect(await plan(planner, green, 'opened')).toEqual([])
      expect(await prompts(elderId)).toHaveLength(0)
      for (const change of ['opened', 'raised', 'escalated'] as const) expect(await plan(planner, yellow, change)).toHaveLength(2)
    })

    it('writes nothing for an elder without devices', async () => {
      const elderId = randomUUID()
      await insertElder(opened.db, tenantId, elderId, { name: '李大爷', home: { lat: 31.2, lon: 121.4 } })
      expect(await plan(createVoicePlanner({ clock }), await alertFor(elderId, 'safety.fall', 'red'))).toEqual([])
    })

    it('holds back alert prompts beyond maxPerHour per elder as suppressed; operator prompts do not count', async () => {
      const { elderId, watch } = await elderWithDevices()
      const planner = createVoicePlanner({ clock, maxPerHour: 3 })
      // An operator's manual prompt in the same hour is not an alert prompt.
      await insertPrompt(opened.db, {
        id: randomUUID(), tenantId, elderId, deviceId: watch, alertId: null, occasionId: null, origin: 'operator', requestedBy: 'op',
        text: '您好', lang: 'zh-CN', priority: 'normal', status: 'queued', expiresAt: new Date(now + TTL), createdAt: new Date(now), ruleAt: new Date(now),
      })
      const rules = ['venue.repeat', 'absence.long', 'home.strangers', 'absence.overnight', 'device.removed']
      const alerts: Alert[] = []
      for (const rule of rules) {
        now += 60_000
        const alert = await alertFor(elderId, rule, rule === 'absence.overnight' || rule === 'device.removed' ? 'orange' : 'yellow')
        alerts.push(alert)
        await plan(planner, alert)
      }
      const byAlert = async (alertId: string) => (await prompts(elderId)).filter((p) => p.alertId === alertId).map((p) => p.status)
      for (const a of alerts.slice(0, 3)) expect(await byAlert(a.id)).toEqual(['queued', 'queued'])
      for (const a of alerts.slice(3)) expect(await byAlert(a.id)).toEqual(['suppressed', 'suppressed'])

      // An hour after the first three, the elder may be prompted again.
      now = T0 + 3 * 60_000 + 3_600_000 + 1
      const later = await alertFor(elderId, 'absence.trip', 'orange')
      await plan(planner, later)
      expect(await byAlert(later.id)).toEqual(['queued', 'queued'])
    })

    it('counts the prompts planned earlier in the same transaction, not yet written (they go in at its end)', async () => {
      const { elderId } = await elderWithDevices()
      const effects = composeAlertEffects({ planners: [createVoicePlanner({ clock, maxPerHour: 2 })], wake: [] })
      const findings: Finding[] = ['venue.repeat', 'absence.long', 'home.strangers'].map((rule, i) => ({
        rule: rule as Finding['rule'], tenantId, elderId, level: 'yellow', dedupKey: `${rule}|${randomUUID()}`, ts: now + i, summary: 's', evidence: {},
      }))
      const changes = await applyFindings(opened.db, findings, effects)
      const statuses = async (alertId: string) => (await prompts(elderId)).filter((p) => p.alertId === alertId).map((p) => p.status)
      expect(await Promise.all(changes.map((c) => statuses(c.alert.id)))).toEqual([
        ['queued', 'queued'],
        ['queued', 'queued'],
        ['suppressed', 'suppressed'],
      ])
    })

    it('never holds back a red alert\'s prompt, however many the hour has had (DESIGN §5)', async () => {
      const { elderId } = await elderWithDevices()
      const planner = createVoicePlanner({ clock, maxPerHour: 1 })
      const yellow = await alertFor(elderId, 'venue.repeat', 'yellow')
      await plan(planner, yellow)
      now += 60_000
      const second = await alertFor(elderId, 'home.strangers', 'yellow')
      await plan(planner, second)
      const statuses = async (alertId: string) => (await prompts(elderId)).filter((p) => p.alertId === alertId).map((p) => p.status)
      expect(await statuses(second.id)).toEqual(['suppressed', 'suppressed'])
      for (const rule of ['safety.sos', 'safety.fall', 'absence.trip']) {
        now += 60_000
        const red = await alertFor(elderId, rule, 'red')
        await plan(planner, red)
        expect(await statuses(red.id)).toEqual(['queued', 'queued'])
      }
      // An orange alert that escalates to red speaks even though the hour is full.
      const orange = await alertFor(elderId, 'device.removed', 'orange')
      await plan(planner, orange)
      expect(await statuses(orange.id)).toEqual(['suppressed', 'suppressed'])
      await plan(planner, { ...orange, level: 'red' }, 'escalated')
      expect((await statuses(orange.id)).sort()).toEqual(['queued', 'queued', 'suppressed', 'suppressed'])
    })

    it('counts the hourly limit and sets the expiry on the tenant\'s rule clock, not the wall clock', async () => {
      const { elderId } = await elderWithDevices()
      // EG_CLOCK=event: a replayed week runs in minutes of wall time; the rule clock is days ahead.
      let ruleNow = Date.parse('2026-03-02T09:00:00Z')
      const planner = createVoicePlanner({ clock, maxPerHour: 1, ruleClock: () => ruleNow })
      const first = await alertFor(elderId, 'venue.repeat', 'yellow')
      await plan(planner, first)
      // Two hours later on the rule clock, one second later on the wall clock: not suppressed.
      ruleNow += 2 * 3_600_000
      now += 1_000
      const second = await alertFor(elderId, 'home.strangers', 'yellow')
      await plan(planner, second)
      const rows = (await prompts(elderId)).filter((p) => p.alertId === second.id)
      expect(rows.map((p) => p.status)).toEqual(['queued', 'queued'])
      expect(rows.map((p) => p.expiresAt)).toEqual(rows.map(() => new Date(ruleNow + TTL).toISOString()))
      // Ten minutes later on the rule clock: the hour holds one, so the next yellow waits.
      ruleNow += 10 * 60_000
      const third = await alertFor(elderId, 'absence.long', 'yellow')
      await plan(planner, third)
      expect((await prompts(elderId)).filter((p) => p.alertId === third.id).map((p) => p.status)).toEqual(['suppressed', 'suppressed'])
    })
  })

  describe('dispatcher', () => {
    let broker: RecordingBroker
    let dispatcher: VoiceDispatcher
    let emitted: Change[]

    beforeEach(() => {
      broker = new RecordingBroker()
      emitted = []
      dispatcher = createVoiceDispatcher({ db: opened.db, broker, logger: silentLogger, clock, sweepMs: 0, resendBaseMs: 2_000, resendMaxMs: 8_000 })
      dispatcher.onChanges((changes) => emitted.push(...changes))
    })

    async function queued(opts: { connected: boolean }): Promise<{ elderId: string; watch: string; camera: string; changes: Change[]; alert: Alert }> {
      const devices = await elderWithDevices()
      if (opts.connected) broker.connected.add(devices.watch)
      const alert = await alertFor(devices.elderId, 'safety.sos', 'red')
      const changes = await plan(createVoicePlanner({ clock, ttlMs: TTL }), alert)
      return { ...devices, changes, alert }
    }

    const promptOn = async (elderId: string, deviceId: string): Promise<VoicePrompt> => {
      const p = (await prompts(elderId)).find((x) => x.deviceId === deviceId)
      if (!p) throw new Error('no prompt')
      return p
    }
    const ack = (p: VoicePrompt, status: CommandAck['status'], deviceId = p.deviceId): CommandAck => ({
      tenantId, elderId: p.elderId, deviceId, commandId: p.id, status, ts: now,
    })

    it('sends the queued prompts of a commit to connected devices with the DESIGN §3 command shape', async () => {
      const { elderId, watch, camera, changes } = await queued({ connected: true })
      dispatcher.wake(changes)
      await dispatcher.idle()
      const prompt = await promptOn(elderId, watch)
      expect(broker.commandsTo(watch)).toEqual([
        { id: prompt.id, type: 'voice', text: prompt.text, lang: 'zh-CN', priority: 'high', expiresAt: new Date(T0 + TTL).toISOString() },
      ])
      expect(Object.keys(broker.commandsTo(watch)[0] ?? {}).sort()).toEqual(['expiresAt', 'id', 'lang', 'priority', 'text', 'type'])
      expect(prompt).toMatchObject({ status: 'sent', sendCount: 1, sentAt: new Date(T0).toISOString() })
      // The camera is offline: its prompt waits.
      expect(broker.commandsTo(camera)).toEqual([])
      expect((await promptOn(elderId, camera)).status).toBe('queued')
      expect(emitted.map((c) => [c.topic, c.entityId, (c.payload as { prompt: { status: string } }).prompt.status])).toEqual([['voice', prompt.id, 'sent']])
    })

    it('moves a prompt forward on its device’s acks only, never backwards', async () => {
      const { elderId, watch, camera, changes } = await queued({ connected: true })
      dispatcher.wake(changes)
      await dispatcher.idle()
      const p = await promptOn(elderId, watch)

      dispatcher.onAcks([ack(p, 'played', camera)]) // another device's ack for this prompt
      await dispatcher.idle()
      expect((await promptOn(elderId, watch)).status).toBe('sent')

      dispatcher.onAcks([ack(p, 'delivered')])
      await dispatcher.idle()
      expect((await promptOn(elderId, watch)).status).toBe('delivered')
      dispatcher.onAcks([ack(p, 'played'), ack(p, 'delivered'), ack(p, 'failed')])
      await dispatcher.idle()
      const done = await promptOn(elderId, watch)
      expect(done.status).toBe('played')
      expect(done.ackedAt).not.toBeNull()
      const statuses = emitted.filter((c) => c.entityId === p.id).map((c) => (c.payload as { prompt: { status: string } }).prompt.status)
      expect(statuses).toEqual(['sent', 'delivered', 'played'])
    })

    it('takes an ack that overtakes the sent bookkeeping', async () => {
      const { elderId, camera } = await queued({ connected: false })
      const p = await promptOn(elderId, camera)
      dispatcher.onAcks([ack(p, 'delivered')])
      await dispatcher.idle()
      expect((await promptOn(elderId, camera)).status).toBe('delivered')
    })

    it('re-sends an unacknowledged prompt with backoff, and stops once the device acks', async () => {
      const { elderId, watch, changes } = await queued({ connected: true })
      dispatcher.wake(changes)
      await dispatcher.idle()
      now += 1_000
      await dispatcher.sweep()
      expect(broker.commandsTo(watch)).toHaveLength(1) // not due yet
      now += 1_000
      await dispatcher.sweep()
      expect(broker.commandsTo(watch)).toHaveLength(2)
      now += 2_000
      await dispatcher.sweep()
      expect(broker.commandsTo(watch)).toHaveLength(2) // the second wait is 4 s
      now += 2_000
      await dispatcher.sweep()
      expect(broker.commandsTo(watch)).toHaveLength(3)
      expect((await promptOn(elderId, watch)).sendCount).toBe(3)
      dispatcher.onAcks([ack(await promptOn(elderId, watch), 'delivered')])
      await dispatcher.idle()
      now += 60_000
      await dispatcher.sweep()
      expect(broker.commandsTo(watch)).toHaveLength(3)
    })

    it('sends a waiting prompt when its device connects, and re-sends unacknowledged ones on reconnect', async () => {
      const { elderId, camera, changes } = await queued({ connected: false })
      dispatcher.wake(changes)
      await dispatcher.idle()
      expect(broker.commandsTo(camera)).toEqual([])
      broker.connected.add(camera)
      dispatcher.deviceConnected(camera)
      await dispatcher.idle()
      expect(broker.commandsTo(camera)).toHaveLength(1)
      expect((await promptOn(elderId, camera)).status).toBe('sent')
      // A new connection gets it again at once, due or not.
      dispatcher.deviceConnected(camera)
      await dispatcher.idle()
      expect(broker.commandsTo(camera)).toHaveLength(2)
    })

    it('expires prompts nobody acknowledged in time and never sends an expired one', async () => {
      const { elderId, watch, camera, changes } = await queued({ connected: true })
      dispatcher.wake(changes)
      await dispatcher.idle()
      now = T0 + TTL
      await dispatcher.sweep()
      expect((await promptOn(elderId, watch)).status).toBe('expired')
      expect((await promptOn(elderId, camera)).status).toBe('expired')
      broker.connected.add(camera)
      dispatcher.deviceConnected(camera)
      await dispatcher.sweep()
      await dispatcher.idle()
      expect(broker.commandsTo(camera)).toEqual([])
      const mine = new Set((await prompts(elderId)).map((p) => p.id))
      const expired = emitted.filter((c) => (c.payload as { prompt: { status: string } }).prompt.status === 'expired')
      expect(expired.filter((c) => mine.has(c.entityId))).toHaveLength(2)
    })

    it('does not send a prompt past its expiry even before the sweep marked it', async () => {
      const { camera, changes } = await queued({ connected: false })
      broker.connected.add(camera)
      now = T0 + TTL + 1
      dispatcher.wake(changes)
      dispatcher.deviceConnected(camera)
      await dispatcher.idle()
      expect(broker.commandsTo(camera)).toEqual([])
    })

    it('expires prompts on the tenant\'s rule clock: a replayed week does not keep a stale prompt', async () => {
      const devices = await elderWithDevices()
      let ruleNow = Date.parse('2026-03-02T09:00:00Z')
      const ruled = createVoiceDispatcher({ db: opened.db, broker, logger: silentLogger, clock, ruleClock: () => ruleNow, sweepMs: 0 })
      const planner = createVoicePlanner({ clock, ruleClock: () => ruleNow })
      await plan(planner, await alertFor(devices.elderId, 'venue.repeat', 'yellow'))
      // The wall clock stands still; the rule clock passes the expiry.
      ruleNow += TTL + 1
      broker.connected.add(devices.watch)
      await ruled.sweep()
      await ruled.idle()
      expect(broker.sent).toEqual([])
      expect((await prompts(devices.elderId)).map((p) => p.status)).toEqual(['expired', 'expired'])
      await ruled.close()
    })

    it('leaves suppressed prompts unsent', async () => {
      const devices = await elderWithDevices()
      broker.connected.add(devices.watch)
      const planner = createVoicePlanner({ clock, maxPerHour: 0 })
      dispatcher.wake(await plan(planner, await alertFor(devices.elderId, 'venue.repeat', 'yellow')))
      dispatcher.deviceConnected(devices.watch)
      await dispatcher.sweep()
      await dispatcher.idle()
      expect(broker.sent).toEqual([])
      expect((await prompts(devices.elderId)).map((p) => p.status)).toEqual(['suppressed', 'suppressed'])
    })
  })
})
