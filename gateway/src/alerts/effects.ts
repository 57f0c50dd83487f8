import type { Queryable } from '../storage/db'
import type { Alert } from './alert-store'
import type { Change } from './change-log-store'
import type { RiskLevel } from './levels'

/**
 * What an alert change causes, DESIGN §5 "levels and actions": yellow → voice prompt to the
 * elder's devices; orange → also notices to family and grid worker (and escalation to red if
 * not acknowledged in time); red → also a police notice at once. Every effect is written as a
 * row in the SAME transaction as the alert change (transactional outbox): a crash after the
 * commit loses nothing, a crash before it loses the change and its effects together. After the
 * commit, the dispatchers are woken to deliver what was written.
 */
export type AlertChangeKind = 'opened' | 'repeated' | 'raised' | 'escalated' | 'acknowledged' | 'assigned' | 'resolved' | 'reopened'

export interface AlertEvent {
  alert: Alert
  change: AlertChangeKind
  /** Level before the change (null for a new alert). */
  previousLevel: RiskLevel | null
  /** Who did it: 'rule-engine', 'escalation', or an operator's username. */
  actor: string
}

/** Writes effect rows inside the alert's transaction. */
export type EffectPlanner = (tx: Queryable, event: AlertEvent) => Promise<void>

export interface AlertEffects {
  /** Called inside the transaction of every alert change. */
  plan(tx: Queryable, event: AlertEvent): Promise<void>
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
      for (const planner of parts.planners) await planner(tx, event)
    },
    afterCommit(changes) {
      for (const wake of parts.wake) wake(changes)
    },
  }
}

/** No effects (tests of the alert store alone, backtests). */
export const noAlertEffects: AlertEffects = { plan: async () => {}, afterCommit: () => {} }
