import type { CameraReading, DeviceEvent, WatchReading } from '../../../rules/src/input'
import { EgError } from '../errors'
import type { CommandAck } from '../ingest/types'
import type { Logger } from '../logger'
import type { Metrics } from '../metrics'
import type { Db } from './db'
import { telemetryInsertSql, telemetryParams } from './telemetry-sql'

/**
 * The batched telemetry writer (DESIGN §2: telemetry is persisted in batches beside the rule
 * path, never in front of it). push() only appends to in-memory queues; one pump at a time
 * turns up to batchSize queued rows into one multi-row INSERT per table (unnest of column
 * arrays: one statement, one round trip, one plan, however many rows).
 *
 * Durability rules:
 * - a batch leaves memory only after its INSERT committed; on any database error it is retried
 *   with capped exponential backoff, forever (the alternative is losing accepted data);
 * - retries are idempotent: every table has a unique key and the INSERT says ON CONFLICT DO
 *   NOTHING, so a commit whose reply was lost (connection killed) is not written twice;
 * - while a batch is stuck, push() keeps accepting until bufferCapacity rows are queued, then
 *   returns a promise that resolves when there is room (the broker withholds PUBACK / stops
 *   reading that socket). The capacity is therefore soft: each producer may overshoot it by the
 *   one push that found it full — nothing is ever refused or dropped.
 */
export interface TelemetryBatch {
  readings?: ReadonlyArray<WatchReading | CameraReading>
  events?: ReadonlyArray<DeviceEvent>
  acks?: ReadonlyArray<CommandAck>
}

export interface TelemetryWriter {
  /** Accept records. Returns undefined when the bounded buffer had room (the common, allocation-free case), or a Promise that resolves once there is room (backpressure). Never drops accepted data. */
  push(batch: TelemetryBatch): void | Promise<void>
  /** Resolves when everything accepted before the call is committed. */
  flush(): Promise<void>
  /** Flush everything, then stop. Waits for the database however long it is away (accepted data is not abandoned); bound shutdown outside if needed. */
  close(): Promise<void>
  /** Rows accepted and not yet committed (including the batch being written). */
  depth(): number
}

export interface TelemetryWriterOptions {
  batchSize: number
  flushMs: number
  bufferCapacity: number
  logger: Logger
  metrics: Metrics
  /** Delay before retry number `attempt` (0-based) of a failed batch. */
  retryDelayMs?: (attempt: number) => number
}

/** 100 ms doubling to a 5 s cap, ±20 % jitter so several gateway workers do not retry in step. */
export function defaultRetryDelayMs(attempt: number): number {
  return Math.min(100 * 2 ** Math.min(attempt, 16), 5_000) * (0.8 + Math.random() * 0.4)
}

/** A FIFO that frees its front lazily: a batch is only read (peeked) until it has committed. */
class Queue<T> {
  items: T[] = []
  head = 0
  get length(): number {
    return this.items.length - this.head
  }
  drop(n: number): void {
    this.head += n
    // Compact once the dead front outweighs the live rest: amortised O(1) per row.
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items.splice(0, this.head)
      this.head = 0
    }
  }
}

interface PendingBatch {
  readings: number
  events: number
  acks: number
  sql: string
  params: string[]
}

interface FlushWaiter {
  readings: number
  events: number
  acks: number
  resolve: () => void
}

/** Rows inserted per table by one batch (duplicates excluded). */
interface TelemetryCounts {
  readings: number
  events: number
  acks: number
}

