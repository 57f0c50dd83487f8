import type { Queryable } from '../storage/db'
import type { Alert } from './alert-model'
import { appendChanges, type Change, type ChangeDraft } from '../stream/change-log-store'
import type { DeferredWrite } from '../storage/deferred-write'
import type { RiskLevel } from '../../../contract/levels'

/**
 * What an alert change causes, DESIGN §5 "levels and actions": yellow → voice prompt to the
 * elder's devices; orange → also notices to family and grid worker (and escalation to red if
 * not acknowledged in time); red → also a police notice at once. Every effect is written as a
 * row in the SAME transaction as the alert change (transactional outbox): a crash after the
 * commit loses nothing, a crash before it loses the change and its effects together. After the
 * commit, the dispatchers are woken to deliver what was written.
 */
export type AlertChangeKind = 'opened' | 'repeated' | 'raised' | 'updated' | 'escalated' | 'acknowledged' | 'assigned' | 'resolved' | 'reopened'

export interface AlertEvent {
  alert: Alert
  change: AlertChangeKind
  /** Level before the change (null for a new alert). */
  previousLevel: RiskLevel | null
  /** Who did it: 'rule-engine', 'escalation', or an operator's username. */
  actor: string
}

/**
 * What a planner plans for one alert change: the change-log entries its rows make and the rows
 * themselves, as writes the transaction runs with those entries in its last statement
 * (alert-transaction.ts; storage/deferred-write.ts), after the live stream's push.
 */
export interface PlannedEffects {
  changes: ChangeDraft[]
  writes: DeferredWrite[]
}

/**
 * Plans effect rows inside the alert's transaction. It may read (and lock) what it needs there;
 * it writes by returning writes, which run at the end with everyone's change-log entries. A
 * planner that returns only entries may return them as an array.
 */
export type EffectPlanner = (tx: Queryable, event: AlertEvent) => Promise<PlannedEffects | ChangeDraft[] | void>

export interface AlertEffects {
  /** Called inside the transaction of every alert change: the entries and rows to write for it. */
  plan(tx: Queryable, event: AlertEvent): Promise<PlannedEffects>
  /** Called once the transaction committed: wake the dispatchers and the live stream. */
  afterCommit(changes: readonly Change[]): void
}

export interface AlertEffectsParts {
  planners: EffectPlanner[]
  /** Woken after every commit that planned effects (voice dispatcher, notice deliverer, stream). */
  wake: Array<(changes: readonly Change[]) => void>
}

/** A planner's result in one shape. */
export function plannedEffects(result: PlannedEffects | ChangeDraft[] | void): PlannedEffects {
  if (!result) return { changes: [], writes: [] }
  return Array.isArray(result) ? { changes: result, writes: [] } : result
}

/** Writes what was planned: the rows and the change-log entries, in one statement (appendChanges). */
export function writePlanned(tx: Queryable, planned: PlannedEffects): Promise<Change[]> {
  return planned.changes.length === 0 && planned.writes.length === 0 ? Promise.resolve([]) : appendChanges(tx, planned.changes, planned.writes)
}

export function composeAlertEffects(parts: AlertEffectsParts): AlertEffects {
  return {
    async plan(tx, event) {
      const planned: PlannedEffects = { changes: [], writes: [] }
      for (const planner of parts.planners) {
        const { changes, writes } = plannedEffects(await planner(tx, event))
        planned.changes.push(...changes)
        planned.writes.push(...writes)
      }
      return planned
    },
    afterCommit(changes) {
      for (const wake of parts.wake) wake(changes)
    },
  }
}

/** No effects (tests of the alert store alone, backtests). */
export const noAlertEffects: AlertEffects = { plan: async () => ({ changes: [], writes: [] }), afterCommit: () => {} }

/** The alert itself on the live stream: every change of an alert is a change-log entry. */
export const alertChangeLogPlanner: EffectPlanner = async (_tx, event) => {
  return [{ tenantId: event.alert.tenantId, topic: 'alert', entityId: event.alert.id, payload: { change: event.change, actor: event.actor, previousLevel: event.previousLevel, alert: event.alert } }]
}
