import type { Finding } from '../../../rules/src/index'
import { EgError } from '../errors'
import { recordAudit, type AuditEntry } from '../registry/audit-store'
import type { Db, Queryable } from '../storage/db'
import { classifyFindingFailure, failureCode, failureMessage, restoreFinding } from './finding-failure'
import { appliedAlertId, decideParked, getParked, recordParkedFailure, type ParkedFinding } from './parked-findings-store'

/**
 * What an admin does with a parked finding (parked-routes.ts): retry it — apply it to alerts
 * now, exactly as the rule engine would have — or dismiss it. Both are audited in the
 * transaction that records the decision.
 *
 * A retry applies the finding in its own transaction (applyFindings owns it) and records the
 * decision in a second one. A crash between the two leaves the row open with the alert stored;
 * retrying again is harmless: applied_findings makes the second apply a no-op, and the answer
 * is the same alert.
 */
export interface ParkedActor {
  tenantId: string
  username: string
}

export interface ParkedFindingActions {
  /** 200: the alert it opened or updated (null when it reached none, e.g. a cool-down). 409 FINDING_STILL_FAILING otherwise. */
  retry(actor: ParkedActor, id: string): Promise<{ alertId: string | null; parkedFinding: ParkedFinding }>
  dismiss(actor: ParkedActor, id: string): Promise<ParkedFinding>
}

export interface ParkedActionDeps {
  db: Db
  /** Applies findings to alerts in one transaction, with the rule engine's effects and options. */
  apply(findings: readonly Finding[]): Promise<unknown>
  /** The open parked count changed (health, metrics). */
  parkedChanged(by: number): void
}

const audit = (actor: ParkedActor, action: string, target: string, detail: Record<string, unknown>): AuditEntry => ({
  tenantId: actor.tenantId,
  actor: actor.username,
  action,
  target,
  detail,
})

async function openParked(q: Queryable, tenantId: string, id: string): Promise<ParkedFinding> {
  const parked = await getParked(q, tenantId, id)
  if (parked === null) throw new EgError('NOT_FOUND', 'parked finding not found')
  if (parked.status !== 'open') throw new EgError('PARKED_FINDING_NOT_OPEN', `parked finding already ${parked.status}`)
  return parked
}

export function createParkedFindingActions(deps: ParkedActionDeps): ParkedFindingActions {
  const { db } = deps

  async function refuse(actor: ParkedActor, parked: ParkedFinding, error: { code: string; message: string }): Promise<never> {
    await db.transaction(async (tx) => {
      await recordParkedFailure(tx, actor.tenantId, parked.id, error)
      await recordAudit(tx, audit(actor, 'parked_finding.retry', parked.id, { outcome: 'failed', code: error.code }))
    })
    throw new EgError('FINDING_STILL_FAILING', `${error.code}: ${error.message}`)
  }

  return {
    async retry(actor, id) {
      const parked = await openParked(db, actor.tenantId, id)
      const finding = restoreFinding(parked.finding)
      if (finding === null || finding.tenantId !== actor.tenantId) {
        return refuse(actor, parked, {
          code: 'UNRESTORABLE',
          message: 'only a description of this finding could be stored (it was not serialisable); it cannot be applied — dismiss it',
        })
      }
      try {
        await deps.apply([finding])
      } catch (err) {
        // The database, not the finding: nothing learnt about the finding, so nothing recorded.
        if (classifyFindingFailure(err) === 'transient') throw new EgError('STORAGE_UNAVAILABLE', failureMessage(err), { cause: err })
        return refuse(actor, parked, { code: failureCode(err), message: failureMessage(err) })
      }
      const decided = await db.transaction(async (tx) => {
        const alertId = await appliedAlertId(tx, actor.tenantId, finding.dedupKey)
        const row = await decideParked(tx, actor.tenantId, id, { status: 'retried', alertId, actor: actor.username })
        await recordAudit(tx, audit(actor, 'parked_finding.retry', id, { outcome: 'applied', alertId, dedupKey: finding.dedupKey }))
        return { alertId, row }
      })
      if (decided.row !== null) deps.parkedChanged(-1)
      // Decided meanwhile by another admin: the finding is applied all the same (once).
      const parkedFinding = decided.row ?? (await getParked(db, actor.tenantId, id)) ?? parked
      return { alertId: decided.alertId, parkedFinding }
    },

    async dismiss(actor, id) {
      const dismissed = await db.transaction(async (tx) => {
        const row = await decideParked(tx, actor.tenantId, id, { status: 'dismissed', actor: actor.username })
        if (row === null) {
          // Not open: say whether it is missing or already decided.
          await openParked(tx, actor.tenantId, id)
          throw new EgError('PARKED_FINDING_NOT_OPEN')
        }
        await recordAudit(tx, audit(actor, 'parked_finding.dismiss', id, { rule: row.rule, dedupKey: row.dedupKey }))
        return row
      })
      deps.parkedChanged(-1)
      return dismissed
    },
  }
}
