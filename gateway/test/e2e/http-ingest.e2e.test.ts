import http from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { seedElders, type SeededDevice } from '../../../test/support/api-client'
import { startTestGateway, waitFor, type TestGateway } from '../../../test/support/gateway'
import { lockReadings, type ReadingsLock } from '../../../test/support/stall'

/**
 * DESIGN §3c end to end: a vendor cloud posts device messages over real HTTP to a real gateway
 * on PostgreSQL, and they go where the same MQTT payloads go — stored, evaluated (an SOS opens
 * an alert), dead-lettered when bad — with a 202 only once durable. Every 127.0.0.0/8 address
 * reaches the loopback listener, so the guessing client posts from an address of its own.
 */
const ATTACKER = '127.0.0.2'
const MAX_PAYLOAD = 64 * 1024

interface Answer {
  status: number
  headers: http.IncomingHttpHeaders
  body: Record<string, unknown>
}

interface Post {
  /** Basic credentials as `id:secret`, or a whole Authorization header value. */
  credentials?: string
  authorization?: string
  contentType?: string
  localAddress?: string
}

/** One POST over a fresh connection (node:http, so the source address can be chosen). */
function post(port: number, path: string, body: string | Buffer, opts: Post = {}): Promise<Answer> {
  const headers: Record<string, string> = { 'content-type': opts.contentType ?? 'application/json' }
  if (opts.credentials !== undefined) headers.authorization = `Basic ${Buffer.from(opts.credentials).toString('base64')}`
  if (opts.authorization !== undefined) headers.authorization = opts.authorization
  return new Promise<Answer>((resolve, reject) => {
    const request = http.request(
      { host: '127.0.0.1', port, path, method: 'POST', headers, agent: false, ...(opts.localAddress ? { localAddress: opts.localAddress } : {}) },
      (response) => {
        const chunks: Buffer[] = []
        response.on('data', (chunk: Buffer) => chunks.push(chunk))
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8')
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} })
        })
        response.on('error', reject)
      },
    )
    // A server answering 413 before reading the body may reset the upload: the answer still counts.
    request.on('error', reject)
    request.end(body)
  })
}

