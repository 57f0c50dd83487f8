import { EgError } from '../errors'
import { isUniqueViolation } from '../registry/pg-errors'
import { getUser } from '../registry/user-store'
import type { Role } from '../registry/types'
import type { Db, Queryable } from '../storage/db'
import type { Alert, AlertStatus, Disposition } from './alert-model'
import { inAlertTransaction } from './alert-transaction'
import type { AlertChangeKind, AlertEffects } from './effects'
import { insertHistory } from './history-store'
import { findActiveSibling, lockAlert, markAcknowledged, markReopened, markResolved, setAssignee } from './lifecycle-store'

/**
 * What people do with an alert (DESIGN §5): acknowledge (open → acknowledged), assign (to a
 * staff user of the tenant, while not resolved), resolve with a disposition (from open or
 * acknowledged), reopen (resolved → open, admins only). An illegal transition is a 409
 * CONFLICT saying why. Every transition writes a history row and runs the alert effects in
 * its transaction (inAlertTransaction), then wakes the dispatchers after the commit.
 */
export interface AlertActor {
  tenantId: string
  username: string
  role: Role
}

export interface AlertLifecycleDeps {
  db: Db
  effects: AlertEffects
  /**
   * The rule clock of a tenant (wall clock by default). A resolution is stamped on it because
   * the cool-down counts in event time; a reopen restarts the level's escalation clock on it.
   */
  ruleClock?: (tenantId: string) => number
}

export interface AlertLifecycle {
  acknowledge(actor: AlertActor, alertId: string): Promise<Alert>
  assign(actor: AlertActor, alertId: string, userId: string): Promise<Alert>
  resolve(actor: AlertActor, alertId: string, resolution: { disposition: Disposition; note?: string | null | undefined }): Promise<Alert>
  reopen(actor: AlertActor, alertId: string): Promise<Alert>
}

type Step = (tx: Queryable, alert: Alert) => Promise<{ alert: Alert; detail?: Record<string, unknown> }>

export function createAlertLifecycle(deps: AlertLifecycleDeps): AlertLifecycle {
  const ruleClock = deps.ruleClock ?? (() => Date.now())

  /** Locks the alert, checks the transition is legal from its status, applies it, records it. */
  function transition(actor: AlertActor, alertId: string, change: AlertChangeKind, from: readonly AlertStatus[], step: Step): Promise<Alert> {
    return inAlertTransaction(deps.db, deps.effects, async (tx, record) => {
      const before = await lockAlert(tx, actor.tenantId, alertId)
      if (!before) throw new EgError('NOT_FOUND', 'alert not found')
      if (!from.includes(before.status)) throw new EgError('CONFLICT', illegal(change, before.status))
      const { alert, detail } = await step(tx, before)
      await insertHistory(tx, {
        alertId,
        actor: actor.username,
        action: change,
        fromLevel: before.level,
        toLevel: alert.level,
        fromStatus: before.status,
        toStatus: alert.status,
        detail: detail ?? {},
      })
      await record({ alert, change, previousLevel: before.level, actor: actor.username })
      return alert
    })
  }

  return {
    acknowledge(actor, alertId) {
      return transition(actor, alertId, 'acknowledged', ['open'], async (tx, alert) => ({
        alert: await markAcknowledged(tx, alert.id, actor.username),
      }))
    },

    assign(actor, alertId, userId) {
      return transition(actor, alertId, 'assigned', ['open', 'acknowledged'], async (tx, alert) => {
        const user = await getUser(tx, actor.tenantId, userId)
        const problem = !user ? 'no such user in this tenant' : user.disabled ? 'this user is disabled' : user.role === 'police' ? 'police users only read alerts; assign to an admin or operator' : null
        if (problem) throw new EgError('VALIDATION_FAILED', `cannot assign the alert: ${problem}`, { fields: [{ path: 'userId', message: problem }] })
        return { alert: await setAssignee(tx, alert.id, userId), detail: { from: alert.assignee, to: userId, username: user?.username } }
      })
    },

    resolve(actor, alertId, resolution) {
      return transition(actor, alertId, 'resolved', ['open', 'acknowledged'], async (tx, alert) => {
        const note = resolution.note?.trim() || null
        const resolved = await markResolved(tx, alert.id, { by: actor.username, disposition: resolution.disposition, note, ruleAt: ruleClock(actor.tenantId) })
        return { alert: resolved, detail: { disposition: resolution.disposition, note } }
      })
    },

    async reopen(actor, alertId) {
      if (actor.role !== 'admin') throw new EgError('FORBIDDEN', 'only admins reopen a resolved alert')
      return transition(actor, alertId, 'reopened', ['resolved'], async (tx, alert) => {
        // One open alert per (elder, rule): a newer alert already carries this situation.
        const sibling = await findActiveSibling(tx, alert)
        if (sibling) throw new EgError('CONFLICT', `cannot reopen: alert ${sibling} is already open for this elder and rule`)
        const reopened = await markReopened(tx, alert.id, ruleClock(actor.tenantId)).catch((err: unknown) => {
          // A finding opened a sibling between the check and the update.
          if (isUniqueViolation(err)) throw new EgError('CONFLICT', 'cannot reopen: another alert is already open for this elder and rule', { cause: err })
          throw err
        })
        return { alert: reopened, detail: { disposition: alert.disposition, resolvedBy: alert.resolvedBy } }
      })
    },
  }
}

function illegal(change: AlertChangeKind, status: AlertStatus): string {
  switch (change) {
    case 'acknowledged':
      return status === 'acknowledged' ? 'the alert is already acknowledged' : 'the alert is resolved; an admin must reopen it before it can be acknowledged'
    case 'assigned':
      return 'the alert is resolved; a resolved alert cannot be assigned'
    case 'resolved':
      return 'the alert is already resolved'
    case 'reopened':
      return `the alert is ${status}, not resolved; only a resolved alert can be reopened`
    default:
      return `the alert is ${status}; ${change} is not possible`
  }
}
