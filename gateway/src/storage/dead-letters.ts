import { EgError } from '../errors'
import type { Logger } from '../logger'
import { classifyDbError, describeDbError } from './db-errors'
import type { Db } from './db'
import { startFlushLoop } from './flush-loop'
import { pgText } from './telemetry-sql'
import type { RefusedRow } from './telemetry-rows'

/**
 * The bounded dead-letter store: rejected device payloads kept as evidence for operators
 * ("why is this watch's data missing?"). Rejections happen on the hot path, so record() only
 * appends to memory; a timer writes batches.
 *
 * Two kinds of letter (DESIGN §3, "Acceptance is durable"):
 * - durable (a rejected QoS 1 message, a row the database refused): the device gets its PUBACK
 *   only once the letter is committed, so record() returns a promise for that, the letter is
 *   written at once (not at the next tick) and is never dropped — a slow database slows that
 *   device instead. Their number is bounded by the devices' in-flight windows.
 * - best effort (QoS 0): not acknowledged to anyone, so when the database is slow the OLDEST
 *   buffered ones are dropped (counted, logged) rather than letting a flood of garbage grow
 *   memory — the newest say most about a broken device.
 */
export interface DeadLetterInput {
  tenantId?: string | undefined
  deviceId?: string | undefined
  /** Topic channel or transport the payload came in on, e.g. 'telemetry'. */
  channel: string
  /** Stable reason code (ingest RejectReason, 'acl', ...). */
  reason: string
  message: string
  payload: Buffer
}

export interface DeadLetter {
  id: number
  receivedAt: number
  tenantId?: string
  deviceId?: string
  channel: string
  reason: string
  message: string
  payload: string
}

export interface DeadLetterQuery {
  limit: number
  reason?: string | undefined
  deviceId?: string | undefined
  tenantId?: string | undefined
}

export interface DeadLetterStore {
  /** durable: resolves once the letter is committed (see above); otherwise best effort, returns undefined. */
  record(letter: DeadLetterInput, opts?: { durable?: boolean }): void | Promise<void>
  /** A telemetry row the database refused (telemetry-rows.ts), as a durable letter with reason `storage_refused`. */
  recordDurable(row: RefusedRow): Promise<void>
  /** Newest first. */
  list(query: DeadLetterQuery): Promise<DeadLetter[]>
  /** Writes what is buffered (and prunes). */
  flush(): Promise<void>
  close(): Promise<void>
  /** Dead letters dropped unwritten since start (buffer full or rejected by the database). */
  dropped(): number
}

export interface DeadLetterOptions {
  /** Rows the table keeps at most; newest win. */
  maxRows: number
  /** Stored payload prefix, in UTF-8 bytes (EG_DEADLETTER_PAYLOAD_BYTES). */
  payloadBytes: number
  logger: Logger
  /** Dead letters held in memory at most while the database is slow (plus one batch in flight). */
  maxBuffered?: number
  flushMs?: number
  /** Rows per INSERT. */
  batchSize?: number
}

/** A reason message is ours, but may quote device field names: bounded like a payload. */
const MESSAGE_BYTES = 1_000

/** Index of the first byte not kept when cutting `buf` to `limit` bytes without splitting a UTF-8 sequence. */
function utf8Cut(buf: Buffer, limit: number): number {
  if (buf.length <= limit) return buf.length
  let i = limit
  // buf[i] is the first byte left out; if it continues a sequence, that sequence is cut: drop it whole.
  while (i > 0 && limit - i < 3 && (buf[i]! & 0xc0) === 0x80) i--
  return i
}

/**
 * The payload as text of at most `limit` UTF-8 bytes, cut on a character boundary. Bytes that
 * are not UTF-8 become U+FFFD (3 bytes each), so the decoded text is cut once more, exactly,
 * when that made it longer; NUL becomes U+FFFD too (Postgres text cannot hold it).
 */
export function truncateUtf8(payload: Buffer, limit: number): string {
  let text = pgText(payload.toString('utf8', 0, utf8Cut(payload, limit)))
  if (Buffer.byteLength(text) > limit) {
    const again = Buffer.from(text)
    text = again.toString('utf8', 0, utf8Cut(again, limit))
  }
  return text
}

