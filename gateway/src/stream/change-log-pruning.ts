import type { Logger } from '../logger'
import type { Queryable } from '../storage/db'
import { deleteChangesBefore } from './stream-store'

/**
 * The change log only has to cover a board's reconnect gap (a laptop lid closed over a
 * weekend), not history — alerts, notices and prompts keep their own records. An hourly job
 * deletes rows older than the retention (default 7 days); a board resuming from further back
 * is told to reload (the stream's `reset` event).
 */
export interface ChangeLogPruningOptions {
  retentionDays?: number
  intervalMs?: number
  logger: Logger
  /** Rows per DELETE statement. */
  batch?: number
  /** For tests: the clock the cutoff is computed from. */
  now?: () => number
}

export interface ChangeLogPruning {
  /** One pruning pass now; resolves with the rows deleted. */
  runOnce(): Promise<number>
  stop(): Promise<void>
}

export function startChangeLogPruning(db: Queryable, opts: ChangeLogPruningOptions): ChangeLogPruning {
  const retentionMs = (opts.retentionDays ?? 7) * 86_400_000
  const batch = opts.batch ?? 10_000
  const now = opts.now ?? Date.now
  let running: Promise<number> | undefined
  let stopped = false

  async function prune(): Promise<number> {
    const cutoff = new Date(now() - retentionMs)
    let total = 0
    for (;;) {
      const deleted = await deleteChangesBefore(db, cutoff, batch)
      total += deleted
      if (deleted < batch || stopped) return total
    }
  }

  function runOnce(): Promise<number> {
    if (running !== undefined) return running
    const run = prune().finally(() => {
      running = undefined
    })
    running = run
    return run
  }

  const timer = setInterval(() => {
    if (stopped || running !== undefined) return
    runOnce()
      .then((n) => {
        if (n > 0) opts.logger.info({ deleted: n, days: retentionMs / 86_400_000 }, 'change log pruned')
      })
      .catch((err: unknown) => opts.logger.warn({ err: (err as Error).message }, 'change log pruning failed; will retry at the next run'))
  }, opts.intervalMs ?? 3_600_000)
  // Housekeeping never keeps the process alive.
  timer.unref()

  return {
    runOnce,
    async stop() {
      stopped = true
      clearInterval(timer)
      await running?.catch(() => undefined)
    },
  }
}
