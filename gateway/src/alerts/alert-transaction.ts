import type { Db, Queryable } from '../storage/db'
import type { Change } from '../stream/change-log-store'
import { writePlanned, type AlertEffects, type AlertEvent, type PlannedEffects } from './effects'

/** Records one alert change: its effects are planned in the same transaction. */
export type RecordAlertEvent = (event: AlertEvent) => Promise<void>

/**
 * The transactional outbox around every alert change (effects.ts): `work` changes alerts in
 * one transaction and records each change; each record runs `effects.plan` inside that
 * transaction, so a planner that fails rolls the alert change back with it. The rows the
 * planners write and the change-log entries they return go in at the end, in one statement.
 * Only after the commit are the dispatchers and the live stream woken, with every change-log
 * entry planned — waking them earlier would let them look for rows that are not yet visible.
 */
export async function inAlertTransaction<T>(db: Db, effects: AlertEffects, work: (tx: Queryable, record: RecordAlertEvent) => Promise<T>): Promise<T> {
  let planned: Change[] = []
  let events = 0
  const result = await db.transaction(async (tx) => {
    const all: PlannedEffects = { changes: [], writes: [] }
    events = 0
    const done = await work(tx, async (event) => {
      events++
      const { changes, writes } = await effects.plan(tx, event)
      all.changes.push(...changes)
      all.writes.push(...writes)
    })
    // The effects' rows and the change-log entries of every change, last and in one statement.
    planned = await writePlanned(tx, all)
    return done
  })
  // Planners may write effect rows without change-log entries (a voice prompt to send), so
  // any recorded change wakes the dispatchers, even with nothing for the live stream.
  if (events > 0) effects.afterCommit(planned)
  return result
}
