import http, { type IncomingMessage } from 'node:http'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { silentLogger } from '../../../test/support/databases'
import { waitFor } from '../../../test/support/gateway'
import type { Change } from '../../src/stream/change-log-store'
import { startChangeLogPruning } from '../../src/stream/change-log-pruning'
import { dataOf, openStream, type SseStream } from './sse-client'
import { startStreamApi, type StreamApi } from './fixture'

/**
 * GET /api/v1/stream over real HTTP and PostgreSQL: live changes, resume with Last-Event-ID
 * or ?since= (replay then live, no gap, no duplicate), the query token, shutdown.
 */
describe('live stream', () => {
  let s: StreamApi
  const open: SseStream[] = []
  const connect = async (opts: Parameters<typeof openStream>[1] = {}) => {
    const stream = await openStream(s.baseUrl, { token: s.adminToken, ...opts })
    open.push(stream)
    return stream
  }
  const seqs = (stream: SseStream, topics = ['alert', 'notice', 'voice', 'device']) =>
    stream.events.filter((e) => topics.includes(e.event)).map((e) => Number(e.id))

  beforeAll(async () => {
    s = await startStreamApi()
  })
  afterEach(() => {
    for (const stream of open.splice(0)) stream.close()
  })
  afterAll(() => s.close())

  it('says hello with the current seq, then pushes each committed change as an SSE event', async () => {
    const before = await s.change('alert', 'a-0', { note: 'before the board connected' })
    const stream = await connect()
    expect(stream.status).toBe(200)
    const [hello] = await stream.waitForEvents(1)
    expect(hello).toMatchObject({ event: 'hello', id: String(before.seq) })
    expect(dataOf(hello!)).toMatchObject({ seq: before.seq, replay: false })

    const alert = await s.change('alert', 'a-1', { change: 'opened', alert: { id: 'a-1', level: 'red' } })
    const voice = await s.change('voice', 'v-1', { status: 'played' })
    const events = await stream.waitForEvents(2, { topics: ['alert', 'voice'] })
    expect(events.map((e) => [e.id, e.event])).toEqual([
      [String(alert.seq), 'alert'],
      [String(voice.seq), 'voice'],
    ])
    expect(dataOf<Change>(events[0]!)).toEqual(alert)
    // Nothing from before the connection is replayed to a fresh client.
    expect(seqs(stream)).not.toContain(before.seq)
  })

  it('resumes with Last-Event-ID: exactly the missed changes, in order, then live', async () => {
    const first = await connect()
    await first.waitForEvents(1)
    const a = await s.change('alert', 'a-2', { n: 1 })
    await first.waitForEvents(1, { topics: ['alert'] })
    first.close()
    await waitFor(async () => s.bus.listenerCount() === 0, { what: 'the closed stream to unsubscribe' })

    // While the board is away: nobody listens, the log keeps them.
    const missed = [await s.change('alert', 'a-3', { n: 2 }), await s.change('notice', 'n-1', { n: 3 }), await s.change('device', 'd-1', { n: 4 })]
    const again = await connect({ lastEventId: String(a.seq), query: { since: '0' } })
    const [hello] = await again.waitForEvents(1)
    expect(dataOf(hello!)).toMatchObject({ seq: a.seq, replay: true })
    await again.waitForEvents(3, { topics: ['alert', 'notice', 'device'] })
    const live = await s.change('alert', 'a-4', { n: 5 })
    await again.waitForEvents(4, { topics: ['alert', 'notice', 'device'] })
    expect(seqs(again)).toEqual([...missed.map((c) => c.seq), live.seq])
    expect(again.events.slice(1).map((e) => e.event)).toEqual(['alert', 'notice', 'device', 'alert'])

    // ?since= works the same when there is no header.
    const bySince = await connect({ query: { since: String(missed[1]!.seq) } })
    await bySince.waitForEvents(2, { topics: ['device', 'alert'] })
    expect(seqs(bySince)).toEqual([missed[2]!.seq, live.seq])
  })

  it('switches from replay to live with no gap and no duplicate while changes keep coming', async () => {
    const since = (await s.change('alert', 'race-0', {})).seq
    let writing = true
    const written: number[] = []
    const writer = (async () => {
      for (let i = 1; writing || i <= 60; i++) written.push((await s.change('alert', `race-${i}`, { i })).seq)
    })()
    // Connect while the writer is busy, so commits land during subscribe, head read and replay.
    await waitFor(async () => written.length >= 20, { what: 'changes before connecting' })
    const stream = await connect({ lastEventId: String(since) })
    await waitFor(async () => written.length >= 60, { what: 'changes after connecting' })
    writing = false
    await writer
    const last = written[written.length - 1]!
    await waitFor(async () => seqs(stream).includes(last), { what: 'the last change on the stream' })
    expect(seqs(stream)).toEqual(written)
  })

  it('fills a hole from the log when a change reaches the stream before an earlier one (another worker, a late publish)', async () => {
    const stream = await connect()
    await stream.waitForEvents(1)
    const unpublished = await s.change('alert', 'other-worker', { by: 'worker 2' }, { publish: false })
    const published = await s.change('alert', 'this-worker', { by: 'worker 1' })
    await stream.waitForEvents(2, { topics: ['alert'] })
    expect(seqs(stream)).toEqual([unpublished.seq, published.seq])
    // The late publish of the earlier change is not sent twice.
    s.bus.publish([unpublished])
    const next = await s.change('voice', 'v-2', {})
    await stream.waitForEvents(3, { topics: ['alert', 'voice'] })
    expect(seqs(stream)).toEqual([unpublished.seq, published.seq, next.seq])
  })

  it('tells a client from an unknown position to reset, and starts it live from the head', async () => {
    const head = (await s.change('alert', 'a-head', {})).seq
    const stream = await connect({ lastEventId: String(head + 1000) })
    const [reset, hello] = await stream.waitForEvents(2)
    expect(reset?.event).toBe('reset')
    expect(dataOf(reset!)).toMatchObject({ reason: 'unknown_position' })
    expect(hello).toMatchObject({ event: 'hello', id: String(head) })
    const next = await s.change('alert', 'a-after', {})
    await stream.waitForEvents(1, { topics: ['alert'] })
    expect(seqs(stream)).toEqual([next.seq])
  })

  it('tells a client whose missed changes were pruned to reset, then sends what the log still holds', async () => {
    const old = await s.change('alert', 'pruned-1', {})
    await s.change('alert', 'pruned-2', {})
    const kept = await s.change('alert', 'kept-1', {})
    await s.api.opened.db.query("UPDATE change_log SET at = now() - interval '8 days' WHERE tenant_id = $1 AND seq < $2", [s.tenantId, kept.seq])
    const pruning = startChangeLogPruning(s.api.opened.db, { logger: silentLogger })
    expect(await pruning.runOnce()).toBeGreaterThanOrEqual(2)
    await pruning.stop()
    const stream = await connect({ lastEventId: String(old.seq - 1) })
    const [, reset, alert] = await stream.waitForEvents(3)
    expect(reset?.event).toBe('reset')
    expect(dataOf(reset!)).toEqual({ reason: 'history_pruned', from: old.seq, to: kept.seq - 1 })
    expect(alert).toMatchObject({ event: 'alert', id: String(kept.seq) })
  })

  it('accepts ?access_token= on the stream only; a bad or missing token is 401', async () => {
    const byQuery = await openStream(s.baseUrl, { query: { access_token: s.adminToken } })
    open.push(byQuery)
    expect(byQuery.status).toBe(200)
    await byQuery.waitForEvents(1)
    expect(byQuery.events[0]?.event).toBe('hello')

    expect((await openStream(s.baseUrl, { query: { access_token: 'not-a-token' } })).status).toBe(401)
    expect((await openStream(s.baseUrl, { query: { access_token: 'bad token!' } })).status).toBe(401)
    expect((await openStream(s.baseUrl, {})).status).toBe(401)
    // Other routes keep requiring the header: a token in a URL is allowed where browsers need it.
    const me = await fetch(`${s.baseUrl}/api/v1/me?access_token=${encodeURIComponent(s.adminToken)}`)
    expect(me.status).toBe(401)
    // A malformed Last-Event-ID is a validation error, not a silent fresh start.
    const bad = await fetch(`${s.baseUrl}/api/v1/stream`, { headers: { authorization: `Bearer ${s.adminToken}`, 'last-event-id': 'abc' } })
    expect(bad.status).toBe(400)
  })
})