export function createTelemetryWriter(db: Db, opts: TelemetryWriterOptions): TelemetryWriter {
  const { batchSize, flushMs, bufferCapacity, logger, metrics } = opts
  if (!(batchSize >= 1) || !(bufferCapacity >= 1) || !(flushMs >= 0)) {
    throw new EgError('CONFIG_INVALID', 'telemetry writer: batchSize and bufferCapacity must be ≥ 1, flushMs ≥ 0')
  }
  const retryDelayMs = opts.retryDelayMs ?? defaultRetryDelayMs
  const readings = new Queue<WatchReading | CameraReading>()
  const events = new Queue<DeviceEvent>()
  const acks = new Queue<CommandAck>()
  const persisted = {
    readings: metrics.rowsPersisted.labels('readings'),
    events: metrics.rowsPersisted.labels('device_events'),
    acks: metrics.rowsPersisted.labels('command_acks'),
  }
  // Rows ever accepted and ever committed, per table: flush() waits for committed ≥ accepted
  // as of its call (each table commits in FIFO order, so counts are positions).
  const accepted = { readings: 0, events: 0, acks: 0 }
  const committed = { readings: 0, events: 0, acks: 0 }
  // Write partial batches until committed reaches these (set by flush() and the flushMs timer).
  const due = { readings: 0, events: 0, acks: 0 }
  const flushWaiters: FlushWaiter[] = []
  let timer: NodeJS.Timeout | undefined
  let pumping = false
  let closed = false
  let room: { promise: Promise<void>; resolve: () => void } | undefined

  const depth = () => readings.length + events.length + acks.length

  function markDue(): void {
    due.readings = accepted.readings
    due.events = accepted.events
    due.acks = accepted.acks
  }

  function shouldWrite(): boolean {
    return (
      depth() >= batchSize || committed.readings < due.readings || committed.events < due.events || committed.acks < due.acks
    )
  }

  function armTimer(): void {
    if (timer !== undefined || depth() === 0) return
    // Time bound of a partial batch. unref: a quiet writer must not keep the process alive;
    // shutdown goes through close(), which flushes.
    timer = setTimeout(onTimer, flushMs)
    timer.unref()
  }

  function onTimer(): void {
    timer = undefined
    markDue()
    kick()
  }

  function kick(): void {
    if (!pumping) pump().catch((err: unknown) => logger.error({ err: (err as Error).message }, 'telemetry writer pump failed'))
  }

  /** Events and acks first: they are rare and small, and must not queue behind a reading backlog. */
  function takeBatch(): PendingBatch {
    let left = batchSize
    const ne = Math.min(events.length, left)
    left -= ne
    const na = Math.min(acks.length, left)
    left -= na
    const nr = Math.min(readings.length, left)
    return {
      readings: nr,
      events: ne,
      acks: na,
      sql: telemetryInsertSql(nr > 0, ne > 0, na > 0),
      params: telemetryParams(readings.items, readings.head, nr, events.items, events.head, ne, acks.items, acks.head, na),
    }
  }

  async function writeUntilCommitted(batch: PendingBatch): Promise<TelemetryCounts> {
    const rows = batch.readings + batch.events + batch.acks
    for (let attempt = 0; ; attempt++) {
      const started = performance.now()
      try {
        const result = await db.query<TelemetryCounts>(batch.sql, batch.params)
        metrics.flushSeconds.observe((performance.now() - started) / 1000)
        return result[0] ?? { readings: 0, events: 0, acks: 0 }
      } catch (err) {
        // Kept in memory and retried: the rows were accepted (PUBACKed), so giving up loses data.
        metrics.writerRetries.inc()
        metrics.bufferDepth.set(depth())
        const e = err as Error & { code?: string }
        logger.warn({ err: e.message, code: e.code, attempt, rows, depth: depth() }, 'telemetry batch failed; retrying')
        await new Promise<void>((resolve) => setTimeout(resolve, retryDelayMs(attempt)))
      }
    }
  }

  function commit(batch: PendingBatch, counts: TelemetryCounts): void {
    readings.drop(batch.readings)
    events.drop(batch.events)
    acks.drop(batch.acks)
    committed.readings += batch.readings
    committed.events += batch.events
    committed.acks += batch.acks
    // Rows actually inserted: duplicates (QoS 1 resends, retried commits) are not counted.
    if (counts.readings > 0) persisted.readings.inc(counts.readings)
    if (counts.events > 0) persisted.events.inc(counts.events)
    if (counts.acks > 0) persisted.acks.inc(counts.acks)
    metrics.batchSize.observe(batch.readings + batch.events + batch.acks)
    metrics.bufferDepth.set(depth())
    for (let i = flushWaiters.length - 1; i >= 0; i--) {
      const w = flushWaiters[i]!
      if (committed.readings >= w.readings && committed.events >= w.events && committed.acks >= w.acks) {
        flushWaiters.splice(i, 1)
        w.resolve()
      }
    }
    if (room !== undefined && depth() < bufferCapacity) {
      const r = room
      room = undefined
      r.resolve()
    }
  }

  async function pump(): Promise<void> {
    pumping = true
    try {
      while (shouldWrite()) {
        const batch = takeBatch()
        commit(batch, await writeUntilCommitted(batch))
      }
    } finally {
      pumping = false
    }
    armTimer()
  }

  function push(batch: TelemetryBatch): void | Promise<void> {
    if (closed) throw new EgError('INTERNAL', 'telemetry writer is closed')
    const r = batch.readings
    const e = batch.events
    const a = batch.acks
    if (r !== undefined) for (let i = 0; i < r.length; i++) readings.items.push(r[i]!)
    if (e !== undefined) for (let i = 0; i < e.length; i++) events.items.push(e[i]!)
    if (a !== undefined) for (let i = 0; i < a.length; i++) acks.items.push(a[i]!)
    accepted.readings += r?.length ?? 0
    accepted.events += e?.length ?? 0
    accepted.acks += a?.length ?? 0
    const d = depth()
    if (d >= batchSize) kick()
    else if (timer === undefined) armTimer()
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
    if (committed.readings >= accepted.readings && committed.events >= accepted.events && committed.acks >= accepted.acks) {
      return Promise.resolve()
    }
    markDue()
    const done = new Promise<void>((resolve) => flushWaiters.push({ ...accepted, resolve }))
    kick()
    return done
  }

  async function close(): Promise<void> {
    closed = true
    await flush()
    if (timer !== undefined) clearTimeout(timer)
    timer = undefined
  }

  return { push, flush, close, depth }
}
