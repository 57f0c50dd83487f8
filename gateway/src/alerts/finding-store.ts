import { randomUUID } from 'node:crypto'
import type { Finding } from '../../../rules/src/index'
import type { Db, Queryable } from '../storage/db'
import { toAlert, type Alert, type AlertChange, type AlertRow } from './alert-model'
import { inAlertTransaction, type RecordAlertEvent } from './alert-transaction'
import type { AlertEffects } from './effects'
import { alertElderJsonSql, primeAlertElder } from './alert-elder-store'
import { HISTORY_COLUMNS, historyParams, historyValuesSql, insertHistory } from './history-store'
import { levelRank } from '../../../contract/levels'
import { upsertCandidate } from '../candidates/candidate-store'

/**
 * Alerts from findings (storage layer). DESIGN §5: one open alert per (elder, rule); a repeat
 * raises its count and may raise its level, never lowers it; every transition lands in
 * alert_history. `applied_findings` makes applying a finding idempotent, so an engine that
 * replays inputs after a restart cannot count a finding twice.
 */
export interface ApplyFindingsOptions {
  /**
   * After an alert is resolved, findings of its (elder, rule) at the same or a lower level
   * within this much event time reopen nothing: the operator has just dealt with it, and a
   * rule that keeps firing on the same situation must not flood the board. Default 6 h.
   */
  cooldownMs?: number
}

export const DEFAULT_COOLDOWN_MS = 6 * 3_600_000
const ENGINE_ACTOR = 'rule-engine'

/** `linked`: the finding's applied_findings row already names its alert (an opened alert does it in its own statement). */
type Outcome =
  | { kind: 'changed'; change: AlertChange; previousLevel: Alert['level'] | null; linked?: true }
  | { kind: 'suppressed'; alertId: string }

/** Applies findings in one transaction; returns what changed (nothing for already-applied or suppressed ones). */
export async function applyFindings(
  db: Db,
  findings: readonly Finding[],
  effects: AlertEffects,
  opts: ApplyFindingsOptions = {},
): Promise<AlertChange[]> {
  if (findings.length === 0) return []
  const cooldownMs = opts.cooldownMs ?? DEFAULT_COOLDOWN_MS
  return inAlertTransaction(db, effects, async (tx, record) => {
    const changes: AlertChange[] = []
    for (const finding of findings) {
      if (finding.refresh === true) {
        const refreshed = await refreshEvidence(tx, finding)
        if (refreshed === null) continue
        await recordChange(record, refreshed, refreshed.alert.level)
        changes.push(refreshed)
        continue
      }
      if (finding.elderId === null) {
        const fresh = await tx.query(
          'INSERT INTO applied_findings (tenant_id, dedup_key) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING dedup_key',
          [finding.tenantId, finding.dedupKey],
        )
        if (fresh.length > 0) await upsertCandidate(tx, finding)
        continue
      }
      const rows = await claimFinding(tx, finding, finding.elderId)
      if (rows === null) continue
      const outcome = await applyToAlert(tx, finding, finding.elderId, cooldownMs, rows)
      const alertId = outcome.kind === 'changed' ? outcome.change.alert.id : outcome.alertId
      if (outcome.kind === 'suppressed' || outcome.linked !== true) await linkFinding(tx, finding, alertId)
      if (outcome.kind === 'suppressed') continue
      await recordChange(record, outcome.change, outcome.previousLevel)
      changes.push(outcome.change)
    }
    return changes
  })
}

function recordChange(record: RecordAlertEvent, change: AlertChange, previousLevel: Alert['level'] | null): Promise<void> {
  return record({ alert: change.alert, change: change.change, previousLevel, actor: ENGINE_ACTOR })
}

const linkFinding = (tx: Queryable, finding: Finding, alertId: string) =>
  tx.query('UPDATE applied_findings SET alert_id = $3 WHERE tenant_id = $1 AND dedup_key = $2', [finding.tenantId, finding.dedupKey, alertId])

