import { retryDelayMs, type BackoffPolicy } from '../retry/backoff'
import type { CameraReading, DeviceEvent, WatchReading } from '../../../rules/src/input'
import { EgError } from '../errors'
import type { CommandAck } from '../ingest/types'
import type { Logger } from '../logger'
import type { Metrics } from '../metrics'
import type { Db } from './db'
import { classifyDbError, describeDbError, sqlStateOf } from './db-errors'
import { carriesHealth, devicePairParams, newDevicePairs, telemetryInsertName, telemetryInsertSql, telemetryParams } from './telemetry-sql'
import { noRows, rowCount, storeIsolating, type RefusedRow, type TelemetryCounts, type TelemetryRows } from './telemetry-rows'
import { Queue } from './write-queue'

/**
 * The telemetry writer, with group commit (DESIGN §3 "Acceptance is durable"). push() appends to
 * in-memory queues; one pump at a time turns up to batchSize queued rows into one multi-row
 * INSERT per table (unnest of column arrays: one statement, one round trip, one plan).
 *
 * Group commit: the pump writes as soon as it is idle and rows wait; whatever arrives while a
 * statement runs goes out in the next one. So batches grow with load by themselves (one row
 * when quiet, thousands under a flood) and a durable push waits about one or two statement
 * times — milliseconds, not a fixed flush interval.
 *
 * What a push's promise means (`durable: true`, the QoS 1 path): every row of it is committed,
 * or — refused by the database for a data reason — durably dead-lettered (telemetry-rows.ts).
 * The broker sends the PUBACK only then, so a SIGKILL loses nothing a device saw acknowledged.
 * Promises resolve in push order, which keeps each device's PUBACKs in the order it published.
 *
 * Durability rules:
 * - a batch leaves memory only after its fate is durable; a transient database error (connection
 *   lost, server restarting) is retried with capped exponential backoff for as long as it takes;
 * - retries are idempotent: every table has a unique key and the INSERT says ON CONFLICT DO
 *   NOTHING, so a commit whose reply was lost (connection killed) is not written twice;
 * - while a batch is stuck, push() keeps accepting until bufferCapacity rows are queued, then a
 *   non-durable push (QoS 0) returns a promise that resolves when there is room (durable pushes
 *   wait for their commit anyway). Devices are slowed, nothing accepted is dropped.
 */
export interface TelemetryBatch {
  readings?: ReadonlyArray<WatchReading | CameraReading>
  events?: ReadonlyArray<DeviceEvent>
  acks?: ReadonlyArray<CommandAck>
}

export interface TelemetryWriter {
  /**
   * Accept records. `durable` (QoS 1): returns a promise that resolves once every row is committed
   * or durably dead-lettered. Otherwise: undefined when the buffer had room, or a promise that
   * resolves when there is room again (backpressure). Never drops accepted data.
   */
  push(batch: TelemetryBatch, opts?: { durable?: boolean }): void | Promise<void>
  /** Resolves when everything accepted before the call is durable. */
  flush(): Promise<void>
  /** Flush everything, then stop. Waits for the database however long it is away (accepted data is not abandoned); bound shutdown outside if needed. */
  close(): Promise<void>
  /** Rows accepted and not yet durable (including the batch being written). */
  depth(): number
  /** Accept time (epoch ms) of the oldest row not yet durable; undefined when all are. */
  oldestPendingAt(): number | undefined
  /** Since when the current batch has been failing (epoch ms) and why; undefined while writes succeed. */
  failing(): { since: number; error: string } | undefined
}

/** Where rows the database refuses for a data reason go; resolves once the dead letter is committed. */
export interface RefusedRowSink {
  recordDurable(row: RefusedRow): Promise<void>
}

export interface TelemetryWriterOptions {
  batchSize: number
  /** How long the first rows after a quiet spell may wait for company; 0: the next turn of the event loop. */
  flushMs: number
  bufferCapacity: number
  logger: Logger
  metrics: Metrics
  /** Refused rows become dead letters here; without it they are logged and counted only. */
  refused?: RefusedRowSink
  /** Delay before retry number `attempt` (0-based) of a failed batch. */
  retryDelayMs?: (attempt: number) => number
  /**
   * Statements in flight at most. 2 on PostgreSQL, but a second statement starts only when it
   * has something to catch up on — a full batch waiting (a backlog after an outage: 180-row
   * batches alone against PostgreSQL 15 here ran 30,100 rows/s with one statement, 38,500 with
   * two) — or device events (an SOS does not wait behind a statement of readings). Otherwise one
   * statement at a time: under a steady stream that doubles each batch (bench:ingest 170 → 350
   * rows), which halves the statements, the commits and the PUBACK writes per message, and on a
   * machine the database shares with the gateway the durable rate rose by about a fifth (README
   * Benchmarks). PGlite runs one statement at a time anyway. Batches become durable (and release
   * their PUBACKs) in order whatever order they commit in.
   */
  concurrency?: number
  /** Clock for accept times (tests). */
  now?: () => number
}

