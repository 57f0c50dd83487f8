import { randomUUID } from 'node:crypto'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RuleInput } from '../../../rules/src/index'
import { adminUrl, backends, silentLogger, type OpenedBackend } from '../../../test/support/databases'
import { waitFor } from '../../../test/support/gateway'
import { applyFindings } from '../../src/alerts/alert-store'
import { noAlertEffects } from '../../src/alerts/effects'
import type { FindingSink } from '../../src/detection/finding-delivery'
import { listParked } from '../../src/detection/parked-findings-store'
import { createDetectionRuntime, type DetectionOptions, type DetectionRuntime } from '../../src/detection/runtime'
import { createMetrics, type Metrics } from '../../src/metrics'
import { insertElder } from '../../src/registry/elder-store'
import type { Db } from '../../src/storage/db'

/**
 * The alert path under a fault probe: one finding the database refuses, a database that stops
 * answering, a tenant whose engine throws, a crash while a finding waited in memory. In each,
 * the other alerts open, nothing waits for ever, and nothing is lost.
 */
const MIN = 60_000
/** Recent event times: a replay reads what was stored within 30 days before now (runtime.ts). */
const at = (minutesAgo: number) => Date.now() - minutesAgo * MIN

const sos = (tenantId: string, elderId: string, ts: number): RuleInput => ({ tenantId, elderId, deviceId: `w-${elderId}`, ts, kind: 'event', deviceKind: 'watch', type: 'sos' })
const fix = (tenantId: string, elderId: string, ts: number): RuleInput => ({ tenantId, elderId, deviceId: `w-${elderId}`, ts, kind: 'watch', lat: 31.2, lon: 121.4, acc: 10, src: 'gps' })

/** Short backoffs so a test waits milliseconds, not minutes; parking by time or count is out of the way. */
const quick = { deferredBackoff: { baseMs: 20, factor: 2, capMs: 100 }, maxDeferredAttempts: 10_000, maxDeferredMs: 10 * MIN } as const

/** A deadlock on every alert transaction while `failing`: transient, not the finding's fault, and plain queries still work. */
function deadlockingDb(db: Db): { db: Db; control: { failing: boolean; refused: number } } {
  const control = { failing: false, refused: 0 }
  const wrapped: Db = {
    kind: db.kind,
    query: (sql, params) => db.query(sql, params),
    transaction(fn) {
      if (!control.failing) return db.transaction(fn)
      control.refused++
      return Promise.reject(Object.assign(new Error('deadlock detected'), { code: '40P01' }))
    },
    exec: (sql) => db.exec(sql),
    close: () => db.close(),
  }
  return { db: wrapped, control }
}

async function counter(metric: { get(): Promise<{ values: Array<{ value: number; labels: Record<string, unknown> }> }> }, labels: Record<string, string> = {}): Promise<number> {
  const { values } = await metric.get()
  return values.filter((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l)).reduce((sum, v) => sum + v.value, 0)
}

