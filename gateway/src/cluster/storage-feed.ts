import type { Db } from '../storage/db'
import { feedKey, storedSince, visibilityHorizon, type FeedInput } from './feed-store'

/**
 * Feeds the rule engine from storage instead of from the network (external-broker mode): with
 * round-robin shared subscriptions one elder's watch and camera reach different workers, so the
 * worker that evaluates a tenant reads what *every* worker stored. Each poll
 *   1. takes the visibility horizon H (everything stored before H is committed and visible),
 *   2. reads every row stored after the cursor — also those above H, for latency —
 *   3. hands rows not handed over before to the engine, then moves the cursor to H.
 * Rows above H are read again by the next poll (a slower transaction could still commit rows
 * below them), so the keys handed over are remembered until a poll no longer returns them.
 * A row handed over twice anyway (e.g. around a lease take-over, next to the replay) is
 * harmless: the engine skips an input already in its window and applied_findings keeps each
 * finding once.
 */
export interface StorageFeedOptions {
  db: Db
  submit(inputs: readonly FeedInput[]): void
  /** See visibilityHorizon(). */
  slackMs?: number
  /** Largest stretch of received_at read in one query (bounds memory after a stall). */
  spanMs?: number
}

export interface StorageFeed {
  /** Reads and submits what the tenants' devices stored since the last poll; returns how many inputs were new. */
  poll(tenantIds: readonly string[]): Promise<number>
}

export async function createStorageFeed(opts: StorageFeedOptions): Promise<StorageFeed> {
  const slackMs = opts.slackMs ?? 1_000
  const spanUs = (opts.spanMs ?? 10_000) * 1000
  // Whatever was stored before the feed starts is the replay's business (the runtime replays
  // since the tenant's checkpoint when it loads an engine).
  let cursor = await visibilityHorizon(opts.db, slackMs)
  let handedOver = new Set<string>()
  let polling: Promise<number> | null = null

  async function pollOnce(tenantIds: readonly string[]): Promise<number> {
    const horizon = await visibilityHorizon(opts.db, slackMs)
    const seen = new Set<string>()
    let fresh = 0
    for (let from = cursor; ; from += spanUs) {
      // The last stretch is open-ended: it must include rows above the horizon.
      const until = from + spanUs >= horizon ? null : from + spanUs
      const rows = await storedSince(opts.db, tenantIds, from, until)
      const news: FeedInput[] = []
      for (const row of rows) {
        const key = feedKey(row)
        seen.add(key)
        if (!handedOver.has(key)) news.push(row)
      }
      if (news.length > 0) opts.submit(news)
      fresh += news.length
      if (until === null) break
    }
    if (horizon > cursor) cursor = horizon
    // A key this poll did not return is below the new cursor: no poll returns it again.
    handedOver = seen
    return fresh
  }

  return {
    // Polls never overlap: a timer tick during a slow poll waits for it and polls again.
    poll(tenantIds) {
      const run = (polling ?? Promise.resolve(0)).catch(() => 0).then(() => pollOnce(tenantIds))
      polling = run
      return run
    },
  }
}