const UNIQUE_VIOLATION = '23505'
/** How long the writer stays in the ON CONFLICT form after a duplicate. */
const DEDUPE_SPELL_MS = 1_000

/** 100 ms doubling to a 5 s cap, jittered (retry/backoff.ts) so several gateway workers do not retry in step. */
const WRITER_BACKOFF: BackoffPolicy = { baseMs: 100, factor: 2, capMs: 5_000 }

export function defaultRetryDelayMs(attempt: number): number {
  // At least 10 ms: a retry the same instant against a database that just failed is no retry.
  return Math.max(10, retryDelayMs(attempt + 1, WRITER_BACKOFF))
}

/**
 * One or more pushes (or a flush): done once each table's durable count reaches its counts.
 * `at` is the accept time of its first push (the age of the oldest unstored row).
 */
interface Marker {
  readings: number
  events: number
  acks: number
  at: number
  /** The promise durable pushes wait on, and its resolve; undefined for pushes nobody waits for. */
  promise: Promise<void> | undefined
  resolve: (() => void) | undefined
  /** takeBatch calls before it was made: pushes join it only while no batch has been taken since. */
  taken: number
}

export function createTelemetryWriter(db: Db, opts: TelemetryWriterOptions): TelemetryWriter {
  const { batchSize, flushMs, bufferCapacity, logger, metrics } = opts
  if (!(batchSize >= 1) || !(bufferCapacity >= 1) || !(flushMs >= 0)) {
    throw new EgError('CONFIG_INVALID', 'telemetry writer: batchSize and bufferCapacity must be ≥ 1, flushMs ≥ 0')
  }
  const retryDelayMs = opts.retryDelayMs ?? defaultRetryDelayMs
  const now = opts.now ?? Date.now
  const readings = new Queue<WatchReading | CameraReading>()
  const events = new Queue<DeviceEvent>()
  const acks = new Queue<CommandAck>()
  const markers = new Queue<Marker>()
  const persisted = {
    readings: metrics.rowsPersisted.labels('readings'),
    events: metrics.rowsPersisted.labels('device_events'),
    acks: metrics.rowsPersisted.labels('command_acks'),
  }
  // Rows ever accepted and ever made durable, per table. Each table becomes durable in FIFO
  // order, so the counts are positions and a marker is done when all three reach its own.
  const accepted = { readings: 0, events: 0, acks: 0 }
  const durable = { readings: 0, events: 0, acks: 0 }
  let scheduled = false
  const concurrency = opts.concurrency ?? (db.kind === 'postgres' ? 2 : 1)
  /** Float columns as binary arrays (telemetry-sql.ts): the pg driver binds Buffers in binary. */
  const binaryFloats = db.kind === 'postgres'
  let inFlight = 0
  /** Batches in take order; each leaves from the front once durable. */
  const batches: Array<{ rows: TelemetryRows; counts: TelemetryCounts | undefined }> = []
  let closed = false
  /** takeBatch calls so far (mark: which pushes may share a marker). */
  let taken = 0
  /** Until then batches are written in the ON CONFLICT form (after a duplicate was seen). */
  let dedupeUntil = 0
  let failingSince: { since: number; error: string } | undefined
  /** Device id → elder id of the pairs committed to elder_devices (telemetry-sql.ts newDevicePairs); one entry per device. */
  const knownPairs = new Map<string, string>()
  let room: { promise: Promise<void>; resolve: () => void } | undefined

  const depth = () => readings.length + events.length + acks.length
  metrics.probes.oldestUnstoredMs = () => {
    const oldest = markers.peek()
    return oldest === undefined ? 0 : Math.max(0, now() - oldest.at)
  }

  /**
   * Whether another statement may start now: the first always (group commit); a second only for
   * a full batch waiting or for events (see `concurrency`).
   */
  function mayStart(): boolean {
    const untaken = readings.untaken + events.untaken + acks.untaken
    if (untaken === 0) return false
    if (inFlight === 0) return true
    return inFlight < concurrency && (untaken >= batchSize || events.untaken > 0)
  }

  function schedule(): void {
    if (scheduled || !mayStart()) return
    scheduled = true
    // Rows that arrived in this turn (a TCP chunk holds many devices' publishes) go together.
    const start = () => {
      scheduled = false
      kick()
    }
    if (flushMs === 0) setImmediate(start)
    else setTimeout(start, flushMs).unref()
  }

  /** Starts the statements what waits may start; group commit: as soon as a slot frees. */
  function kick(): void {
    while (mayStart()) {
      const entry: (typeof batches)[number] = { rows: takeBatch(), counts: undefined }
      batches.push(entry)
      inFlight++
      run(entry)
    }
  }

  function run(entry: (typeof batches)[number]): void {
    storeIsolating(entry.rows, writeRetrying, deadLetter).then(
      (counts) => {
        entry.counts = counts
        inFlight--
        while (batches[0]?.counts !== undefined) {
          const done = batches.shift()!
          release(done.rows, done.counts!)
        }
        kick()
      },
      (err: unknown) => {
        // Not expected: transient errors are retried inside and data errors isolated; only a
        // dead-letter store that refuses (closed) gets here. The batch is kept and tried again.
        logger.error({ err: (err as Error).message }, 'telemetry batch failed unexpectedly; retrying')
        setTimeout(() => run(entry), retryDelayMs(5)).unref()
      },
    )
  }

  /** Events and acks first: they are rare and small, and must not queue behind a reading backlog. */
  function takeBatch(): TelemetryRows {
    taken++
    let left = batchSize
    const ne = Math.min(events.untaken, left)
    left -= ne
    const na = Math.min(acks.untaken, left)
    left -= na
    const nr = Math.min(readings.untaken, left)
    return { events: events.take(ne), acks: acks.take(na), readings: readings.take(nr) }
  }

  /**
   * One statement; transient failures retried here for as long as it takes, data errors thrown
   * to the isolating caller. The plain INSERT first; a duplicate (23505) sends the batch again
   * with ON CONFLICT DO NOTHING, and so do the batches of the next second (resends come in
   * bursts: a fleet reconnecting after an outage).
   */
  async function writeRetrying(rows: TelemetryRows): Promise<TelemetryCounts> {
    const { readings: r, events: e, acks: a } = rows
    for (let attempt = 0; ; attempt++) {
      const started = performance.now()
      const dedupe = now() < dedupeUntil
      try {
        const health = carriesHealth(r)
        const pairs = newDevicePairs(r, knownPairs)
        const forms = [r.length > 0, e.length > 0, a.length > 0, dedupe, health, pairs !== undefined] as const
        const sql = telemetryInsertSql(...forms)
        const params = telemetryParams(r, 0, r.length, e, 0, e.length, a, 0, a.length, health, binaryFloats)
        if (pairs !== undefined) params.push(...devicePairParams(pairs))
        // Prepared (PostgreSQL): parsed and planned once per connection, not per batch.
        const result = await db.query<TelemetryCounts>(sql, params, { prepare: telemetryInsertName(...forms) })
        if (pairs !== undefined) for (let i = 0; i < pairs.device.length; i++) knownPairs.set(pairs.device[i]!, pairs.elder[i]!)
        metrics.flushSeconds.observe((performance.now() - started) / 1000)
        failingSince = undefined
        return dedupe ? (result[0] ?? noRows()) : { readings: r.length, events: e.length, acks: a.length }
      } catch (err) {
        if (!dedupe && sqlStateOf(err) === UNIQUE_VIOLATION) {
          dedupeUntil = now() + DEDUPE_SPELL_MS
          attempt--
          continue
        }
        const kind = classifyDbError(err)
        metrics.writerFailures.inc({ kind })
        if (kind === 'data') throw err
        // Kept in memory and retried: the rows were accepted, so giving up would lose data.
        metrics.writerRetries.inc()
        failingSince ??= { since: now(), error: describeDbError(err) }
        const e = err as Error & { code?: string }
        logger.warn({ err: e.message, code: e.code, attempt, rows: rowCount(rows), depth: depth() }, 'telemetry batch failed; retrying')
        await new Promise<void>((resolve) => setTimeout(resolve, retryDelayMs(attempt)))
      }
    }
  }

  async function deadLetter(row: RefusedRow): Promise<void> {
    metrics.writerRowsRefused.inc({ channel: row.channel })
    logger.error({ deviceId: row.deviceId, channel: row.channel, err: row.error }, 'row refused by the database; kept as a dead letter, the rest of its batch stored')
    if (opts.refused) await opts.refused.recordDurable(row)
  }

  function release(batch: TelemetryRows, counts: TelemetryCounts): void {
    readings.drop(batch.readings.length)
    events.drop(batch.events.length)
    acks.drop(batch.acks.length)
    durable.readings += batch.readings.length
    durable.events += batch.events.length
    durable.acks += batch.acks.length
    // Rows actually inserted: duplicates (QoS 1 resends, retried commits) are not counted.
    if (counts.readings > 0) persisted.readings.inc(counts.readings)
    if (counts.events > 0) persisted.events.inc(counts.events)
    if (counts.acks > 0) persisted.acks.inc(counts.acks)
    metrics.batchSize.observe(rowCount(batch))
    metrics.bufferDepth.set(depth())
    for (let m = markers.peek(); m !== undefined; m = markers.peek()) {
      if (durable.readings < m.readings || durable.events < m.events || durable.acks < m.acks) break
      markers.drop(1)
      m.resolve?.()
    }
    if (room !== undefined && depth() < bufferCapacity) {
      const r = room
      room = undefined
      r.resolve()
    }
  }

  /**
   * The marker of everything accepted so far, and the promise to wait on when `durable`.
   * Consecutive pushes with no batch taken between them share one marker and one promise: their
   * rows are all still waiting and in order, so the last one's count covers the earlier ones,
   * which become durable no later (only a batch-size cut between them could make an earlier one
   * wait one statement longer). A commit then resolves one promise per batch rather than one per
   * message — under bench:ingest the per-push promise and marker were 4 % of the gateway's CPU.
   */
  function mark(durable: boolean): Promise<void> | undefined {
    const last = markers.length > 0 ? markers.items[markers.items.length - 1] : undefined
    if (last !== undefined && last.taken === taken && (last.promise !== undefined) === durable) {
      last.readings = accepted.readings
      last.events = accepted.events
      last.acks = accepted.acks
      return last.promise
    }
    const marker: Marker = { readings: accepted.readings, events: accepted.events, acks: accepted.acks, at: now(), promise: undefined, resolve: undefined, taken }
    if (durable) marker.promise = new Promise<void>((resolve) => (marker.resolve = resolve))
    markers.items.push(marker)
    return marker.promise
  }

  function push(batch: TelemetryBatch, pushOpts?: { durable?: boolean }): void | Promise<void> {
    if (closed) throw new EgError('INTERNAL', 'telemetry writer is closed')
    const r = batch.readings
    const e = batch.events
    const a = batch.acks
    const n = (r?.length ?? 0) + (e?.length ?? 0) + (a?.length ?? 0)
    if (n === 0) return undefined
    if (r !== undefined) for (let i = 0; i < r.length; i++) readings.items.push(r[i]!)
    if (e !== undefined) for (let i = 0; i < e.length; i++) events.items.push(e[i]!)
    if (a !== undefined) for (let i = 0; i < a.length; i++) acks.items.push(a[i]!)
    accepted.readings += r?.length ?? 0
    accepted.events += e?.length ?? 0
    accepted.acks += a?.length ?? 0
    const d = depth()
    if (d >= batchSize) kick()
    else schedule()
    if (pushOpts?.durable === true) return mark(true)
    mark(false)
    if (d < bufferCapacity) return undefined
    metrics.bufferDepth.set(d)
    if (room === undefined) {
      let resolve!: () => void
      const promise = new Promise<void>((res) => (resolve = res))
      room = { promise, resolve }
    }
    return room.promise
  }

  function flush(): Promise<void> {
    if (markers.length === 0) return Promise.resolve()
    const done = mark(true)!
    kick()
    return done
  }

  async function close(): Promise<void> {
    closed = true
    await flush()
  }

  return {
    push,
    flush,
    close,
    depth,
    oldestPendingAt: () => markers.peek()?.at,
    failing: () => failingSince,
  }
}