/**
 * Every statement here is a round trip between an SOS and its voice prompt (bench:latency), so
 * one statement records the finding as applied and reads (and locks) the elder's open alert of
 * the rule and the last resolved one; a new alert is written with its history row and its
 * applied_findings link in one statement.
 *
 * claimFinding: null when the finding was applied before (a replay), else the locked alerts
 * (none, the open one, the last resolved one). The alerts are locked in a CTE and returned from
 * it, so after waiting on a lock they are the rows as the other transaction left them. A finding
 * that may prompt the elder or notify (yellow and up) also brings the elder as the effects'
 * planners read it (alert-elder-store.ts): one round trip instead of two. Locks are taken in
 * the order every alert transaction takes them, alerts before the elder (the CASE asks for the
 * elder only once `locked` has run), so two transactions cannot deadlock on the pair.
 */
async function claimFinding(tx: Queryable, finding: Finding, elderId: string): Promise<AlertRow[] | null> {
  const withElder = levelRank(finding.level) >= levelRank('yellow')
  const rows = await tx.query<Partial<AlertRow> & { fresh: number; alert_elder?: unknown }>(
    `WITH fresh AS (
       INSERT INTO applied_findings (tenant_id, dedup_key) VALUES ($1, $4) ON CONFLICT DO NOTHING RETURNING dedup_key),
     locked AS (
       SELECT * FROM alerts WHERE tenant_id = $1 AND elder_id = $2 AND rule = $3
         AND (status <> 'resolved' OR id = (
           SELECT id FROM alerts WHERE tenant_id = $1 AND elder_id = $2 AND rule = $3 AND status = 'resolved'
           ORDER BY resolved_at DESC LIMIT 1))
       FOR UPDATE)
     SELECT l.*, f.fresh${withElder ? `, CASE WHEN (SELECT count(*) FROM locked) >= 0 THEN ${alertElderJsonSql('$1', '$2')} END AS alert_elder` : ''}
     FROM (SELECT count(*)::int AS fresh FROM fresh) f LEFT JOIN locked l ON true`,
    [finding.tenantId, elderId, finding.rule, finding.dedupKey],
  )
  const first = rows[0]
  if (first === undefined || first.fresh === 0) return null
  if (withElder) primeAlertElder(tx, finding.tenantId, elderId, first.alert_elder)
  return rows.flatMap(({ fresh: _fresh, alert_elder: _elder, ...row }) => (row.id == null ? [] : [row as AlertRow]))
}

async function applyToAlert(tx: Queryable, finding: Finding, elderId: string, cooldownMs: number, rows: readonly AlertRow[]): Promise<Outcome> {
  const at = new Date(finding.ts)
  const current = rows.find((r) => r.status !== 'resolved')
  if (current) return repeat(tx, current, finding, at)
  const last = rows.find((r) => r.status === 'resolved')
  if (last && inCooldown(last, finding, cooldownMs)) return suppress(tx, last, finding)
  const id = randomUUID()
  const history = historyParams({
    alertId: id,
    actor: ENGINE_ACTOR,
    action: 'opened',
    fromLevel: null,
    toLevel: finding.level,
    fromStatus: null,
    toStatus: 'open',
    detail: { dedupKey: finding.dedupKey, ...(last ? { after: last.id } : {}) },
  })
  // The history row references the alert: foreign keys are checked at the end of the statement.
  const opened = await tx.query<AlertRow>(
    `WITH opened AS (
       INSERT INTO alerts (id, tenant_id, elder_id, rule, level, count, first_at, last_at, summary, evidence, level_since, evidence_key)
       VALUES ($1, $2, $3, $4, $5, 1, $6, $6, $7, $8::jsonb, $6, $9) RETURNING *),
     history AS (INSERT INTO alert_history (${HISTORY_COLUMNS}) VALUES (${historyValuesSql(10)})),
     link AS (UPDATE applied_findings SET alert_id = $1 WHERE tenant_id = $2 AND dedup_key = $9)
     SELECT * FROM opened`,
    [id, finding.tenantId, elderId, finding.rule, finding.level, at, finding.summary, JSON.stringify(finding.evidence), finding.dedupKey, ...history],
  )
  const alert = toAlert(opened[0] as AlertRow)
  return { kind: 'changed', change: { alert, change: 'opened', finding }, previousLevel: null, linked: true }
}