describe('live stream limits and shutdown', () => {
  it('ends a logged-out session, drops a client that stops reading, and lets the server close with streams open', async () => {
    const s = await startStreamApi({ sessionCheckMs: 50, limits: { maxBufferedBytes: 64 * 1024, maxHeldChanges: 50, heartbeatMs: 15_000 } })
    try {
      // Session over → stream over.
      const token = (await s.api.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'admin', password: 'admin-password-1' } })).json<{ token: string }>().token
      const ending = await openStream(s.baseUrl, { query: { access_token: token } })
      await ending.waitForEvents(1)
      await s.request('POST', '/api/v1/auth/logout', undefined, token)
      await ending.ended
      await waitFor(async () => s.bus.listenerCount() === 0, { what: 'the logged-out stream to unsubscribe' })

      // A client that never reads: its socket fills, live changes pile up, and it is dropped.
      const stalled = await new Promise<IncomingMessage>((resolve, reject) =>
        http.get(`${s.baseUrl}/api/v1/stream`, { headers: { authorization: `Bearer ${s.adminToken}` }, agent: false }, resolve).on('error', reject),
      )
      stalled.pause()
      stalled.on('error', () => undefined)
      expect(stalled.statusCode).toBe(200)
      await waitFor(async () => s.bus.listenerCount() === 1, { what: 'the stalled stream to subscribe' })
      const head = (await s.change('alert', 'big-0', {})).seq
      const big = 'x'.repeat(64 * 1024)
      // Published without the log: the stream sends contiguous live changes as they come.
      for (let i = 1; i <= 400 && s.bus.listenerCount() > 0; i++) {
        s.bus.publish([{ seq: head + i, tenantId: s.tenantId, topic: 'alert', entityId: `big-${i}`, payload: { big }, at: new Date().toISOString() }])
        await new Promise((resolve) => setImmediate(resolve))
      }
      await waitFor(async () => s.bus.listenerCount() === 0, { what: 'the stalled stream to be dropped' })
      stalled.destroy()

      // Shutdown with a reading client attached: close() must not wait on it.
      const reading = await openStream(s.baseUrl, { token: s.adminToken })
      await reading.waitForEvents(1)
      await s.api.app.close()
      await reading.ended
      expect(s.bus.listenerCount()).toBe(0)
    } finally {
      await s.close().catch(() => undefined)
    }
  })
})
