import type { Db, Queryable } from '../storage/db'
import { appendChanges, type Change, type ChangeDraft } from '../stream/change-log-store'
import type { AlertEffects, AlertEvent } from './effects'

/** Records one alert change: its effects are planned in the same transaction. */
export type RecordAlertEvent = (event: AlertEvent) => Promise<void>

/**
 * The transactional outbox around every alert change (effects.ts): `work` changes alerts in
 * one transaction and records each change; each record runs `effects.plan` inside that
 * transaction, so a planner that fails rolls the alert change back with it. The change-log
 * entries the planners return are appended at the end, in their order. Only after the
 * commit are the dispatchers and the live stream woken, with every change-log entry planned —
 * waking them earlier would let them look for rows that are not yet visible.
 */
export async function inAlertTransaction<T>(db: Db, effects: AlertEffects, work: (tx: Queryable, record: RecordAlertEvent) => Promise<T>): Promise<T> {
  let planned: Change[] = []
  let events = 0
  const result = await db.transaction(async (tx) => {
    const drafts: ChangeDraft[] = []
    events = 0
    const done = await work(tx, async (event) => {
      events++
      drafts.push(...(await effects.plan(tx, event)))
    })
    // The change-log entries of every change, last and in one statement (change-log-store.ts).
    planned = drafts.length === 0 ? [] : await appendChanges(tx, drafts)
    return done
  })
  // Planners may write effect rows without change-log entries (a voice prompt to send), so
  // any recorded change wakes the dispatchers, even with nothing for the live stream.
  if (events > 0) effects.afterCommit(planned)
  return result
}
