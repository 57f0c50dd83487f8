import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { backends, silentLogger, type OpenedBackend } from '../../../test/support/databases'
import { countRows, emptyTables } from '../../../test/support/telemetry'
import type { Db } from '../../src/storage/db'
import { createDeadLetterStore, truncateUtf8, type DeadLetterStore } from '../../src/storage/dead-letters'

describe('truncateUtf8', () => {
  it.each([
    ['ascii under the limit', Buffer.from('hello'), 10, 'hello'],
    ['ascii cut', Buffer.from('hello world'), 5, 'hello'],
    ['never splits a 3-byte character', Buffer.from('ab老人'), 4, 'ab'],
    ['keeps a whole character at the edge', Buffer.from('ab老人'), 5, 'ab老'],
    ['never splits a 4-byte character', Buffer.from('a😀b'), 4, 'a'],
    ['NUL becomes U+FFFD', Buffer.from([0x61, 0x00, 0x62]), 10, 'a\ufffdb'],
    ['invalid bytes are replaced and still fit', Buffer.from([0xff, 0xff, 0xff, 0x61]), 4, '\ufffd'],
  ])('%s', (_name, payload, limit, expected) => {
    const text = truncateUtf8(payload, limit)
    expect(text).toBe(expected)
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(limit)
  })
})

describe.each(backends)('dead-letter store on $name', (backend) => {
  let opened: OpenedBackend
  let db: Db
  let store: DeadLetterStore | undefined

  beforeAll(async () => {
    opened = await backend.open()
    db = opened.db
  })
  afterAll(() => opened.cleanup())
  beforeEach(() => emptyTables(db))
  afterEach(async () => {
    await store?.close()
    store = undefined
  })

  it('stores truncated payloads and lists newest first with filters', async () => {
    store = createDeadLetterStore(db, { maxRows: 100, payloadBytes: 8, logger: silentLogger, flushMs: 60_000 })
    store.record({ tenantId: 't1', deviceId: 'w1', channel: 'telemetry', reason: 'not_json', message: 'not JSON', payload: Buffer.from('{"hr": 老人家 …') })
    store.record({ tenantId: 't1', deviceId: 'w2', channel: 'telemetry', reason: 'out_of_range', message: 'hr: must be ≤ 250', payload: Buffer.from('{"hr":900}') })
    store.record({ channel: 'connect', reason: 'bad_auth', message: 'unknown device', payload: Buffer.alloc(0) })
    store.record({ tenantId: 't1', deviceId: 'w1', channel: 'event', reason: 'bad_shape', message: 'type: invalid', payload: Buffer.from('{}') })
    await store.flush()

    const all = await store.list({ limit: 10 })
    expect(all.map((l) => l.reason)).toEqual(['bad_shape', 'bad_auth', 'out_of_range', 'not_json'])
    expect(all[3]).toMatchObject({ tenantId: 't1', deviceId: 'w1', channel: 'telemetry', message: 'not JSON', payload: '{"hr": ' })
    expect(all[2]?.payload).toBe('{"hr":90')
    expect(all[1]).not.toHaveProperty('deviceId')
    expect(all[1]).not.toHaveProperty('tenantId')
    expect(typeof all[0]?.receivedAt).toBe('number')

    expect((await store.list({ limit: 10, deviceId: 'w1' })).map((l) => l.reason)).toEqual(['bad_shape', 'not_json'])
    expect((await store.list({ limit: 10, reason: 'out_of_range' })).map((l) => l.deviceId)).toEqual(['w2'])
    expect((await store.list({ limit: 10, reason: 'not_json', deviceId: 'w2' }))).toEqual([])
    expect(await store.list({ limit: 1 })).toHaveLength(1)
  })

  it('keeps the table at most maxRows, newest winning', async () => {
    store = createDeadLetterStore(db, { maxRows: 50, payloadBytes: 64, logger: silentLogger, batchSize: 40, maxBuffered: 10_000, flushMs: 60_000 })
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 100; i++) {
        const n = round * 100 + i
        store.record({ deviceId: `d${n}`, channel: 'telemetry', reason: 'not_json', message: `#${n}`, payload: Buffer.from(String(n)) })
      }
      await store.flush()
      expect(await countRows(db, 'dead_letters')).toBeLessThanOrEqual(50)
    }
    const kept = await store.list({ limit: 100 })
    expect(kept).toHaveLength(50)
    expect(kept[0]?.message).toBe('#499')
    expect(kept[49]?.message).toBe('#450')
  })

  it('drops the oldest buffered letters when the database cannot keep up, counting them', async () => {
    let release!: () => void
    const held = new Promise<void>((resolve) => (release = resolve))
    let entered!: () => void
    const inside = new Promise<void>((resolve) => (entered = resolve))
    // A database that hangs until released: the store must not grow without bound meanwhile.
    const slow: Db = { ...db, kind: db.kind, query: async (sql, params) => (entered(), await held, db.query(sql, params)) }
    store = createDeadLetterStore(slow, { maxRows: 1000, payloadBytes: 64, logger: silentLogger, maxBuffered: 10, batchSize: 5, flushMs: 60_000 })
    for (let i = 0; i < 5; i++) store.record({ channel: 'telemetry', reason: 'r', message: `#${i}`, payload: Buffer.from('x') })
    const flushing = store.flush()
    await inside
    // 5 in the batch being written, then 20 more into a buffer of 10: the 10 oldest of those go.
    for (let i = 5; i < 25; i++) store.record({ channel: 'telemetry', reason: 'r', message: `#${i}`, payload: Buffer.from('x') })
    expect(store.dropped()).toBe(10)
    release()
    await flushing
    await store.flush()
    const kept = (await store.list({ limit: 100 })).map((l) => l.message)
    // The in-flight batch (#0–#4) was written, and of the rest the newest 10 (#15–#24).
    expect(kept).toEqual([...Array.from({ length: 10 }, (_, i) => `#${24 - i}`), '#4', '#3', '#2', '#1', '#0'])
  })
})
