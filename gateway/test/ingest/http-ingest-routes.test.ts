import { Writable } from 'node:stream'
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import pino from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import type { DeviceChannel, DeviceIdentity, MessageOutcome } from '../../src/broker/index'
import { httpErrorHandler, notFoundHandler } from '../../src/http/error-handler'
import { httpIngestRoutes, type HttpIngestOptions } from '../../src/intake/http-ingest-routes'
import { createMetrics, type Metrics } from '../../src/metrics'

/**
 * The HTTP ingest plugin in-process (fastify inject), with the intake and the registry faked:
 * what it answers for each intake outcome — above all that it never says 202 before the
 * intake's promise resolved, and says 503 (never 202) when it rejects, throws or stalls. The
 * real pipeline behind it is tried end to end in test/e2e/http-ingest.e2e.test.ts.
 */
const WATCH: DeviceIdentity = { deviceId: 'watch-1', tenantId: 't1', elderId: 'e1', kind: 'watch' }
const SECRET = 'right-secret'
const auth = (id: string, secret: string) => ({ authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}` })
const json = { 'content-type': 'application/json' }

interface Call {
  device: DeviceIdentity
  channel: DeviceChannel
  payload: string
  qos: number | undefined
}

let app: FastifyInstance | undefined
afterEach(async () => {
  await app?.close()
  app = undefined
})

async function start(onMessage: (call: Call) => MessageOutcome | Promise<MessageOutcome>, extra: Partial<HttpIngestOptions> = {}, loggerInstance?: FastifyBaseLogger) {
  const calls: Call[] = []
  const metrics: Metrics = createMetrics()
  app = loggerInstance === undefined ? Fastify() : Fastify({ loggerInstance })
  app.setErrorHandler(httpErrorHandler)
  app.setNotFoundHandler(notFoundHandler)
  await app.register(
    httpIngestRoutes({
      deviceAuth: { verifyDevice: async (id, secret) => (id === WATCH.deviceId && secret === SECRET ? WATCH : null) },
      intake: {
        onMessage: (device, channel, payload, qos) => {
          const call = { device, channel, payload: payload.toString('utf8'), qos }
          calls.push(call)
          return onMessage(call)
        },
      },
      throttle: { maxFailures: 3, windowMs: 60_000, blockMs: 60_000 },
      maxPayloadBytes: 1_000,
      metrics,
      ...extra,
    }),
    { prefix: '/api/v1' },
  )
  return { app, calls, metrics }
}

const post = (target: FastifyInstance, url: string, payload: string, headers: Record<string, string> = { ...auth(WATCH.deviceId, SECRET), ...json }) =>
  target.inject({ method: 'POST', url, payload, headers })

describe('HTTP ingest answers', () => {
  it('202 only once the intake promise resolved; the payload goes to the intake as a QoS 1 publish', async () => {
    let resolve: (() => void) | undefined
    const { app: subject, calls } = await start(() => new Promise<MessageOutcome>((r) => (resolve = () => r(undefined))))
    let answered = false
    const pending = post(subject, '/api/v1/ingest/watch-1/telemetry', '{"ts":1767614400000,"hr":70}').then((res) => {
      answered = true
      return res
    })
    // The intake got the message and holds its promise: no answer may go out yet.
    while (calls.length === 0) await new Promise((r) => setImmediate(r))
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r))
    expect(answered).toBe(false)
    resolve?.()
    const res = await pending
    expect(res.statusCode).toBe(202)
    expect(res.json()).toEqual({ accepted: true })
    expect(calls).toEqual([{ device: WATCH, channel: 'telemetry', payload: '{"ts":1767614400000,"hr":70}', qos: 1 }])
  })

  it('cmd/ack is a channel; other paths are 404 before credentials are even asked for', async () => {
    const { app: subject, calls } = await start(() => undefined)
    expect((await post(subject, '/api/v1/ingest/watch-1/cmd/ack', '{"id":"c1","status":"played","ts":1}')).statusCode).toBe(202)
    expect(calls[0]?.channel).toBe('cmd/ack')
    for (const path of ['cmd', 'cmd/ack/x', 'Telemetry', 'telemetry/', '']) {
      const res = await post(subject, `/api/v1/ingest/watch-1/${path}`, '{}', json)
      expect({ path, status: res.statusCode, code: res.json<{ error: { code: string } }>().error.code }).toEqual({ path, status: 404, code: 'NOT_FOUND' })
    }
  })

  it('a bare online as text/plain is a status payload', async () => {
    const { app: subject, calls } = await start(() => undefined)
    const res = await post(subject, '/api/v1/ingest/watch-1/status', 'online', { ...auth(WATCH.deviceId, SECRET), 'content-type': 'text/plain; charset=utf-8' })
    expect(res.statusCode).toBe(202)
    expect(calls[0]).toMatchObject({ channel: 'status', payload: 'online' })
  })

  it('a body of another type is 415 and never reaches the intake', async () => {
    const { app: subject, calls } = await start(() => undefined)
    const res = await post(subject, '/api/v1/ingest/watch-1/telemetry', 'hr=70', { ...auth(WATCH.deviceId, SECRET), 'content-type': 'application/x-www-form-urlencoded' })
    expect(res.statusCode).toBe(415)
    expect(calls).toEqual([])
  })

  it('a refusal is 400 with the reasons; a quota refusal 413; a partial acceptance 202 with the rejected list', async () => {
    const outcomes: MessageOutcome[] = [
      { refused: 'payload_format_invalid', rejected: [{ reason: 'not_json', message: 'payload: not JSON' }] },
      { refused: 'quota_exceeded', rejected: [{ reason: 'too_many', message: 'payload: 6000 elements, limit 5000; split the upload' }] },
      { rejected: [{ reason: 'out_of_range', message: 'hr: must be ≤ 250', index: 1 }] },
    ]
    const { app: subject, metrics } = await start(() => Promise.resolve(outcomes.shift()))
    const refused = await post(subject, '/api/v1/ingest/watch-1/telemetry', '{')
    expect(refused.statusCode).toBe(400)
    expect(refused.json()).toEqual({ error: { code: 'PAYLOAD_REFUSED', message: 'payload refused: nothing in it was stored', details: [{ reason: 'not_json', message: 'payload: not JSON' }] } })
    const quota = await post(subject, '/api/v1/ingest/watch-1/telemetry', '[]')
    expect(quota.statusCode).toBe(413)
    expect(quota.json()).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE', details: [{ reason: 'too_many' }] } })
    const partly = await post(subject, '/api/v1/ingest/watch-1/telemetry', '[]')
    expect(partly.statusCode).toBe(202)
    expect(partly.json()).toEqual({ accepted: true, rejected: [{ reason: 'out_of_range', message: 'hr: must be ≤ 250', index: 1 }], rejectedCount: 1 })
    const counted = await metrics.httpIngestRequests.get()
    expect(Object.fromEntries(counted.values.map((v) => [v.labels.outcome, v.value]))).toEqual({ refused: 1, too_large: 1, partly_accepted: 1 })
  })

  it('lists at most 100 reasons, and says how many there were', async () => {
    const rejected = Array.from({ length: 250 }, (_, index) => ({ reason: 'out_of_range', message: 'hr: must be ≤ 250', index }))
    const { app: subject } = await start(() => ({ refused: 'payload_format_invalid', rejected }))
    const res = await post(subject, '/api/v1/ingest/watch-1/telemetry', '[]')
    const body = res.json<{ error: { message: string; details: unknown[] } }>()
    expect(body.error.details).toHaveLength(100)
    expect(body.error.message).toContain('the first 100 of 250 reasons listed')
  })

  it.each([
    ['its promise rejects (the writer refuses)', () => Promise.reject(new Error('writer closed'))],
    ['it throws (the writer is closed)', () => {
      throw new Error('telemetry writer is closed')
    }],
  ])('503 with Retry-After, never 202, when %s', async (_name, onMessage) => {
    const { app: subject } = await start(onMessage)
    const res = await post(subject, '/api/v1/ingest/watch-1/telemetry', '{"ts":1767614400000,"hr":70}')
    expect(res.statusCode).toBe(503)
    expect(res.headers['retry-after']).toBe('5')
    expect(res.json()).toMatchObject({ error: { code: 'STORAGE_UNAVAILABLE' } })
  })

  it('503 when storage does not confirm within the deadline (a stalled database)', async () => {
    const { app: subject } = await start(() => new Promise<MessageOutcome>(() => undefined), { durableTimeoutMs: 50 })
    const res = await post(subject, '/api/v1/ingest/watch-1/telemetry', '{"ts":1767614400000,"hr":70}')
    expect(res.statusCode).toBe(503)
    expect(res.headers['retry-after']).toBe('5')
  })

  it('a registry that does not answer is 503, and not counted as a failed login', async () => {
    const { app: subject } = await start(() => undefined, {
      deviceAuth: {
        verifyDevice: () => Promise.reject(new Error('connection refused')),
      },
    })
    for (let i = 0; i < 5; i++) {
      const res = await post(subject, '/api/v1/ingest/watch-1/telemetry', '{}')
      expect(res.statusCode).toBe(503)
      expect(res.headers['www-authenticate']).toBeUndefined()
    }
  })

  it('an oversize body is 413 with the reason, counted as a rejected message', async () => {
    const { app: subject, calls, metrics } = await start(() => undefined)
    const res = await post(subject, '/api/v1/ingest/watch-1/telemetry', JSON.stringify({ ts: 1, note: 'x'.repeat(1_000) }))
    expect(res.statusCode).toBe(413)
    expect(res.json()).toEqual({ error: { code: 'PAYLOAD_TOO_LARGE', message: 'payload over the size limit', details: [{ reason: 'oversize', message: 'payload: over 1000 bytes' }] } })
    expect(calls).toEqual([])
    expect((await metrics.messagesRejected.get()).values).toEqual([expect.objectContaining({ labels: { reason: 'oversize' }, value: 1 })])
  })

  it('credentials are checked before the body is read: no credentials and a huge body is 401, not 413', async () => {
    const { app: subject } = await start(() => undefined)
    const res = await post(subject, '/api/v1/ingest/watch-1/telemetry', 'x'.repeat(5_000), json)
    expect(res.statusCode).toBe(401)
    expect(res.headers['www-authenticate']).toBe('Basic realm="eldergate devices"')
  })

  it('the missing-header challenge is not counted; wrong secrets are, until the pair waits (429 with Retry-After)', async () => {
    const { app: subject } = await start(() => undefined)
    for (let i = 0; i < 5; i++) expect((await post(subject, '/api/v1/ingest/watch-1/telemetry', '{}', json)).statusCode).toBe(401)
    // The missing headers above did not count: the right secret still gets in.
    expect((await post(subject, '/api/v1/ingest/watch-1/telemetry', '{}')).statusCode).toBe(202)
    for (let i = 0; i < 3; i++) expect((await post(subject, '/api/v1/ingest/watch-1/telemetry', '{}', { ...auth('watch-1', `guess-${i}`), ...json })).statusCode).toBe(401)
    const throttled = await post(subject, '/api/v1/ingest/watch-1/telemetry', '{}')
    expect(throttled.statusCode).toBe(429)
    expect(throttled.json()).toMatchObject({ error: { code: 'TOO_MANY_ATTEMPTS' } })
    expect(Number(throttled.headers['retry-after'])).toBeGreaterThanOrEqual(1)
  })

  it('never logs a secret nor the Authorization header, whatever happens (even without the app redaction)', async () => {
    let logged = ''
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logged += chunk.toString('utf8')
        done()
      },
    })
    let calls = 0
    // The first message is stored, the second meets a storage outage.
    const { app: subject } = await start(() => (++calls === 2 ? Promise.reject(new Error('storage down')) : undefined), {}, pino({ level: 'trace' }, sink))
    const headers = [auth('watch-1', SECRET), auth('watch-1', SECRET), auth('other', 'other-secret'), auth('watch-1', 'guess-secret-1'), auth('watch-1', 'guess-secret-2'), auth('watch-1', 'guess-secret-3'), auth('watch-1', SECRET)]
    const statuses: number[] = []
    for (const header of headers) statuses.push((await post(subject, '/api/v1/ingest/watch-1/telemetry', '{}', { ...header, ...json })).statusCode)
    statuses.push((await post(subject, '/api/v1/ingest/watch-1/telemetry', '{}', { authorization: `Basic ${Buffer.from('watch-1:x').toString('base64')}x`, ...json })).statusCode)
    // Every path that logs: stored, outage, unknown device, wrong secrets, throttled, malformed (throttled too by then).
    expect(statuses).toEqual([202, 503, 401, 401, 401, 401, 429, 429])
    expect(logged).toContain('http ingest')
    for (const secret of ['guess-secret-1', 'guess-secret-3', SECRET, 'other-secret']) expect(logged).not.toContain(secret)
    for (const header of headers) expect(logged).not.toContain(header.authorization.slice(6))
    expect(logged.toLowerCase()).not.toContain('authorization')
  })
})