describe('HTTP ingest for vendor clouds (DESIGN §3c)', () => {
  let t: TestGateway
  let watch: SeededDevice
  let camera: SeededDevice
  let other: SeededDevice
  let guessed: SeededDevice

  const ingest = (device: SeededDevice, channel: string, body: unknown, opts: Post = {}) =>
    post(t.gateway.httpPort, `/api/v1/ingest/${device.id}/${channel}`, typeof body === 'string' ? body : JSON.stringify(body), { credentials: `${device.id}:${device.secret}`, ...opts })
  const telemetry = (elderId: string) =>
    t.api.request<{ items: Array<Record<string, unknown>>; events: Array<Record<string, unknown>> }>('GET', `/api/v1/elders/${elderId}/telemetry?limit=10000`)

  beforeAll(async () => {
    t = await startTestGateway({ env: { EG_AUTH_MAX_FAILURES: '3', EG_AUTH_BLOCK_MS: '60000', EG_PAYLOAD_MAX_BYTES: String(MAX_PAYLOAD) } })
    ;[watch, camera, other, , guessed] = (await seedElders(t.api, 3, { cameras: true })) as [SeededDevice, SeededDevice, SeededDevice, SeededDevice, SeededDevice]
  })
  afterAll(async () => {
    await t?.stop()
    await t?.drop()
  })

  describe('the payloads of every channel', () => {
    it('a reading: 202, and readable at once (202 means committed, no waiting)', async () => {
      const ts = Date.now() - 60_000
      const res = await ingest(watch, 'telemetry', { ts, lat: 31.2301, lon: 121.4701, acc: 8, src: 'gps', hr: 71, bat: 77 })
      expect(res).toMatchObject({ status: 202, body: { accepted: true } })
      const { items } = await telemetry(watch.elderId)
      expect(items).toContainEqual(expect.objectContaining({ ts, deviceId: watch.id, hr: 71, bat: 77 }))
    })

    it('an array upload: every reading stored before the 202', async () => {
      const base = Date.now() - 3_600_000
      const upload = Array.from({ length: 50 }, (_, i) => ({ ts: base + i * 60_000, presence: i % 2 === 0, persons: 1, strangers: 0 }))
      const res = await ingest(camera, 'telemetry', upload)
      expect(res).toMatchObject({ status: 202, body: { accepted: true } })
      const stored = (await telemetry(camera.elderId)).items.filter((r) => r.deviceId === camera.id && (r.ts as number) >= base)
      expect(stored).toHaveLength(50)
    })

    it('an SOS event opens an alert, as over MQTT', async () => {
      const res = await ingest(watch, 'event', { ts: Date.now() - 1_000, type: 'sos' })
      expect(res.status).toBe(202)
      expect((await telemetry(watch.elderId)).events).toContainEqual(expect.objectContaining({ type: 'sos', deviceId: watch.id }))
      const alerts = await waitFor(
        async () => {
          const { items } = await t.api.request<{ items: Array<{ rule: string; level: string }> }>('GET', `/api/v1/alerts?elderId=${watch.elderId}`)
          return items.find((a) => a.rule === 'safety.sos')
        },
        { what: 'the SOS alert' },
      )
      expect(alerts).toMatchObject({ rule: 'safety.sos', level: 'red' })
    })

    it('a status: the bare online word as text/plain, as the MQTT will payload is', async () => {
      const res = await ingest(other, 'status', 'online', { contentType: 'text/plain' })
      expect(res).toMatchObject({ status: 202, body: { accepted: true } })
      await waitFor(async () => (await t.api.request<{ online: boolean | null }>('GET', `/api/v1/devices/${other.id}`)).online === true, { what: 'the device shown online' })
      expect((await ingest(other, 'status', '"offline"')).status).toBe(202)
      await waitFor(async () => (await t.api.request<{ online: boolean | null }>('GET', `/api/v1/devices/${other.id}`)).online === false, { what: 'the device shown offline' })
    })

    it('a cmd/ack moves the voice prompt it acknowledges', async () => {
      const { commandId } = await t.api.request<{ commandId: string }>('POST', `/api/v1/devices/${other.id}/voice`, { text: '请回家' })
      const res = await ingest(other, 'cmd/ack', { id: commandId, status: 'played', ts: Date.now() })
      expect(res).toMatchObject({ status: 202, body: { accepted: true } })
      await waitFor(
        async () => {
          const { items } = await t.api.request<{ items: Array<{ id: string; status: string }> }>('GET', `/api/v1/voice-prompts?deviceId=${other.id}`)
          return items.find((p) => p.id === commandId && p.status === 'played')
        },
        { what: 'the prompt marked played' },
      )
    })
  })

  describe('bad payloads', () => {
    it('malformed JSON: 400 with the reasons, and kept as a dead letter', async () => {
      const res = await ingest(watch, 'telemetry', '{"ts": 1767614400000, "hr": ')
      expect(res.status).toBe(400)
      expect(res.body).toEqual({ error: { code: 'PAYLOAD_REFUSED', message: 'payload refused: nothing in it was stored', details: [{ reason: 'not_json', message: 'payload: not JSON' }] } })
      const { items } = await t.api.request<{ items: Array<{ deviceId: string; reason: string }> }>('GET', `/api/v1/dead-letters?deviceId=${watch.id}`)
      expect(items).toContainEqual(expect.objectContaining({ deviceId: watch.id, reason: 'not_json' }))
    })

    it('a well-formed record of the wrong shape: 400 naming the field', async () => {
      const res = await ingest(watch, 'telemetry', { ts: Date.now(), hr: 900 })
      expect(res.status).toBe(400)
      expect(res.body).toMatchObject({ error: { code: 'PAYLOAD_REFUSED', details: [{ reason: 'out_of_range', message: 'hr: must be ≤ 250' }] } })
    })

    it('a partly bad array: 202 with the rejected elements; the good ones stored', async () => {
      const ts = Date.now() - 120_000
      const res = await ingest(watch, 'telemetry', [{ ts, hr: 64 }, { ts: ts + 1_000, hr: 900 }, { ts: ts + 2_000, hr: 'fast' }, { ts: ts + 3_000, hr: 65 }])
      expect(res.status).toBe(202)
      expect(res.body).toEqual({
        accepted: true,
        rejected: [
          { reason: 'out_of_range', message: 'hr: must be ≤ 250', index: 1 },
          { reason: 'bad_shape', message: 'hr: expected number, got string', index: 2 },
        ],
        rejectedCount: 2,
      })
      const { items } = await telemetry(watch.elderId)
      expect(items.filter((r) => r.deviceId === watch.id && (r.ts === ts || r.ts === ts + 3_000))).toHaveLength(2)
    })

    it('over EG_PAYLOAD_MAX_BYTES: 413, nothing stored', async () => {
      const res = await ingest(watch, 'event', { ts: Date.now(), type: 'sos', note: 'x'.repeat(MAX_PAYLOAD) })
      expect(res.status).toBe(413)
      expect(res.body).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE', details: [{ reason: 'oversize' }] } })
    })

    it('a channel that is not a device → gateway topic: 404', async () => {
      for (const channel of ['cmd', 'telemetry/extra', 'alerts']) {
        const res = await ingest(watch, channel, {})
        expect({ channel, status: res.status, code: (res.body.error as { code: string }).code }).toEqual({ channel, status: 404, code: 'NOT_FOUND' })
      }
    })
  })

  describe('credentials', () => {
    const reading = () => ({ ts: Date.now() - 5_000, hr: 70 })
    const REALM = 'Basic realm="eldergate devices"'

    it('a wrong secret, an unknown device, no or a malformed Basic header: 401 with the realm', async () => {
      // Each from an address of its own: these failures count, and three would make the pair wait.
      const from = (i: number) => ({ localAddress: `127.0.1.${i}` })
      const answers = [
        await ingest(watch, 'telemetry', reading(), { credentials: `${watch.id}:not-the-secret`, ...from(1) }),
        await post(t.gateway.httpPort, '/api/v1/ingest/no-such-watch/telemetry', JSON.stringify(reading()), { credentials: 'no-such-watch:whatever', ...from(2) }),
        await ingest(watch, 'telemetry', reading(), { authorization: 'Basic not*base64', ...from(3) }),
        await ingest(watch, 'telemetry', reading(), { authorization: `Basic ${Buffer.from(watch.id).toString('base64')}`, ...from(4) }),
        await ingest(watch, 'telemetry', reading(), { authorization: `Bearer ${watch.secret}`, ...from(5) }),
        await post(t.gateway.httpPort, `/api/v1/ingest/${watch.id}/telemetry`, JSON.stringify(reading()), from(6)),
      ]
      for (const res of answers) {
        expect(res.status).toBe(401)
        expect(res.headers['www-authenticate']).toBe(REALM)
        expect(res.body).toMatchObject({ error: { code: 'BAD_DEVICE_CREDENTIALS' } })
      }
    })

    it("another device's path with this device's credentials: 403, nothing stored for either", async () => {
      const before = (await telemetry(other.elderId)).items.length
      const res = await post(t.gateway.httpPort, `/api/v1/ingest/${other.id}/telemetry`, JSON.stringify(reading()), { credentials: `${watch.id}:${watch.secret}` })
      expect(res.status).toBe(403)
      expect(res.body).toMatchObject({ error: { code: 'DEVICE_MISMATCH' } })
      expect((await telemetry(other.elderId)).items).toHaveLength(before)
    })

    it('repeated wrong secrets from one address: 429 with Retry-After there, even with the right secret; the device elsewhere is unaffected', async () => {
      for (let i = 0; i < 3; i++) {
        expect((await ingest(guessed, 'telemetry', reading(), { credentials: `${guessed.id}:guess-${i}`, localAddress: ATTACKER })).status).toBe(401)
      }
      const throttled = await ingest(guessed, 'telemetry', reading(), { localAddress: ATTACKER })
      expect(throttled.status).toBe(429)
      expect(throttled.body).toMatchObject({ error: { code: 'TOO_MANY_ATTEMPTS' } })
      expect(Number(throttled.headers['retry-after'])).toBeGreaterThanOrEqual(1)
      // Only that id from that address waits: the vendor's own address still gets through.
      expect((await ingest(guessed, 'telemetry', reading())).status).toBe(202)
      const metrics = await (await fetch(`http://127.0.0.1:${t.gateway.httpPort}/metrics`)).text()
      expect(metrics).toMatch(/^eg_auth_throttled_total\{kind="http_ingest",scope="pair",action="refused"\} [1-9]/m)
    })

    it('an answer never echoes the secret', async () => {
      const res = await ingest(watch, 'telemetry', reading(), { credentials: `${watch.id}:wrong-secret-xyz`, localAddress: '127.0.1.7' })
      expect(JSON.stringify(res.body)).not.toContain('wrong-secret-xyz')
    })
  })

  it('202 means durable: while the database cannot commit, no answer; once it can, 202 and the row is there', async () => {
    const url = t.database?.url
    if (url === undefined) throw new Error('this test needs PostgreSQL')
    const lock: ReadingsLock = await lockReadings(url)
    try {
      const ts = Date.now() - 30_000
      let answered = false
      const pending = ingest(watch, 'telemetry', { ts, hr: 88 }).then((res) => {
        answered = true
        return res
      })
      // The writer's INSERT is really waiting on the lock: the message is accepted, not committed.
      await waitFor(() => lock.writerWaiting(), { what: "the writer's INSERT waiting on the lock" })
      expect(answered).toBe(false)
      await lock.release()
      const res = await pending
      expect(res).toMatchObject({ status: 202, body: { accepted: true } })
      expect((await telemetry(watch.elderId)).items).toContainEqual(expect.objectContaining({ ts, hr: 88, deviceId: watch.id }))
    } finally {
      await lock.release()
    }
  })

  it('counts requests by outcome', async () => {
    const text = await (await fetch(`http://127.0.0.1:${t.gateway.httpPort}/metrics`)).text()
    const outcomes = Object.fromEntries(
      text
        .split('\n')
        .filter((line) => line.startsWith('eg_http_ingest_requests_total{'))
        .map((line) => [/outcome="([^"]+)"/.exec(line)?.[1], Number(line.split(' ').at(-1))]),
    )
    expect(outcomes).toMatchObject({ accepted: expect.any(Number), partly_accepted: 1, refused: 2, too_large: 1, unauthorized: expect.any(Number), forbidden: 1, throttled: 1, unknown_channel: 3 })
  })
})
