import { retryDelayMs, type BackoffPolicy } from '../retry/backoff'

/**
 * An in-memory queue of work that failed and is tried again later, each entry on its own
 * capped exponential backoff (retry/backoff.ts: the same spacing the notice deliverer uses).
 * One timer serves the whole queue; one pass at a time tries the entries that are due, in the
 * order they were added (an elder's findings stay in order among themselves).
 *
 * It exists so the rule engine can set aside what the database would not take and go on with
 * other inputs: the alternative — retrying inline — holds up every tenant behind one failure.
 */
export interface RetryQueue<T> {
  /** Adds an entry; its first retry comes after the backoff of `failures` failures. */
  add(item: T, failures: number): void
  size(): number
  /** When the longest-waiting entry was added (epoch ms); undefined when empty. */
  oldestAddedAt(): number | undefined
  /** Makes every entry due now (what they wait for is back) and runs a pass soon. */
  wake(): void
  /** One attempt for every entry now, whatever its backoff (shutdown). */
  flush(): Promise<void>
  /** Stops the timer; entries stay where they are. */
  stop(): void
}

/** What one attempt decided: the entry is finished (stored, parked, given up), or tried again later. */
export type RetryOutcome = 'done' | 'retry'

export interface RetryQueueOptions<T> {
  attempt(item: T): Promise<RetryOutcome>
  /** An entry left the queue (done), e.g. to keep per-tenant counts. */
  onDone?(item: T): void
  /** An attempt threw instead of answering: logged by the owner, the entry is kept. */
  onError(err: unknown, item: T): void
  policy: BackoffPolicy
  now?: () => number
  random?: () => number
}

interface Entry<T> {
  item: T
  failures: number
  addedAt: number
  dueAt: number
}

export function createRetryQueue<T>(opts: RetryQueueOptions<T>): RetryQueue<T> {
  const now = opts.now ?? (() => Date.now())
  const random = opts.random ?? Math.random
  let entries: Array<Entry<T>> = []
  let timer: NodeJS.Timeout | null = null
  let timerAt = Infinity
  let running: Promise<void> | null = null
  let stopped = false

  function schedule(): void {
    if (stopped || running !== null || entries.length === 0) return
    let next = Infinity
    for (const e of entries) if (e.dueAt < next) next = e.dueAt
    if (timer !== null && timerAt <= next) return
    if (timer !== null) clearTimeout(timer)
    timerAt = next
    timer = setTimeout(() => {
      timer = null
      timerAt = Infinity
      void pass(false)
    }, Math.max(0, next - now()))
    // Pending retries must not keep a stopping process alive; close() flushes them explicitly.
    timer.unref()
  }

  async function tryEntry(entry: Entry<T>): Promise<boolean> {
    let outcome: RetryOutcome = 'retry'
    try {
      outcome = await opts.attempt(entry.item)
    } catch (err) {
      opts.onError(err, entry.item)
    }
    if (outcome === 'done') return true
    entry.failures++
    entry.dueAt = now() + Math.max(1, retryDelayMs(entry.failures, opts.policy, random))
    return false
  }

  function pass(all: boolean): Promise<void> {
    if (running !== null) return running
    const run = async () => {
      // Entries added during the pass wait for the next one: they just failed.
      for (const entry of [...entries]) {
        if (!all && entry.dueAt > now()) continue
        if (await tryEntry(entry)) {
          entries = entries.filter((e) => e !== entry)
          opts.onDone?.(entry.item)
        }
      }
    }
    // finally() runs its callback asynchronously, so `running` is cleared after it was set even
    // when the pass finds nothing due (a timer may fire a millisecond early) and never awaits.
    running = run().finally(() => {
      running = null
      schedule()
    })
    return running
  }

  return {
    add(item, failures) {
      const at = now()
      entries.push({ item, failures, addedAt: at, dueAt: at + Math.max(1, retryDelayMs(Math.max(1, failures), opts.policy, random)) })
      schedule()
    },
    size: () => entries.length,
    oldestAddedAt() {
      let oldest: number | undefined
      for (const e of entries) if (oldest === undefined || e.addedAt < oldest) oldest = e.addedAt
      return oldest
    },
    wake() {
      if (entries.length === 0) return
      const at = now()
      for (const e of entries) e.dueAt = Math.min(e.dueAt, at)
      if (running === null) schedule()
    },
    async flush() {
      if (running !== null) await running
      await pass(true)
    },
    stop() {
      stopped = true
      if (timer !== null) clearTimeout(timer)
      timer = null
    },
  }
}