describe.each(backends)('findings the database will not take ($name)', (backend) => {
  let opened: OpenedBackend
  let db: Db
  const runtimes: DetectionRuntime[] = []

  beforeAll(async () => {
    opened = await backend.open()
    db = opened.db
  })
  afterAll(async () => {
    for (const r of runtimes) await r.close().catch(() => undefined)
    await opened?.cleanup()
  })

  async function tenant(): Promise<string> {
    const id = `t-${randomUUID().slice(0, 8)}`
    await db.query('INSERT INTO tenants (id, name) VALUES ($1, $1)', [id])
    return id
  }
  async function elder(tenantId: string): Promise<string> {
    const id = randomUUID()
    await insertElder(db, tenantId, id, { name: '老人', home: { lat: 31.2, lon: 121.4 } })
    return id
  }
  function runtime(opts: Partial<DetectionOptions> & { metrics?: Metrics } = {}): DetectionRuntime {
    const target = opts.db ?? db
    const r = createDetectionRuntime({
      db,
      logger: silentLogger,
      clock: 'event',
      timeZone: 'Asia/Shanghai',
      findingRetry: quick,
      // The alert stage as the gateway wires it, on the same (possibly failing) database.
      findingSink: (findings) => applyFindings(target, findings, noAlertEffects),
      ...opts,
    })
    runtimes.push(r)
    return r
  }
  const alertsOf = (elderId: string) => db.query<{ id: string; count: number; rule: string }>('SELECT id, count, rule FROM alerts WHERE elder_id = $1', [elderId])
  const checkpointRows = async (tenantId: string) =>
    (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM rule_state WHERE tenant_id = $1', [tenantId]))[0]!.n
  /** The SOS as the telemetry writer stores it: what a reloaded engine replays. */
  const store = (input: RuleInput & { kind: 'event' }) =>
    db.query("INSERT INTO device_events (time, tenant_id, elder_id, device_id, device_kind, type) VALUES ($1, $2, $3, $4, 'watch', $5)", [
      new Date(input.ts),
      input.tenantId,
      input.elderId,
      input.deviceId,
      input.type,
    ])

  it('parks a finding that always fails for a data reason after bounded attempts, while the good ones of other elders and tenants open', async () => {
    const [a, b] = [await tenant(), await tenant()]
    const [bad, goodA, goodB] = [await elder(a), await elder(a), await elder(b)]
    const metrics = createMetrics()
    let attempts = 0
    // Evidence holding a BigInt: JSON.stringify throws a TypeError inside the real transaction.
    const poisoning: FindingSink = (findings) => {
      for (const f of findings) if (f.elderId === bad) f.evidence.heartbeats = 10n
      if (findings.some((f) => f.elderId === bad)) attempts++
      return applyFindings(db, findings, noAlertEffects)
    }
    const r = runtime({ metrics, findingSink: poisoning })
    await r.warmUp([a, b])
    const openBefore = r.findingsHealth().parked

    r.submit([sos(a, bad, at(5)), sos(a, goodA, at(5)), sos(b, goodB, at(5))])
    await r.idle()

    expect(await alertsOf(goodA)).toMatchObject([{ rule: 'safety.sos', count: 1 }])
    expect(await alertsOf(goodB)).toMatchObject([{ rule: 'safety.sos', count: 1 }])
    expect(await alertsOf(bad)).toEqual([])
    // 3 attempts of the batch, 2 of the finding alone; then it is parked, not retried for ever.
    expect(attempts).toBe(5)
    const { items } = await listParked(db, a, { status: 'open', limit: 10, offset: 0 })
    expect(items).toHaveLength(1)
    const parked = items[0]!
    expect(parked).toMatchObject({ tenantId: a, elderId: bad, rule: 'safety.sos', level: 'red', errorCode: 'TypeError', attempts: 5, status: 'open' })
    expect(parked.errorMessage).toMatch(/BigInt/)
    // The finding itself could not be serialised: a bounded description stands in for it.
    expect(parked.finding).toMatchObject({ unserialisable: true })
    expect((parked.finding as { description: string }).description).toContain('10n')

    expect(r.findingsHealth()).toMatchObject({ deferred: 0, parked: openBefore + 1, failingTenants: [] })
    expect(await counter(metrics.findingsParkedTotal)).toBe(1)
    expect(await counter(metrics.findingsParked)).toBe(openBefore + 1)
    expect(await counter(metrics.findingFailures, { kind: 'data' })).toBe(5)
    // Parked is durable: the checkpoint goes ahead.
    await r.checkpoint()
    expect(await checkpointRows(a)).toBeGreaterThan(0)

    // Only a description was stored: a retry cannot apply it; dismissing it works.
    const actor = { tenantId: a, username: 'admin' }
    await expect(r.parkedFindings.retry(actor, parked.id)).rejects.toMatchObject({ code: 'FINDING_STILL_FAILING' })
    await expect(r.parkedFindings.dismiss({ tenantId: b, username: 'admin-b' }, parked.id)).rejects.toMatchObject({ code: 'NOT_FOUND' })
    expect(await r.parkedFindings.dismiss(actor, parked.id)).toMatchObject({ status: 'dismissed', decidedBy: 'admin' })
    expect(r.findingsHealth().parked).toBe(openBefore)
    await expect(r.parkedFindings.dismiss(actor, parked.id)).rejects.toMatchObject({ code: 'PARKED_FINDING_NOT_OPEN' })
  })

  it('defers a finding while the database refuses it, goes on evaluating, and opens the alert exactly once when it answers; no checkpoint meanwhile', async () => {
    const t = await tenant()
    const [x, y] = [await elder(t), await elder(t)]
    const metrics = createMetrics()
    const flaky = deadlockingDb(db)
    const r = runtime({ db: flaky.db, metrics })
    await r.warmUp([t])

    flaky.control.failing = true
    r.submit([sos(t, x, at(10))])
    await r.idle()
    expect(r.findingsHealth()).toMatchObject({ deferred: 1 })
    expect(await alertsOf(x)).toEqual([])
    expect(await counter(metrics.findingsDeferred)).toBe(1)

    // The engine is not wedged: other inputs are evaluated while the finding waits.
    const processed = r.stats().processed
    r.submit(Array.from({ length: 20 }, (_, i) => fix(t, y, at(9) + i * 1000)))
    await r.idle()
    expect(r.stats().processed).toBe(processed + 20)
    expect(r.findingsHealth().deferred).toBe(1)
    expect(r.findingsHealth().oldestDeferredMs).toBeGreaterThanOrEqual(0)
    // The state remembers firing the deferred SOS: it must not be checkpointed yet.
    await r.checkpoint(true)
    expect(await checkpointRows(t)).toBe(0)
    expect(await counter(metrics.findingFailures, { kind: 'transient' })).toBeGreaterThanOrEqual(3)

    flaky.control.failing = false
    const [alert] = await waitFor(async () => {
      const rows = await alertsOf(x)
      return rows.length > 0 && rows
    }, { what: 'the deferred SOS alert' })
    await waitFor(async () => r.findingsHealth().deferred === 0, { what: 'the deferral queue to empty' })
    expect(await alertsOf(x)).toEqual([{ id: alert!.id, count: 1, rule: 'safety.sos' }])
    expect(await counter(metrics.findingsDeferred)).toBe(0)
    expect((await listParked(db, t, { limit: 10, offset: 0 })).total).toBe(0)
    await r.checkpoint(true)
    expect(await checkpointRows(t)).toBeGreaterThan(0)
  })

  it("keeps a tenant whose engine throws from dropping another tenant's SOS in the same batch, then reloads it and replays what it missed", async () => {
    const [broken, healthy] = [await tenant(), await tenant()]
    const [b, h] = [await elder(broken), await elder(healthy)]
    const state = { failing: true }
    // The broken tenant's checkpoint cannot be read: loading its engine throws.
    const failingLoads: Db = {
      ...db,
      kind: db.kind,
      query(sql, params) {
        if (state.failing && sql.includes('FROM rule_state') && params?.[0] === broken) return Promise.reject(new Error('checkpoint unreadable'))
        return db.query(sql, params)
      },
      transaction: (fn) => db.transaction(fn),
    }
    const metrics = createMetrics()
    const r = runtime({ db: failingLoads, metrics, tenantBackoff: { baseMs: 1_000, factor: 2, capMs: 2_000 } })

    const brokenSos = sos(broken, b, at(3)) as RuleInput & { kind: 'event' }
    await store(brokenSos)
    // The broken tenant first: an unfenced loop would drop the healthy tenant's SOS behind it.
    r.submit([brokenSos, sos(healthy, h, at(3))])
    await r.idle()
    expect(await alertsOf(h)).toMatchObject([{ rule: 'safety.sos' }])
    expect(r.stats().tenantFailures).toBe(1)
    expect(r.findingsHealth().failingTenants).toEqual([broken])
    expect(await counter(metrics.detectionTenantFailures)).toBe(1)

    // Backed off: its inputs are skipped (stored, replayed later), not retried on every batch.
    r.submit([fix(broken, b, at(2))])
    await r.idle()
    expect(r.stats()).toMatchObject({ tenantFailures: 1, skippedInputs: 1 })
    expect(await counter(metrics.detectionInputsSkipped)).toBe(1)

    // Repaired: the reload at the end of the backoff replays the stored SOS without new input.
    state.failing = false
    await waitFor(async () => (await alertsOf(b)).length > 0, { what: "the broken tenant's replayed SOS alert" })
    expect(await alertsOf(b)).toMatchObject([{ rule: 'safety.sos', count: 1 }])
    expect(r.findingsHealth().failingTenants).toEqual([])
  })

  it('opens the alert after a crash while its finding was deferred: the checkpoint waited, the replay brings it back', async () => {
    const t = await tenant()
    const x = await elder(t)
    const flaky = deadlockingDb(db)
    const crashed = runtime({ db: flaky.db })
    await crashed.warmUp([t])
    await crashed.checkpoint(true)
    const savedAt = async () => (await db.query<{ updated_at: Date }>("SELECT updated_at FROM rule_state WHERE tenant_id = $1 AND scope = 'tenant'", [t]))[0]?.updated_at.getTime()
    const before = await savedAt()
    expect(before).toBeDefined()

    const input = sos(t, x, at(1)) as RuleInput & { kind: 'event' }
    await store(input)
    flaky.control.failing = true
    crashed.submit([input])
    await crashed.idle()
    expect(crashed.findingsHealth().deferred).toBe(1)
    await crashed.checkpoint(true)
    expect(await savedAt()).toBe(before)

    // The process dies here (the first runtime's database stays unreachable): a new one starts.
    const restarted = runtime()
    await restarted.warmUp([t])
    await restarted.idle()
    expect(await alertsOf(x)).toMatchObject([{ rule: 'safety.sos', count: 1 }])

    // The dead one's last attempt and its shutdown change nothing: still one alert, no checkpoint.
    await crashed.close()
    expect(await savedAt()).toBe(before)
    expect(await alertsOf(x)).toHaveLength(1)
  })

  it.runIf(backend.name === 'postgres')('defers through a real outage (connections refused, sessions terminated) and stores the alert once the server is back', async () => {
    const t = await tenant()
    const x = await elder(t)
    const r = runtime()
    await r.warmUp([t])
    const name = new URL(opened.url!).pathname.slice(1)
    const admin = new pg.Client({ connectionString: adminUrl })
    await admin.connect()
    try {
      await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`)
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [name])
      r.submit([sos(t, x, at(1))])
      await r.idle()
      expect(r.findingsHealth().deferred).toBe(1)
    } finally {
      await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`)
      await admin.end()
    }
    await waitFor(async () => r.findingsHealth().deferred === 0, { what: 'the deferred finding to be stored' })
    expect(await alertsOf(x)).toMatchObject([{ rule: 'safety.sos', count: 1 }])
  })
})
