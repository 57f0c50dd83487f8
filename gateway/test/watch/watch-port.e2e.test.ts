import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { seedElders } from '../../../test/support/api-client'
import { connectDevice, startTestGateway, waitFor, type TestGateway } from '../../../test/support/gateway'
import { lockReadings } from '../../../test/support/stall'
import { fixContent, frame, messageContent, registerWatch, WatchClient } from '../../../test/support/watch-client'

/**
 * DESIGN §3b through the real gateway: raw TCP clients speak the 4G watch protocol to the watch
 * port; what they send must come out of the same pipeline as MQTT (storage, rules, alerts), the
 * answers must be the protocol's, and nothing a hostile peer sends may stall or crash the port.
 */
interface Reading {
  /** Epoch ms. */
  ts: number
  lat: number | null
  lon: number | null
  bat: number | null
  hr: number | null
}

const metric = async (t: TestGateway, line: string): Promise<number> => {
  const text = await (await fetch(`${t.api.baseUrl}/metrics`)).text()
  const found = text.split('\n').find((l) => l.startsWith(line))
  return found === undefined ? 0 : Number(found.split(' ').at(-1))
}

describe('the watch port (DESIGN §3b)', () => {
  let t: TestGateway
  let elderId: string
  let otherElder: string
  const IMEI = '8800000015'
  const LOCAL_IMEI = '8800000016'
  let deviceId: string
  let localDeviceId: string

  beforeAll(async () => {
    t = await startTestGateway({ env: { EG_WATCH_PORT: '0', EG_WATCH_FRAME_MS: '1500' } })
    const seeded = await seedElders(t.api, 2, { prefix: 'watchport' })
    elderId = seeded[0]!.elderId
    otherElder = seeded[1]!.elderId
    deviceId = (await registerWatch(t.api, elderId, IMEI)).id
    localDeviceId = (await registerWatch(t.api, otherElder, LOCAL_IMEI, 480)).id
  })
  afterAll(async () => {
    await t?.stop()
    await t?.drop()
  })

  const readings = async (elder: string) =>
    (await t.api.request<{ items: Reading[] }>('GET', `/api/v1/elders/${elder}/telemetry?kind=watch&from=${Date.now() - 86_400_000}`)).items

  it('registers a watch by its number, with no secret; refuses a second device with the same number and a watch without one', async () => {
    const device = await t.api.request<Record<string, unknown>>('GET', `/api/v1/devices/${deviceId}`)
    expect(device).toMatchObject({ protocol: 'watch', imei: IMEI, kind: 'watch' })
    expect(device).not.toHaveProperty('secret')
    expect(device).not.toHaveProperty('mqtt')
    const dup = await t.api.raw('POST', '/api/v1/devices', { elderId, kind: 'watch', protocol: 'watch', imei: IMEI })
    expect(dup.status).toBe(409)
    expect(JSON.stringify(dup.json)).toContain('imei')
    const noNumber = await t.api.raw('POST', '/api/v1/devices', { elderId, kind: 'watch', protocol: 'watch' })
    expect(noNumber.status).toBe(400)
    expect(JSON.stringify(noNumber.json)).toContain('imei')
    const camera = await t.api.raw('POST', '/api/v1/devices', { elderId, kind: 'camera', protocol: 'watch', imei: '8800000099' })
    expect(camera.status).toBe(400)
    // No secret means no MQTT: whatever password is tried, the broker refuses the id.
    await expect(connectDevice(t.mqttUrl, deviceId, 'none:watch-protocol')).rejects.toThrow()
    const rotate = await t.api.raw('POST', `/api/v1/devices/${deviceId}/rotate-secret`)
    expect(rotate.status).toBe(409)
  })

  it('answers a heartbeat, stores fixes and late fixes as readings, and answers an alarm only once it is stored', async () => {
    const watch = await WatchClient.connect(t.watchPort!)
    try {
      watch.write(frame(IMEI, 'LK,120,0,78'))
      const lk = await watch.answer('LK')
      expect(lk).toEqual({ maker: '3G', id: IMEI, length: '0002', content: 'LK' })

      const now = Date.now() - 60_000
      const at = (i: number) => Math.floor((now - i * 60_000) / 1000) * 1000
      watch.write(frame(IMEI, fixContent('UD', at(3), { lat: 31.2304, lon: 121.4737, battery: 77 })))
      watch.write(frame(IMEI, fixContent('UD2', at(40), { lat: 31.2404, lon: 121.4837 })))
      watch.write(frame(IMEI, 'heart,72'))
      watch.write(frame(IMEI, 'LK'))
      // Frames are handled in order and the LK is answered only after them: everything is stored now.
      await watch.answer('LK', 2)
      const stored = await readings(elderId)
      const byTs = new Map(stored.map((r) => [Number(r.ts), r]))
      expect(byTs.get(at(3))).toMatchObject({ lat: 31.2304, lon: 121.4737, bat: 77 })
      expect(byTs.get(at(40))).toMatchObject({ lat: 31.2404, lon: 121.4837 })
      expect(stored.some((r) => r.hr === 72)).toBe(true)

      // An SOS: bit 16 of the status. Answered AL, and an alert opens like an MQTT SOS.
      watch.write(frame(IMEI, fixContent('AL', at(1), { lat: 31.2304, lon: 121.4737, status: 1 << 16 })))
      expect((await watch.answer('AL')).length).toBe('0002')
      const alert = await waitFor(async () => {
        const items = (await t.api.request<{ items: Array<{ rule: string; level: string }> }>('GET', `/api/v1/alerts?elderId=${elderId}`)).items
        return items.find((a) => a.rule === 'safety.sos')
      }, { what: 'the SOS alert' })
      expect(alert.level).toBe('red')

      const device = await waitFor(async () => {
        const d = await t.api.request<{ lastFrame: { command: string } | null; online: boolean }>('GET', `/api/v1/devices/${deviceId}`)
        return d.lastFrame !== null && d.online ? d : undefined
      }, { what: 'the device page to show the last frame' })
      expect(['AL', 'LK', 'UD', 'UD2', 'heart']).toContain(device.lastFrame!.command)
    } finally {
      watch.end()
    }
  })

  it("reads the watch's clock in its own offset (clockOffsetMinutes)", async () => {
    const watch = await WatchClient.connect(t.watchPort!)
    try {
      const ts = Math.floor((Date.now() - 5 * 60_000) / 1000) * 1000
      // The watch's clock says Beijing time: 08:00 on it is 00:00 UTC.
      watch.write(frame(LOCAL_IMEI, fixContent('UD', ts, { lat: 30.1, lon: 120.1, offsetMinutes: 480 }), 'SG'))
      watch.write(frame(LOCAL_IMEI, 'LK', 'SG'))
      expect((await watch.answer('LK')).maker).toBe('SG')
      const stored = await readings(otherElder)
      expect(stored.map((r) => Number(r.ts))).toContain(ts)
    } finally {
      watch.end()
    }
  })

  it('takes frames split byte by byte and coalesced, and answers each', async () => {
    const watch = await WatchClient.connect(t.watchPort!)
    try {
      const bytes = Buffer.concat([frame(IMEI, 'LK'), frame(IMEI, 'LK,1,0,50'), Buffer.from('\r\n'), frame(IMEI, 'LK')])
      for (let i = 0; i < 40; i++) watch.write(bytes.subarray(i, i + 1))
      watch.write(bytes.subarray(40))
      await watch.answer('LK', 3)
      expect(watch.isOpen).toBe(true)
    } finally {
      watch.end()
    }
  })

  it('closes and counts a number that is not registered, and a connection that changes its number', async () => {
    const before = await metric(t, 'eg_watch_connections_refused_total{reason="unknown_watch"}')
    const stranger = await WatchClient.connect(t.watchPort!)
    stranger.write(frame('1234567890', 'LK'))
    await stranger.closed
    expect(stranger.answers).toEqual([])
    expect(await metric(t, 'eg_watch_connections_refused_total{reason="unknown_watch"}')).toBe(before + 1)

    const impostor = await WatchClient.connect(t.watchPort!)
    impostor.write(frame(IMEI, 'LK'))
    await impostor.answer('LK')
    impostor.write(frame(LOCAL_IMEI, fixContent('AL', Date.now() - 1000, { lat: 30, lon: 120, status: 1 << 16 })))
    await impostor.closed
    expect(impostor.answers.filter((a) => a.content === 'AL')).toEqual([])
  })

  it('survives hostile peers — garbage, a giant frame, a slow loris, a never-ending frame — and still serves a watch', async () => {
    const garbage = await WatchClient.connect(t.watchPort!)
    garbage.write(Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256)))
    const giant = await WatchClient.connect(t.watchPort!)
    giant.write(`[3G*${IMEI}*FFFF*UD,`)
    giant.write(Buffer.alloc(70_000, 0x41))
    const loris = await WatchClient.connect(t.watchPort!)
    loris.write('[3G*88')
    const silent = await WatchClient.connect(t.watchPort!)
    await Promise.all([giant.closed, loris.closed, silent.closed])
    expect(await metric(t, 'eg_watch_connections_refused_total{reason="frame_too_long"}')).toBeGreaterThanOrEqual(1)
    expect(await metric(t, 'eg_watch_connections_refused_total{reason="frame_timeout"}') + (await metric(t, 'eg_watch_connections_refused_total{reason="identify_timeout"}'))).toBeGreaterThanOrEqual(2)
    garbage.end()

    const watch = await WatchClient.connect(t.watchPort!)
    try {
      watch.write(frame(IMEI, 'LK'))
      await watch.answer('LK')
    } finally {
      watch.end()
    }
  })

  it('dead-letters a frame it cannot read, with the reason, and answers the next', async () => {
    const watch = await WatchClient.connect(t.watchPort!)
    try {
      watch.write(frame(IMEI, 'UD,991399,256199,A,abc,N,121.47,E'))
      watch.write(frame(IMEI, 'LK'))
      await watch.answer('LK')
      const letters = await waitFor(async () => {
        const page = await t.api.request<{ items: Array<{ deviceId: string; channel: string; reason: string; message: string }> }>('GET', `/api/v1/dead-letters?deviceId=${deviceId}`)
        return page.items.find((l) => l.channel === 'watch')
      }, { what: 'the dead letter' })
      expect(letters.reason).toBe('bad_frame')
      expect(letters.message).toMatch(/^UD: /)
    } finally {
      watch.end()
    }
  })

  const promptStatus = async (commandId: string) =>
    (await t.api.request<{ items: Array<{ id: string; status: string }> }>('GET', `/api/v1/voice-prompts?deviceId=${deviceId}`)).items.find((p) => p.id === commandId)?.status

  it('sends a voice prompt as MESSAGE in UTF-16BE hex, and the echo marks it delivered', async () => {
    const watch = await WatchClient.connect(t.watchPort!)
    try {
      watch.write(frame(IMEI, 'LK'))
      await watch.answer('LK')
      const text = '您好，请回电'
      const { commandId } = await t.api.request<{ commandId: string }>('POST', `/api/v1/devices/${deviceId}/voice`, { text })
      // The SOS above queued the gateway's own reassurance prompt too: both come, in order.
      const message = await watch.answerWhere((a) => a.content === messageContent(text), 'the operator prompt')
      expect(message.content).toBe('MESSAGE,60A8597DFF0C8BF756DE7535')
      expect(Number.parseInt(message.length, 16)).toBe(Buffer.byteLength(message.content))
      await waitFor(async () => (await promptStatus(commandId)) === 'sent', { what: 'the prompt to be marked sent' })
      // The watch echoes each message it shows; each echo confirms the oldest one outstanding.
      const messages = watch.answers.filter((a) => a.content.startsWith('MESSAGE,'))
      for (let i = 0; i < messages.indexOf(message) + 1; i++) watch.write(frame(IMEI, 'MESSAGE'))
      await waitFor(async () => (await promptStatus(commandId)) === 'delivered', { what: 'the prompt to be delivered' })
    } finally {
      watch.end()
    }
  })

  it('sends a prompt queued while the watch was away once it connects', async () => {
    const text = '天冷加衣'
    const { commandId } = await t.api.request<{ commandId: string }>('POST', `/api/v1/devices/${deviceId}/voice`, { text })
    await waitFor(async () => (await promptStatus(commandId)) === 'queued', { what: 'the prompt to be queued' })
    const watch = await WatchClient.connect(t.watchPort!)
    try {
      watch.write(frame(IMEI, 'LK'))
      const message = await watch.answerWhere((a) => a.content === messageContent(text), 'the queued prompt')
      expect(message.content).toBe('MESSAGE,592951B752A08863')
      await waitFor(async () => (await promptStatus(commandId)) === 'sent', { what: 'the prompt to be sent' })
    } finally {
      watch.end()
    }
  })

  it('holds the LK answer while the database cannot commit the fixes before it, and gives it once it can', async () => {
    const stall = await lockReadings(t.database!.url)
    const watch = await WatchClient.connect(t.watchPort!)
    try {
      const ts = Math.floor(Date.now() / 1000) * 1000 - 30 * 60_000
      for (let i = 0; i < 5; i++) watch.write(frame(IMEI, fixContent('UD', ts + i * 1000, { lat: 31.3, lon: 121.5 })))
      watch.write(frame(IMEI, 'LK'))
      await waitFor(() => stall.writerWaiting(), { what: 'the writer to wait on the lock' })
      // The fixes are in the writer, not committed: no answer may say they are stored.
      expect(watch.answers.filter((a) => a.content === 'LK')).toEqual([])
      await stall.release()
      await watch.answer('LK')
      const stored = new Set((await readings(elderId)).map((r) => Number(r.ts)))
      for (let i = 0; i < 5; i++) expect(stored.has(ts + i * 1000)).toBe(true)
    } finally {
      await stall.release()
      watch.end()
    }
  })

  it('closes the connection of a watch whose device is deleted', async () => {
    const imei = '8800000077'
    const { id } = await registerWatch(t.api, elderId, imei)
    const watch = await WatchClient.connect(t.watchPort!)
    watch.write(frame(imei, 'LK'))
    await watch.answer('LK')
    await t.api.request('DELETE', `/api/v1/devices/${id}`)
    await watch.closed
    const again = await WatchClient.connect(t.watchPort!)
    again.write(frame(imei, 'LK'))
    await again.closed
    expect(again.answers).toEqual([])
  })
})
