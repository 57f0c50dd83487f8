import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { backends, silentLogger, type OpenedBackend } from '../../../test/support/databases'
import { T0, seedDevices } from '../../../test/support/telemetry'
import { appendChange, readChanges, type Change } from '../../src/stream/change-log-store'
import type { Db } from '../../src/storage/db'
import { createDeviceActivity } from '../../src/storage/device-activity'
import { createChangeBus } from '../../src/stream/change-bus'
import { startChangeLogPruning } from '../../src/stream/change-log-pruning'

/** The change log's writers and housekeeping on both backends: device status, pruning; and the bus. */
describe.each(backends)('change log on $name', (backend) => {
  let opened: OpenedBackend

  beforeAll(async () => {
    opened = await backend.open()
  })
  afterAll(() => opened.cleanup())
  beforeEach(async () => {
    await opened.db.query('TRUNCATE change_log, change_heads, devices, elders, tenants CASCADE')
    await seedDevices(opened.db, ['w1', 'w2'])
  })

  it('appends a device change per online/offline transition, in the flush transaction, and hands it over after commit', async () => {
    const published: Change[] = []
    const activity = createDeviceActivity(opened.db, { flushMs: 60_000, logger: silentLogger, onChanges: (c) => published.push(...c) })
    activity.setOnline('w1', true, T0)
    activity.setOnline('w2', false, T0) // offline already: no transition
    activity.seen('w2', T0 + 5)
    await activity.flush()
    activity.setOnline('w1', true, T0 + 10) // still online
    activity.seen('w1', T0 + 20, 50) // no status at all: the plain UPDATE path
    await activity.flush()
    activity.setOnline('w1', false, T0 + 30)
    activity.setOnline('w2', true, T0 + 30)
    await activity.close()

    const log = await readChanges(opened.db, 't1', 0, 100)
    expect(log.map((c) => [c.seq, c.topic, c.entityId, c.payload])).toEqual([
      [1, 'device', 'w1', { deviceId: 'w1', elderId: 'e1', online: true, at: new Date(T0).toISOString() }],
      [2, 'device', 'w1', { deviceId: 'w1', elderId: 'e1', online: false, at: new Date(T0 + 30).toISOString() }],
      [3, 'device', 'w2', { deviceId: 'w2', elderId: 'e1', online: true, at: new Date(T0 + 30).toISOString() }],
    ])
    expect(published).toEqual(log)
  })

  it('writes neither the status nor its change when the flush fails, and retries both', async () => {
    let fail = true
    const db = opened.db
    const flaky: Db = {
      ...db,
      kind: db.kind,
      query: (sql, params) => db.query(sql, params),
      transaction: (fn) =>
        db.transaction(async (tx) => {
          const result = await fn(tx)
          if (fail) throw new Error('commit lost')
          return result
        }),
    }
    const published: Change[] = []
    const activity = createDeviceActivity(flaky, { flushMs: 60_000, logger: silentLogger, onChanges: (c) => published.push(...c) })
    activity.setOnline('w1', true, T0)
    await activity.flush()
    expect(published).toEqual([])
    expect(await readChanges(opened.db, 't1', 0, 10)).toEqual([])
    expect((await opened.db.query<{ online: boolean }>("SELECT online FROM devices WHERE id = 'w1'"))[0]?.online).toBe(false)
    fail = false
    await activity.close()
    expect(published.map((c) => [c.seq, c.payload.online])).toEqual([[1, true]])
  })

  it('prunes changes older than the retention, keeping the sequence going', async () => {
    for (let i = 0; i < 5; i++) await opened.db.transaction((tx) => appendChange(tx, 't1', 'alert', `a${i}`, { i }))
    await opened.db.query("UPDATE change_log SET at = now() - interval '8 days' WHERE seq <= 3")
    const pruning = startChangeLogPruning(opened.db, { logger: silentLogger, batch: 2 })
    try {
      expect(await pruning.runOnce()).toBe(3)
      expect((await readChanges(opened.db, 't1', 0, 10)).map((c) => c.seq)).toEqual([4, 5])
      const next = await opened.db.transaction((tx) => appendChange(tx, 't1', 'alert', 'a5', {}))
      expect(next.seq).toBe(6)
      // A shorter retention, from a clock two days ahead: everything goes.
      const later = startChangeLogPruning(opened.db, { logger: silentLogger, retentionDays: 1, now: () => Date.now() + 2 * 86_400_000 })
      expect(await later.runOnce()).toBe(3)
      await later.stop()
    } finally {
      await pruning.stop()
    }
  })
})

describe('change bus', () => {
  const change = (tenantId: string, seq: number): Change => ({ seq, tenantId, topic: 'alert', entityId: `a${seq}`, payload: {}, at: new Date(T0).toISOString() })

  it("gives each subscriber its own tenant's changes and survives a failing subscriber", () => {
    const bus = createChangeBus({ logger: silentLogger })
    const got: Record<string, number[]> = { a1: [], a2: [], b: [] }
    const offA1 = bus.subscribe('ta', (cs) => got.a1!.push(...cs.map((c) => c.seq)))
    bus.subscribe('ta', () => {
      throw new Error('broken board')
    })
    bus.subscribe('ta', (cs) => got.a2!.push(...cs.map((c) => c.seq)))
    const offB = bus.subscribe('tb', (cs) => got.b!.push(...cs.map((c) => c.seq)))
    bus.publish([change('ta', 1), change('tb', 1), change('ta', 2)])
    bus.publish([change('tc', 9)])
    expect(got).toEqual({ a1: [1, 2], a2: [1, 2], b: [1] })
    expect(bus.listenerCount()).toBe(4)
    offA1()
    offA1()
    offB()
    bus.publish([change('ta', 3), change('tb', 2)])
    expect(got).toEqual({ a1: [1, 2], a2: [1, 2, 3], b: [1] })
    expect(bus.listenerCount()).toBe(2)
  })
})