/**
 * A repeat never lowers the level. A raise sets level_since to the finding's event time (the
 * escalation clock restarts at the new level) and hands an acknowledged alert back to the
 * board as open: the operator answered the lower level, the higher one needs its own answer
 * (an orange raise must be acknowledged within the escalation window).
 */
async function repeat(tx: Queryable, current: AlertRow, finding: Finding, at: Date): Promise<Outcome> {
  const raised = levelRank(finding.level) > levelRank(current.level)
  const rows = await tx.query<AlertRow>(
    `UPDATE alerts SET count = count + 1, level = $2, last_at = GREATEST(last_at, $3), summary = $4, evidence = $5::jsonb,
       level_since = CASE WHEN $6::boolean THEN $3 ELSE level_since END,
       status = CASE WHEN $6::boolean THEN 'open' ELSE status END,
       evidence_key = $7, updated_at = now()
     WHERE id = $1 RETURNING *`,
    [current.id, raised ? finding.level : current.level, at, finding.summary, JSON.stringify(finding.evidence), raised, finding.dedupKey],
  )
  const alert = toAlert(rows[0] as AlertRow)
  await insertHistory(tx, {
    alertId: alert.id,
    actor: ENGINE_ACTOR,
    action: raised ? 'raised' : 'repeated',
    fromLevel: current.level,
    toLevel: alert.level,
    fromStatus: current.status,
    toStatus: alert.status,
    detail: { dedupKey: finding.dedupKey, count: alert.count, ...(raised ? {} : { findingLevel: finding.level }) },
  })
  return { kind: 'changed', change: { alert, change: raised ? 'raised' : 'repeated', finding }, previousLevel: current.level }
}

/**
 * A refresh (rules: Finding.refresh) brings the evidence of the alert its finding made up to
 * date — only while the alert is unresolved and still shows that finding's evidence, and only
 * when it changed. Not a transition: no count, no history row, no prompt or notice; the board
 * sees the alert change on the stream.
 */
async function refreshEvidence(tx: Queryable, finding: Finding): Promise<AlertChange | null> {
  const evidence = JSON.stringify(finding.evidence)
  const rows = await tx.query<AlertRow>(
    `UPDATE alerts a SET evidence = $3::jsonb, summary = $4, updated_at = now()
     FROM applied_findings f
     WHERE f.tenant_id = $1 AND f.dedup_key = $2 AND a.id = f.alert_id AND a.tenant_id = $1
       AND a.status <> 'resolved' AND a.evidence_key = $2 AND a.evidence IS DISTINCT FROM $3::jsonb
     RETURNING a.*`,
    [finding.tenantId, finding.dedupKey, evidence, finding.summary],
  )
  const row = rows[0]
  return row === undefined ? null : { alert: toAlert(row), change: 'updated', finding }
}

/** Within the cool-down at the same or a lower level; a finding before the resolution counts as within. */
function inCooldown(last: AlertRow, finding: Finding, cooldownMs: number): boolean {
  const resolvedAt = (last.resolved_rule_at ?? last.resolved_at)?.getTime()
  if (resolvedAt === undefined) return false
  return levelRank(finding.level) <= levelRank(last.level) && finding.ts < resolvedAt + cooldownMs
}

async function suppress(tx: Queryable, last: AlertRow, finding: Finding): Promise<Outcome> {
  await tx.query('UPDATE alerts SET suppressed_count = suppressed_count + 1 WHERE id = $1', [last.id])
  await insertHistory(tx, {
    alertId: last.id,
    actor: ENGINE_ACTOR,
    action: 'suppressed',
    fromLevel: last.level,
    toLevel: last.level,
    fromStatus: 'resolved',
    toStatus: 'resolved',
    detail: { dedupKey: finding.dedupKey, findingLevel: finding.level, findingAt: new Date(finding.ts).toISOString(), reason: 'cooldown' },
  })
  return { kind: 'suppressed', alertId: last.id }
}
