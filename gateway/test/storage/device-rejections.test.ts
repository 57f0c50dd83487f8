import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { backends, silentLogger, type OpenedBackend } from '../../../test/support/databases'
import { T0, countingDb, emptyTables, seedDevices, waitFor } from '../../../test/support/telemetry'
import type { Db } from '../../src/storage/db'
import { createDeviceRejections, type DeviceRejections } from '../../src/storage/device-rejections'

interface RejectedRow {
  id: string
  rejected_count: number
  last_ms: number | null
  last_reason: string | null
}

describe.each(backends)('device rejection counts on $name', (backend) => {
  let opened: OpenedBackend
  let rejections: DeviceRejections | undefined

  beforeAll(async () => {
    opened = await backend.open()
  })
  afterAll(() => opened.cleanup())
  beforeEach(async () => {
    await emptyTables(opened.db)
    await seedDevices(opened.db, ['w1', 'w2', 'w3'])
  })
  afterEach(async () => {
    await rejections?.close()
    rejections = undefined
  })

  const rows = () =>
    opened.db.query<RejectedRow>(
      `SELECT id, rejected_count::int AS rejected_count, (extract(epoch FROM last_rejected_at) * 1000)::int8::float8 AS last_ms,
              last_rejected_reason AS last_reason FROM devices ORDER BY id`,
    )

  it('adds many rejections up in one UPDATE, keeping the latest reason', async () => {
    const counted = countingDb(opened.db)
    rejections = createDeviceRejections(counted.db, { flushMs: 60_000, logger: silentLogger })
    for (let i = 0; i < 1000; i++) rejections.rejected('w1', T0 + i, i === 999 ? 'future_ts' : 'not_json')
    // Out of order: a late, older rejection adds to the count but is not "the last".
    rejections.rejected('w1', T0 - 5, 'bad_shape')
    rejections.rejected('w2', T0, 'out_of_range')
    rejections.rejected('unknown-device', T0, 'not_json')
    expect(rejections.pending()).toBe(3)
    await rejections.flush()
    expect(counted.statements).toEqual(['UPDATE devices'])
    expect(await rows()).toEqual([
      { id: 'w1', rejected_count: 1001, last_ms: T0 + 999, last_reason: 'future_ts' },
      { id: 'w2', rejected_count: 1, last_ms: T0, last_reason: 'out_of_range' },
      { id: 'w3', rejected_count: 0, last_ms: null, last_reason: null },
    ])
    // Deltas, not state: the next flush sends nothing and the counts stay.
    await rejections.flush()
    expect(counted.statements).toHaveLength(1)
    // A second worker's counts add to the row; its older rejection leaves the last reason alone.
    const other = createDeviceRejections(opened.db, { flushMs: 60_000, logger: silentLogger })
    other.rejected('w1', T0 - 1000, 'oversize')
    other.rejected('w1', T0 - 999, 'oversize')
    await other.close()
    expect((await rows())[0]).toEqual({ id: 'w1', rejected_count: 1003, last_ms: T0 + 999, last_reason: 'future_ts' })
  })

  it('never double counts with concurrent flushes and rejections arriving mid-write', async () => {
    const db = opened.db
    let release!: () => void
    const held = new Promise<void>((resolve) => (release = resolve))
    let entered!: () => void
    const inWrite = new Promise<void>((resolve) => (entered = resolve))
    let first = true
    // The first UPDATE waits until the test lets it go, so rejections and flushes pile up behind it.
    const slow: Db = {
      ...db,
      kind: db.kind,
      query: async (sql, params) => {
        if (first) {
          first = false
          entered()
          await held
        }
        return db.query(sql, params)
      },
    }
    rejections = createDeviceRejections(slow, { flushMs: 60_000, logger: silentLogger })
    for (let i = 0; i < 5; i++) rejections.rejected('w1', T0 + i, 'not_json')
    const flushes = [rejections.flush()]
    await inWrite
    for (let i = 0; i < 3; i++) rejections.rejected('w1', T0 + 100 + i, 'bad_shape')
    rejections.rejected('w2', T0 + 200, 'out_of_range')
    flushes.push(rejections.flush(), rejections.flush(), rejections.flush())
    release()
    await Promise.all(flushes)
    expect(await rows()).toEqual([
      { id: 'w1', rejected_count: 8, last_ms: T0 + 102, last_reason: 'bad_shape' },
      { id: 'w2', rejected_count: 1, last_ms: T0 + 200, last_reason: 'out_of_range' },
      { id: 'w3', rejected_count: 0, last_ms: null, last_reason: null },
    ])
    expect(rejections.pending()).toBe(0)
  })

  it('keeps the deltas of a failed flush for the next one, merged with newer ones', async () => {
    const db = opened.db
    let fail = true
    const attempts: string[] = []
    const flaky: Db = {
      ...db,
      kind: db.kind,
      query: (sql, params) => {
        attempts.push(fail ? 'failed' : 'written')
        // What node-postgres raises when the server goes away mid-flush (no SQLSTATE).
        return fail ? Promise.reject(new Error('Connection terminated unexpectedly')) : db.query(sql, params)
      },
    }
    rejections = createDeviceRejections(flaky, { flushMs: 60_000, logger: silentLogger })
    rejections.rejected('w3', T0 + 10, 'not_json')
    rejections.rejected('w3', T0 + 20, 'oversize')
    await rejections.flush()
    await rejections.flush()
    expect(attempts).toEqual(['failed', 'failed'])
    expect((await rows())[2]).toEqual({ id: 'w3', rejected_count: 0, last_ms: null, last_reason: null })
    expect(rejections.pending()).toBe(1)
    // Arrived while the database was down, but older than what is held: count adds, reason stays.
    rejections.rejected('w3', T0 + 15, 'bad_shape')
    fail = false
    await rejections.flush()
    expect((await rows())[2]).toEqual({ id: 'w3', rejected_count: 3, last_ms: T0 + 20, last_reason: 'oversize' })
    expect(rejections.pending()).toBe(0)
  })

  it('keeps the deltas when the database itself refuses the UPDATE, and writes them once it accepts', async () => {
    // A real error from the server (42703 undefined column), not a stub: the column is renamed away
    // for the first flush. Not a data exception (class 22), so the deltas are held, not dropped.
    await opened.db.query('ALTER TABLE devices RENAME COLUMN rejected_count TO rejected_count_away')
    rejections = createDeviceRejections(opened.db, { flushMs: 60_000, logger: silentLogger })
    rejections.rejected('w2', T0, 'not_json')
    try {
      await rejections.flush()
      expect(rejections.pending()).toBe(1)
    } finally {
      await opened.db.query('ALTER TABLE devices RENAME COLUMN rejected_count_away TO rejected_count')
    }
    await rejections.flush()
    expect((await rows())[1]).toEqual({ id: 'w2', rejected_count: 1, last_ms: T0, last_reason: 'not_json' })
  })

  it('writes on its own every flushMs and on close', async () => {
    rejections = createDeviceRejections(opened.db, { flushMs: 20, logger: silentLogger })
    rejections.rejected('w1', T0, 'not_json')
    await waitFor(async () => (await rows())[0]?.rejected_count === 1, 5_000, 'timed flush')
    rejections.rejected('w1', T0 + 1, 'bad_shape')
    const closing = rejections
    rejections = undefined
    await closing.close()
    expect((await rows())[0]).toEqual({ id: 'w1', rejected_count: 2, last_ms: T0 + 1, last_reason: 'bad_shape' })
  })
})