interface Pending {
  receivedAt: number
  tenantId: string | null
  deviceId: string | null
  channel: string
  reason: string
  message: string
  payload: string
  /** Set for durable letters: called once the letter is committed. */
  done?: () => void
}

const INSERT_SQL =
  'INSERT INTO dead_letters (received_at, tenant_id, device_id, channel, reason, message, payload) ' +
  "SELECT timestamptz 'epoch' + u.t * interval '1 millisecond', u.tenant_id, u.device_id, u.channel, u.reason, u.message, u.payload " +
  'FROM unnest($1::float8[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[]) ' +
  'AS u(t, tenant_id, device_id, channel, reason, message, payload)'

// Ids are an identity sequence, so "newest maxRows" is an index range on the primary key; gaps
// from rolled-back inserts only make the table keep slightly fewer.
const PRUNE_SQL = 'DELETE FROM dead_letters WHERE id <= (SELECT max(id) FROM dead_letters) - $1::int8'

export function createDeadLetterStore(db: Db, opts: DeadLetterOptions): DeadLetterStore {
  const { maxRows, payloadBytes, logger } = opts
  const maxBuffered = opts.maxBuffered ?? 1_000
  const batchSize = opts.batchSize ?? 500
  const flushMs = opts.flushMs ?? 1_000
  let buffer: Pending[] = []
  let droppedCount = 0
  let closed = false

  function drop(n: number, why: string): void {
    // Logged at the first drop and then every 1,000: a flood must not flood the log too.
    if (droppedCount === 0 || Math.floor((droppedCount + n) / 1_000) > Math.floor(droppedCount / 1_000)) {
      logger.warn({ dropped: droppedCount + n, why }, 'dead letters dropped')
    }
    droppedCount += n
  }

  const insert = (batch: Pending[]) =>
    db.query(INSERT_SQL, [
      batch.map((p) => p.receivedAt),
      batch.map((p) => p.tenantId),
      batch.map((p) => p.deviceId),
      batch.map((p) => p.channel),
      batch.map((p) => p.reason),
      batch.map((p) => p.message),
      batch.map((p) => p.payload),
    ])

  /**
   * A batch the database refused for a data reason: best-effort letters are dropped (they would
   * fail the same way every time); durable ones are written one by one, and one that still fails
   * is written without its payload and message — ids, channel and reason are ours and always
   * fit — so its device's PUBACK is never held for ever.
   */
  async function writeRefusedBatch(batch: Pending[], err: unknown): Promise<void> {
    const durable = batch.filter((p) => p.done !== undefined)
    if (durable.length < batch.length) drop(batch.length - durable.length, `rejected by the database: ${describeDbError(err)}`)
    for (const letter of durable) {
      try {
        await insert([letter])
      } catch (again) {
        if (classifyDbError(again) !== 'data') throw again
        await insert([{ ...letter, message: `not storable: ${describeDbError(again, 100)}`, payload: '' }])
      }
    }
  }

  /** Drops the oldest best-effort letters beyond the memory bound; durable ones always stay. */
  function trim(why: string): void {
    let excess = buffer.length - maxBuffered
    if (excess <= 0) return
    // The common case (a garbage flood, no durable letter waiting): drop from the front.
    if (durableWaiting === 0) return drop(buffer.splice(0, excess).length, why)
    const kept: Pending[] = []
    for (const p of buffer) {
      if (excess > 0 && p.done === undefined) excess--
      else kept.push(p)
    }
    drop(buffer.length - kept.length, why)
    buffer = kept
  }

  async function writeOnce(): Promise<void> {
    let wrote = false
    while (buffer.length > 0) {
      // Out of the buffer while in flight, so record() drops only letters not being written.
      const batch = buffer.splice(0, batchSize)
      try {
        try {
          await insert(batch)
        } catch (err) {
          if (classifyDbError(err) !== 'data') throw err
          await writeRefusedBatch(batch, err)
        }
      } catch (err) {
        // Connection lost, server restarting: retried at the next tick (or the next durable
        // letter); the batch goes back in front, the memory bound holds for best-effort ones.
        buffer = batch.concat(buffer)
        trim('buffer full (database down)')
        logger.warn({ err: describeDbError(err), buffered: buffer.length }, 'dead letters not written; will retry')
        return
      }
      for (const p of batch) p.done?.()
      wrote = true
    }
    if (!wrote) return
    try {
      await db.query(PRUNE_SQL, [maxRows])
    } catch (err) {
      logger.warn({ err: (err as Error).message }, 'dead letters not pruned; will retry')
    }
  }

  // Dead letters are evidence, not data: the loop's timer never keeps the process alive.
  const loop = startFlushLoop({ write: writeOnce, hasWork: () => buffer.length > 0, flushMs, logger, what: 'dead-letter' })

  let flushSoon = false
  /** Durable letters recorded and not yet committed (in the buffer or in flight). */
  let durableWaiting = 0
  /** Durable letters hold a PUBACK: written on the next turn, not at the next tick. */
  function scheduleFlush(): void {
    if (flushSoon) return
    flushSoon = true
    setImmediate(() => {
      flushSoon = false
      loop.flush().catch((err: unknown) => logger.warn({ err: (err as Error).message }, 'dead-letter flush failed'))
    })
  }

  function record(letter: DeadLetterInput, recordOpts?: { durable?: boolean }): void | Promise<void> {
    const pending: Pending = {
      receivedAt: Date.now(),
      tenantId: letter.tenantId === undefined ? null : pgText(letter.tenantId),
      deviceId: letter.deviceId === undefined ? null : pgText(letter.deviceId),
      channel: pgText(letter.channel),
      reason: pgText(letter.reason),
      message: truncateUtf8(Buffer.from(letter.message), MESSAGE_BYTES),
      payload: truncateUtf8(letter.payload, payloadBytes),
    }
    if (recordOpts?.durable === true) {
      if (closed) return Promise.reject(new EgError('INTERNAL', 'dead-letter store is closed'))
      durableWaiting++
      const written = new Promise<void>((resolve) => {
        pending.done = () => {
          durableWaiting--
          resolve()
        }
      })
      buffer.push(pending)
      scheduleFlush()
      return written
    }
    // After close nothing writes them any more: counted, like any other letter not kept.
    if (closed) return drop(1, 'store closed')
    buffer.push(pending)
    trim('buffer full (database slow)')
    return undefined
  }

  return {
    record,
    recordDurable(row) {
      const letter = { tenantId: row.tenantId, deviceId: row.deviceId, channel: row.channel, reason: 'storage_refused', message: row.error, payload: Buffer.from(row.record) }
      return record(letter, { durable: true }) as Promise<void>
    },
    async list(query) {
      const rows = await db.query<{
        id: number
        received_at: Date
        tenant_id: string | null
        device_id: string | null
        channel: string
        reason: string
        message: string
        payload: string
      }>(
        'SELECT id, received_at, tenant_id, device_id, channel, reason, message, payload FROM dead_letters ' +
          'WHERE ($2::text IS NULL OR reason = $2) AND ($3::text IS NULL OR device_id = $3) AND ($4::text IS NULL OR tenant_id = $4) ' +
          'ORDER BY id DESC LIMIT $1',
        [query.limit, query.reason ?? null, query.deviceId ?? null, query.tenantId ?? null],
      )
      return rows.map((r) => {
        const letter: DeadLetter = {
          id: r.id,
          receivedAt: r.received_at.getTime(),
          channel: r.channel,
          reason: r.reason,
          message: r.message,
          payload: r.payload,
        }
        if (r.tenant_id !== null) letter.tenantId = r.tenant_id
        if (r.device_id !== null) letter.deviceId = r.device_id
        return letter
      })
    },
    flush: loop.flush,
    async close() {
      closed = true
      loop.stop()
      await loop.flush()
    },
    dropped: () => droppedCount,
  }
}
