import type { ServerResponse } from 'node:http'
import { readChanges, type Change } from './change-log-store'
import type { Logger } from '../logger'
import type { Queryable } from '../storage/db'
import type { ChangeFilter } from './visibility'

/**
 * One board's live stream over an open SSE response. Order of work, so that nothing is missed
 * or sent twice across the switch from replay to live:
 *   1. subscribe to the bus first and hold what arrives (the caller does, before step 2);
 *   2. replay from the change log everything after the client's position;
 *   3. send what the bus brought, skipping every seq already accounted for.
 * `position` is the highest seq accounted for (sent, or not visible to this user). A live change
 * further ahead than position + 1 means the missing ones exist but did not come over this
 * process's bus (another worker committed them, or their publish is still on its way): they are
 * read from the log, which holds every committed seq before any committed seq (commit order).
 *
 * Idle, the stream holds a socket, a subscription and a heartbeat timer — no database
 * connection, no pending work.
 */
export interface StreamLimits {
  /** Comment line every so often, so proxies and browsers keep the connection (default 15 s). */
  heartbeatMs: number
  /** A client that lets more than this pile up (socket buffer + held changes) is dropped; it resumes with Last-Event-ID. */
  maxBufferedBytes: number
  maxHeldChanges: number
  /** Rows per change-log read during replay. */
  replayPage: number
}

export const defaultStreamLimits: StreamLimits = { heartbeatMs: 15_000, maxBufferedBytes: 1 << 20, maxHeldChanges: 10_000, replayPage: 500 }

export interface StreamConnectionOptions {
  db: Queryable
  tenantId: string
  filter: ChangeFilter
  limits: StreamLimits
  logger: Logger
  /** Called once, when the stream ends for any reason. */
  onEnd(): void
}

export interface StreamConnection {
  /** The bus listener to subscribe before `start`. */
  readonly listener: (changes: readonly Change[]) => void
  /**
   * Starts sending after `position`: a resuming client first gets the log's changes up to
   * `replayUntil` (the head read after subscribing), then the held live changes; a fresh
   * client (replayUntil null) gets live changes only.
   */
  start(position: number, replayUntil: number | null): void
  /** False once the client went away or the stream was ended. */
  isOpen(): boolean
  /** Ends the response (server shutdown, session over). */
  end(reason: string): void
}

const STALLED_BEATS_LIMIT = 4

export function formatEvent(event: string, id: number | null, data: unknown): string {
  // JSON.stringify never emits a raw newline, so one data line carries the whole change.
  return `${id === null ? '' : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`
}

export function createStreamConnection(res: ServerResponse, opts: StreamConnectionOptions): StreamConnection {
  const { db, tenantId, filter, limits, logger } = opts
  const held: Change[] = []
  let position = 0
  let started = false
  let replayUntil: number | null = null
  let pumping = false
  let ended = false

  let unsorted = false
  // Heartbeats in a row that found the socket still waiting to drain: a client that stopped
  // reading is dropped after a few, even when nothing new piles up behind it.
  let stalledBeats = 0
  let heartbeat: NodeJS.Timeout | undefined

  res.on('close', () => finish())
  res.on('error', (err) => {
    logger.debug({ err: err.message }, 'stream socket error')
    finish()
  })

  function finish(): void {
    if (ended) return
    ended = true
    clearInterval(heartbeat)
    held.length = 0
    opts.onEnd()
  }

  function drop(reason: string): void {
    if (ended) return
    logger.info({ tenantId, reason, buffered: res.writableLength, held: held.length }, 'stream dropped; the client resumes with Last-Event-ID')
    res.destroy()
    finish()
  }

  function tooSlow(): boolean {
    return res.writableLength > limits.maxBufferedBytes || held.length > limits.maxHeldChanges
  }

  /** Waits while the socket is over its high-water mark, so a replay never floods memory. */
  function drained(): Promise<void> {
    if (!res.writableNeedDrain || ended) return Promise.resolve()
    return new Promise((resolve) => {
      const done = () => {
        res.off('drain', done)
        res.off('close', done)
        resolve()
      }
      res.on('drain', done)
      res.on('close', done)
    })
  }

  async function deliver(change: Change): Promise<void> {
    if (change.seq <= position) return
    if (await filter(change)) {
      res.write(formatEvent(change.topic, change.seq, change))
      await drained()
    }
    position = Math.max(position, change.seq)
  }

  /** Sends the log's changes after `position` up to `until` (inclusive). */
  async function catchUp(until: number): Promise<void> {
    while (!ended && position < until) {
      const want = Math.min(limits.replayPage, until - position)
      const page = await readChanges(db, tenantId, position, want)
      const first = page[0]
      if (first === undefined || first.seq > position + 1) {
        // Pruned history (change-log-pruning.ts): what the client missed cannot be replayed,
        // so it is told to reload its state; the stream goes on from what the log still has.
        const to = first === undefined ? until : first.seq - 1
        res.write(formatEvent('reset', null, { reason: 'history_pruned', from: position + 1, to }))
        position = to
      }
      for (const change of page) {
        if (ended) return
        await deliver(change)
      }
    }
  }

  async function pump(): Promise<void> {
    if (pumping || ended || !started) return
    pumping = true
    try {
      if (replayUntil !== null) {
        const until = replayUntil
        replayUntil = null
        await catchUp(until)
      }
      while (!ended && held.length > 0) {
        if (unsorted) {
          held.sort((a, b) => a.seq - b.seq)
          unsorted = false
        }
        const next = held[0]!
        if (next.seq <= position) {
          held.shift()
          continue
        }
        if (next.seq > position + 1) {
          await catchUp(next.seq - 1)
          continue
        }
        held.shift()
        await deliver(next)
      }
    } catch (err) {
      // A failed read or lookup ends this stream loudly; the client resumes where it was.
      logger.warn({ err: (err as Error).message, tenantId }, 'stream failed; closing it')
      res.destroy()
      finish()
    } finally {
      pumping = false
    }
    // Changes that arrived while the last delivery awaited.
    if (!ended && held.length > 0) void pump()
  }

  return {
    listener(changes) {
      if (ended) return
      for (const change of changes) {
        if (change.seq <= position) continue
        const last = held[held.length - 1]
        if (last !== undefined && last.seq > change.seq) unsorted = true
        held.push(change)
      }
      if (tooSlow()) return drop('slow client: too much held')
      void pump()
    },
    start(from, until) {
      if (ended) return
      heartbeat = setInterval(() => {
        stalledBeats = res.writableNeedDrain ? stalledBeats + 1 : 0
        if (tooSlow() || stalledBeats >= STALLED_BEATS_LIMIT) return drop('slow client: not reading')
        res.write(': heartbeat\n\n')
      }, limits.heartbeatMs)
      // A stream never keeps the process alive by itself.
      heartbeat.unref()
      position = from
      replayUntil = until
      started = true
      void pump()
    },
    isOpen: () => !ended,
    end(reason) {
      if (ended) return
      logger.debug({ tenantId, reason }, 'stream ended by the gateway')
      // The socket goes too once the last bytes are out: left as an idle keep-alive socket it
      // would hold up server.close() until the client's own idle timeout.
      res.end(() => res.socket?.destroy())
      finish()
    },
  }
}
