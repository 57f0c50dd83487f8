import { randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import type { MqttClient } from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Finding } from '../../../rules/src/index'
import { backends, silentLogger, type OpenedBackend } from '../../../test/support/databases'
import { collectCommands, connectDevice, waitFor, type DeviceCommand } from '../../../test/support/gateway'
import { applyFindings } from '../../src/alerts/alert-store'
import { alertChangeLogPlanner, composeAlertEffects, type AlertEffects } from '../../src/alerts/effects'
import { startBroker, type Broker } from '../../src/broker/index'
import { loadConfig } from '../../src/config'
import { buildHttpApp } from '../../src/http/app'
import { decodeLimitsFromConfig } from '../../src/ingest/decode'
import { createDeviceIntake } from '../../src/intake/device-intake'
import { createMetrics } from '../../src/metrics'
import { ensureBootstrap } from '../../src/registry/bootstrap'
import { createDeviceAuthenticator } from '../../src/registry/device-auth'
import { createVoiceDispatcher, createVoicePlanner, voiceRoutes, type VoiceDispatcher } from '../../src/voice/index'
import { bearer, login, userToken } from '../http/harness'

/**
 * Voice prompts with real parts: the embedded MQTT broker with device auth, the intake that
 * decodes acks, PostgreSQL, the HTTP API with the voice routes, and real MQTT device clients.
 * The alert is applied through the real outbox (applyFindings + composeAlertEffects) in place
 * of the rule engine, composed here the way gateway.ts composes it; voice.e2e.test.ts drives
 * the same path from an SOS published over MQTT once gateway.ts wires the voice module in.
 */
const TTL = 30 * 60_000
const postgres = backends.find((b) => b.name === 'postgres')!

interface PromptView {
  id: string
  deviceId: string
  alertId: string | null
  origin: string
  requestedBy: string | null
  status: string
  sendCount: number
  text: string
}

