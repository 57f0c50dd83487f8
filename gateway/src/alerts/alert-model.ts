import type { Finding } from '../../../rules/src/index'
import type { RiskLevel } from '../../../contract/levels'
import type { AlertStatus, Disposition } from '../../../contract/alert-lifecycle'

/**
 * What an alert is (no SQL here): the row as the API shows it, and the words of its
 * lifecycle. DESIGN §5: one open alert per (elder, rule); open → acknowledged → resolved, and
 * back to open by a reopen.
 */
export { alertStatuses, dispositions, type AlertStatus, type Disposition } from '../../../contract/alert-lifecycle'

export interface Alert {
  id: string
  tenantId: string
  elderId: string
  rule: string
  level: RiskLevel
  status: AlertStatus
  count: number
  firstAt: string
  lastAt: string
  summary: string
  evidence: Record<string, unknown>
  /** Wall time the alert reached the board (the SLA clock starts here). */
  createdAt: string
  updatedAt: string
  /** Rule-clock time at which the alert reached its current level (escalation counts from it). */
  levelSince: string | null
  /** Rule-clock time of the escalation to red, when it was one. */
  escalatedAt: string | null
  assignee: string | null
  /** The first acknowledgement: when the alarm was answered (a re-acknowledgement keeps it). */
  acknowledgedAt: string | null
  acknowledgedBy: string | null
  resolvedAt: string | null
  resolvedBy: string | null
  disposition: Disposition | null
  resolutionNote: string | null
  /** Findings swallowed by the cool-down after this alert was resolved. */
  suppressedCount: number
}

export interface AlertChange {
  alert: Alert
  /**
   * opened: a new alert; repeated: count +1 at the same level; raised: count +1 and a higher
   * level; updated: the evidence of the finding it shows, as it stands now (no count, no effects).
   */
  change: 'opened' | 'repeated' | 'raised' | 'updated'
  finding: Finding
}

export interface AlertRow {
  id: string
  tenant_id: string
  elder_id: string
  rule: string
  level: RiskLevel
  status: AlertStatus
  count: number
  first_at: Date
  last_at: Date
  summary: string
  evidence: Record<string, unknown>
  created_at: Date
  updated_at: Date
  level_since: Date | null
  escalated_at: Date | null
  assignee: string | null
  acknowledged_at: Date | null
  acknowledged_by: string | null
  resolved_at: Date | null
  resolved_by: string | null
  resolved_rule_at: Date | null
  disposition: Disposition | null
  resolution_note: string | null
  suppressed_count: number
}

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null)

export function toAlert(r: AlertRow): Alert {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    elderId: r.elder_id,
    rule: r.rule,
    level: r.level,
    status: r.status,
    count: r.count,
    firstAt: r.first_at.toISOString(),
    lastAt: r.last_at.toISOString(),
    summary: r.summary,
    evidence: r.evidence,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
    levelSince: iso(r.level_since),
    escalatedAt: iso(r.escalated_at),
    assignee: r.assignee,
    acknowledgedAt: iso(r.acknowledged_at),
    acknowledgedBy: r.acknowledged_by,
    resolvedAt: iso(r.resolved_at),
    resolvedBy: r.resolved_by,
    disposition: r.disposition,
    resolutionNote: r.resolution_note,
    suppressedCount: r.suppressed_count,
  }
}
