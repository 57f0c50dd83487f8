import type { Queryable } from '../storage/db'
import type { Alert } from './alert-model'
import type { Change, ChangeDraft } from '../stream/change-log-store'
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
 * Writes effect rows inside the alert's transaction; returns the change-log entries they make,
 * which the transaction appends last, all in one statement (alert-transaction.ts), and the live
 * stream pushes after commit.
 */
export type EffectPlanner = (tx: Queryable, event: AlertEvent) => Promise<ChangeDraft[] | void>

export interface AlertEffects {
  /** Called inside the transaction of every alert change: the entries to append for it. */
  plan(tx: Queryable, event: AlertEvent): Promise<ChangeDraft[]>
  /** Called once the transaction committed: wake the dispatchers and the live stream. */
  afterCommit(changes: readonly Change[]): void
}

export interface AlertEffectsParts {
  planners: EffectPlanner[]
  /** Woken after every commit that planned effects (voice dispatcher, notice deliverer, stream). */
  wake: Array<(changes: readonly Change[]) => void>
}

export function composeAlertEffects(parts: AlertEffectsParts): AlertEffects {
  return {
    async plan(tx, event) {
      const changes: ChangeDraft[] = []
      for (const planner of parts.planners) {
        const appended = await planner(tx, event)
        if (appended) changes.push(...appended)
      }
      return changes
    },
    afterCommit(changes) {
      for (const wake of parts.wake) wake(changes)
    },
  }
}

/** No effects (tests of the alert store alone, backtests). */
export const noAlertEffects: AlertEffects = { plan: async () => [], afterCommit: () => {} }

/** The alert itself on the live stream: every change of an alert is a change-log entry. */
export const alertChangeLogPlanner: EffectPlanner = async (_tx, event) => {
  return [{ tenantId: event.alert.tenantId, topic: 'alert', entityId: event.alert.id, payload: { change: event.change, actor: event.actor, previousLevel: event.previousLevel, alert: event.alert } }]
}