describe('voice prompts over MQTT (real broker, intake, storage, HTTP)', () => {
  let opened: OpenedBackend
  let broker: Broker
  let http: FastifyInstance
  let dispatcher: VoiceDispatcher
  let effects: AlertEffects
  let tenantId: string
  let token: string
  let mqttUrl: string
  /** Shifts the gateway's clock (planner, routes, dispatcher) forward, to expire prompts. */
  let skewMs = 0
  const clock = () => Date.now() + skewMs
  const clients: MqttClient[] = []

  beforeAll(async () => {
    opened = await postgres.open()
    const { db } = opened
    const config = loadConfig({ EG_LOG_LEVEL: 'silent', EG_WEBHOOK_ALLOW: '127.0.0.1/32' })
    const metrics = createMetrics()
    tenantId = (await ensureBootstrap(db, { tenantName: 'county-voice', adminPassword: 'admin-password-1' })).tenantId
    const deviceAuth = createDeviceAuthenticator(db, { cacheTtlMs: 60_000 })
    // Sinks this test does not look at; acks go to the dispatcher, as gateway.ts wires them.
    const intake = createDeviceIntake(
      {
        writer: { push: () => undefined },
        deadLetters: { record: () => undefined },
        activity: { seen: () => undefined, setOnline: () => undefined },
        detection: { submit: () => undefined },
        onAcks: (acks) => dispatcher.onAcks(acks),
      },
      metrics,
      decodeLimitsFromConfig(config),
    )
    broker = await startBroker(
      { port: 0, host: '127.0.0.1', logger: silentLogger, metrics, authThrottle: { maxFailures: 100, windowMs: 60_000, blockMs: 1_000 } },
      {
        verifyDevice: (id, secret) => deviceAuth.verifyDevice(id, secret),
        onMessage: (device, channel, payload) => intake.onMessage(device, channel, payload),
        onConnect: (device) => dispatcher.deviceConnected(device.deviceId),
      },
    )
    mqttUrl = `mqtt://127.0.0.1:${broker.port}`
    // Short re-send timings: a device that just connected has not subscribed yet when the first copy goes out.
    dispatcher = createVoiceDispatcher({ db, broker, logger: silentLogger, metrics, clock, sweepMs: 100, resendBaseMs: 200, resendMaxMs: 1_000 })
    effects = composeAlertEffects({
      planners: [alertChangeLogPlanner, createVoicePlanner({ ttlMs: TTL, clock })],
      wake: [(changes) => dispatcher.wake(changes)],
    })
    http = await buildHttpApp({
      db,
      config,
      logger: silentLogger,
      metrics,
      deviceAuth,
      health: async () => ({}),
      plugins: [voiceRoutes({ db, afterCommit: (changes) => effects.afterCommit(changes), ttlMs: TTL, clock })],
    })
    token = await login(http, 'admin', 'admin-password-1')
  })

  afterAll(async () => {
    for (const c of clients) await c.endAsync(true).catch(() => undefined)
    await dispatcher?.close()
    await broker?.close()
    await http?.close()
    await opened?.cleanup()
  })

  async function api<T>(method: 'GET' | 'POST', url: string, payload?: unknown, as = token): Promise<{ status: number; body: T }> {
    const res = await http.inject({ method, url, headers: bearer(as), ...(payload === undefined ? {} : { payload: payload as object }) })
    return { status: res.statusCode, body: res.json() as T }
  }

  async function elderWithDevices(language = 'zh-CN') {
    const elder = await api<{ id: string }>('POST', '/api/v1/elders', { name: '张奶奶', home: { lat: 31.23, lon: 121.47 }, language })
    const watch = await api<{ id: string; secret: string }>('POST', '/api/v1/devices', { elderId: elder.body.id, kind: 'watch' })
    const camera = await api<{ id: string; secret: string }>('POST', '/api/v1/devices', { elderId: elder.body.id, kind: 'camera' })
    return { elderId: elder.body.id, watch: watch.body, camera: camera.body }
  }

  /** A device client subscribed to its cmd topic, collecting commands. */
  async function device(d: { id: string; secret: string }): Promise<{ client: MqttClient; commands: DeviceCommand[] }> {
    const client = await connectDevice(mqttUrl, d.id, d.secret)
    clients.push(client)
    return { client, commands: await collectCommands(client, d.id) }
  }

  /** A red alert through the outbox, as the rule engine's finding would make it (default: SOS). */
  async function sos(elderId: string, deviceId: string, rule: Finding['rule'] = 'safety.sos', level: Finding['level'] = 'red'): Promise<string> {
    const finding: Finding = {
      rule, tenantId, elderId, level, dedupKey: `${rule}|${randomUUID()}`, ts: Date.now(),
      summary: 'SOS pressed', evidence: { deviceId, place: 'home' },
    }
    const [change] = await applyFindings(opened.db, [finding], effects)
    if (!change) throw new Error('no alert')
    return change.alert.id
  }

  const promptsOf = async (query: string) => (await api<{ items: PromptView[] }>('GET', `/api/v1/voice-prompts?${query}`)).body.items

  it('speaks an alert on the connected watch, follows its acks to played, and reaches the camera when it connects', async () => {
    const { elderId, watch, camera } = await elderWithDevices()
    const watchDevice = await device(watch)
    const alertId = await sos(elderId, watch.id)

    const command = await waitFor(async () => watchDevice.commands[0], { what: 'voice command at the watch' })
    expect(Object.keys(command).sort()).toEqual(['expiresAt', 'id', 'lang', 'priority', 'text', 'type'])
    expect(command).toMatchObject({ type: 'voice', lang: 'zh-CN', priority: 'high', text: expect.stringContaining('求救') })
    expect(Date.parse(command.expiresAt)).toBeGreaterThan(Date.now() + TTL - 60_000)

    await watchDevice.client.publishAsync(`eg/v1/${watch.id}/cmd/ack`, JSON.stringify({ id: command.id, status: 'delivered', ts: Date.now() }), { qos: 1 })
    await watchDevice.client.publishAsync(`eg/v1/${watch.id}/cmd/ack`, JSON.stringify({ id: command.id, status: 'played', ts: Date.now() }), { qos: 1 })
    const played = await waitFor(async () => (await promptsOf(`alertId=${alertId}&status=played`))[0], { what: 'prompt played' })
    expect(played).toMatchObject({ id: command.id, deviceId: watch.id, origin: 'alert' })
    // The camera was offline: its copy waits, queued.
    expect((await promptsOf(`alertId=${alertId}&deviceId=${camera.id}`)).map((p) => p.status)).toEqual(['queued'])

    const cameraDevice = await device(camera)
    const cameraCommand = await waitFor(async () => cameraDevice.commands[0], { what: 'voice command at the camera after it connected' })
    expect(cameraCommand.text).toBe(command.text)
    await cameraDevice.client.publishAsync(`eg/v1/${camera.id}/cmd/ack`, JSON.stringify({ id: cameraCommand.id, status: 'played', ts: Date.now() }), { qos: 1 })
    await waitFor(async () => (await promptsOf(`deviceId=${camera.id}&status=played`))[0], { what: 'camera prompt played' })
    // Re-sends stop once the device acknowledged: the watch got exactly its one prompt.
    expect(new Set(watchDevice.commands.map((c) => c.id))).toEqual(new Set([command.id]))
  })

  it('ignores an ack a device sends for another device’s prompt', async () => {
    const a = await elderWithDevices()
    const b = await elderWithDevices()
    const watchA = await device(a.watch)
    const watchB = await device(b.watch)
    await sos(a.elderId, a.watch.id)
    const command = await waitFor(async () => watchA.commands[0], { what: 'command at watch A' })
    await watchB.client.publishAsync(`eg/v1/${b.watch.id}/cmd/ack`, JSON.stringify({ id: command.id, status: 'failed', ts: Date.now() }), { qos: 1 })
    // A's own ack, sent after B's: once it is applied, B's has been processed too.
    await watchA.client.publishAsync(`eg/v1/${a.watch.id}/cmd/ack`, JSON.stringify({ id: command.id, status: 'delivered', ts: Date.now() }), { qos: 1 })
    const prompt = await waitFor(async () => (await promptsOf(`deviceId=${a.watch.id}&status=delivered`))[0], { what: 'delivered' })
    expect(prompt.id).toBe(command.id)
    await dispatcher.idle()
    expect((await promptsOf(`deviceId=${a.watch.id}`))[0]?.status).toBe('delivered')
  })

  it('does not send a prompt that expired while its device was offline', async () => {
    const { elderId, camera } = await elderWithDevices()
    const alertId = await sos(elderId, camera.id)
    skewMs = TTL + 1_000
    try {
      await dispatcher.sweep()
      expect((await promptsOf(`alertId=${alertId}&deviceId=${camera.id}`)).map((p) => p.status)).toEqual(['expired'])
      const cameraDevice = await device(camera)
      // A fresh prompt after connecting: commands to one client arrive in order, so once this
      // one is here, an expired one sent on connect would have arrived before it.
      const fresh = await api<{ commandId: string }>('POST', `/api/v1/devices/${camera.id}/voice`, { text: '您好，我是社区网格员。' })
      await waitFor(async () => cameraDevice.commands.find((c) => c.id === fresh.body.commandId), { what: 'fresh prompt' })
      expect(cameraDevice.commands.map((c) => c.id)).toEqual([fresh.body.commandId])
    } finally {
      skewMs = 0
    }
  })

  describe('routes', () => {
    it('sends an operator’s manual prompt, audited, not held back by the alert rate limit', async () => {
      const { elderId, watch } = await elderWithDevices('en')
      // Four yellow alert occasions in the hour: the fourth is held back (default 3 per hour; red never is).
      for (const rule of ['venue.repeat', 'home.strangers', 'absence.long', 'absence.overnight'] as const) await sos(elderId, watch.id, rule, 'yellow')
      expect((await promptsOf(`elderId=${elderId}&deviceId=${watch.id}&status=suppressed`)).length).toBe(1)
      const watchDevice = await device(watch)
      const res = await api<{ commandId: string }>('POST', `/api/v1/devices/${watch.id}/voice`, { text: '  Please call your daughter.  ', priority: 'high' })
      expect(res.status).toBe(202)
      const command = await waitFor(async () => watchDevice.commands.find((c) => c.id === res.body.commandId), { what: 'operator prompt' })
      expect(command).toMatchObject({ text: 'Please call your daughter.', lang: 'en', priority: 'high' })
      // The send is recorded just after the publish: wait for it rather than race it.
      const row = await waitFor(async () => (await promptsOf(`deviceId=${watch.id}&status=sent`)).find((p) => p.id === res.body.commandId), { what: 'operator prompt sent' })
      expect(row).toMatchObject({ origin: 'operator', requestedBy: 'admin', alertId: null })
      const audit = await api<{ items: Array<{ action: string; actor: string; detail: { promptId: string } }> }>('GET', `/api/v1/audit-log?target=${watch.id}`)
      expect(audit.body.items.find((a) => a.action === 'voice.send')).toMatchObject({ actor: 'admin', detail: { promptId: res.body.commandId } })
    })

    it('validates the prompt and the device', async () => {
      const { watch } = await elderWithDevices()
      const empty = await api<{ error: { code: string; fields: Array<{ path: string }> } }>('POST', `/api/v1/devices/${watch.id}/voice`, { text: '   ' })
      expect(empty.status).toBe(400)
      expect(empty.body.error.fields.map((f) => f.path)).toEqual(['text'])
      const long = await api<{ error: { fields: Array<{ path: string }> } }>('POST', `/api/v1/devices/${watch.id}/voice`, { text: '长'.repeat(201), priority: 'urgent', lang: 'Chinese!' })
      expect(long.status).toBe(400)
      expect(long.body.error.fields.map((f) => f.path).sort()).toEqual(['lang', 'priority', 'text'])
      expect((await api('POST', `/api/v1/devices/${watch.id}/voice`, { text: '长'.repeat(200) })).status).toBe(202)
      expect((await api('POST', '/api/v1/devices/no-such-device/voice', { text: '您好' })).status).toBe(404)
      expect((await api('GET', '/api/v1/voice-prompts?status=nonsense')).status).toBe(400)
    })

    it('is for staff only, and pages the prompt log', async () => {
      const station = await api<{ id: string }>('POST', '/api/v1/police-stations', { name: '城关派出所', webhookUrl: 'http://127.0.0.1:9/hook', secret: 'station-secret-0123456789', format: 'json' })
      const police = await userToken(http, token, { username: `police-${randomUUID().slice(0, 6)}`, role: 'police', policeStationId: station.body.id })
      const { watch } = await elderWithDevices()
      expect((await api('POST', `/api/v1/devices/${watch.id}/voice`, { text: '您好' }, police)).status).toBe(403)
      expect((await api('GET', '/api/v1/voice-prompts', undefined, police)).status).toBe(403)
      const operator = await userToken(http, token, { username: `op-${randomUUID().slice(0, 6)}`, role: 'operator' })
      const list = await api<{ items: PromptView[]; total: number; limit: number; offset: number }>('GET', '/api/v1/voice-prompts?limit=2', undefined, operator)
      expect(list.status).toBe(200)
      expect(list.body).toMatchObject({ limit: 2, offset: 0 })
      expect(list.body.items).toHaveLength(2)
      expect(list.body.total).toBeGreaterThan(2)
      expect(list.body.items[0]).not.toHaveProperty('tenantId')
    })
  })
})
