import type { Db } from '../storage/db'
import type { Alert } from './alert-model'
import { inAlertTransaction } from './alert-transaction'
import type { AlertEffects } from './effects'
import { insertHistory } from './history-store'
import { escalateToRed, overdueOrangeAlerts } from './lifecycle-store'

/**
 * DESIGN §5: an orange alert must be acknowledged within 15 minutes or it escalates to red
 * (and red brings the police notice). Time is the rule clock the detection runtime ticks on —
 * the wall clock, or event time under EG_CLOCK=event, so a replayed week escalates as the real
 * one would have.
 */
export interface EscalationOptions {
  /** Rule-clock time of this tick (epoch ms). */
  now: number
  /** How long an orange alert may stay unacknowledged. Default 15 min. */
  orangeAckMs?: number
  /** Only this tenant's alerts (each tenant's rule clock may differ under EG_CLOCK=event). */
  tenantId?: string
}

export const DEFAULT_ORANGE_ACK_MS = 15 * 60_000
const ESCALATION_ACTOR = 'escalation'
/** Alerts escalated per query; the loop continues until none is overdue. */
const BATCH = 200

/**
 * Raises every overdue open orange alert to red, each in its own transaction; returns them.
 * One alert whose effects fail does not hold back the others: it stays orange (rolled back),
 * is tried again on the next tick, and the failures are thrown together at the end.
 */
export async function escalateOverdue(db: Db, effects: AlertEffects, opts: EscalationOptions): Promise<Alert[]> {
  const ackWindowMs = opts.orangeAckMs ?? DEFAULT_ORANGE_ACK_MS
  const reachedBefore = opts.now - ackWindowMs
  const escalated: Alert[] = []
  const failures: unknown[] = []
  for (;;) {
    const ids = await overdueOrangeAlerts(db, reachedBefore, opts.tenantId, BATCH)
    for (const id of ids) {
      try {
        const alert = await inAlertTransaction(db, effects, async (tx, record) => {
          // Re-checked in the UPDATE: an acknowledgement may have committed since the query.
          const raised = await escalateToRed(tx, id, reachedBefore, opts.now)
          if (!raised) return null
          await insertHistory(tx, {
            alertId: id,
            actor: ESCALATION_ACTOR,
            action: 'escalated',
            fromLevel: 'orange',
            toLevel: 'red',
            fromStatus: 'open',
            toStatus: 'open',
            detail: { reason: 'not acknowledged in time', ackWindowMs },
          })
          await record({ alert: raised, change: 'escalated', previousLevel: 'orange', actor: ESCALATION_ACTOR })
          return raised
        })
        if (alert) escalated.push(alert)
      } catch (err) {
        failures.push(err)
      }
    }
    // A full batch that escalated cleanly may have more behind it; failed ones would come back.
    if (ids.length < BATCH || failures.length > 0) break
  }
  if (failures.length > 0) throw new AggregateError(failures, `escalating ${failures.length} overdue orange alert(s) failed; they stay orange until the next tick`)
  return escalated
}

/**
 * The escalation job on the rule clock: the detection runtime calls it after each advance of a
 * tenant's engine (gateway.ts wires it), so escalation lives with the alerts and detection
 * never calls into them.
 */
export function createEscalationJob(db: Db, effects: AlertEffects, opts: { orangeAckMs?: number | undefined } = {}): (tenantId: string, at: number) => Promise<void> {
  return async (tenantId, at) => {
    await escalateOverdue(db, effects, { now: at, tenantId, ...(opts.orangeAckMs ? { orangeAckMs: opts.orangeAckMs } : {}) })
  }
}
