import { randomUUID } from 'node:crypto'
import type { Finding } from '../../../rules/src/index'
import type { Db, Queryable } from '../storage/db'
import { levelRank, type RiskLevel } from './levels'

/**
 * Alerts from findings (storage layer: the only SQL about alerts). DESIGN §5: one open alert
 * per (elder, rule); a repeat raises its count and may raise its level, never lowers it; every
 * transition lands in alert_history. `applied_findings` makes applying a finding idempotent,
 * so an engine that replays inputs after a restart cannot count a finding twice.
 */
export type AlertStatus = 'open' | 'acknowledged' | 'resolved'

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
  createdAt: string
  updatedAt: string
  resolvedAt: string | null
}

export interface AlertChange {
  alert: Alert
  /** opened: a new alert; repeated: count +1 at the same level; raised: count +1 and a higher level. */
  change: 'opened' | 'repeated' | 'raised'
  finding: Finding
}

export interface VenueCandidate {
  id: string
  tenantId: string
  lat: number
  lon: number
  radiusM: number
  days: unknown
  elderIds: unknown
  status: 'new' | 'promoted' | 'dismissed'
  venueId: string | null
  firstAt: string
  lastAt: string
  evidence: Record<string, unknown>
}

interface AlertRow {
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
  resolved_at: Date | null
}

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
    resolvedAt: r.resolved_at ? r.resolved_at.toISOString() : null,
  }
}

const ENGINE_ACTOR = 'rule-engine'

/** Applies findings in one transaction; returns what changed (nothing for already-applied ones). */
export async function applyFindings(db: Db, findings: readonly Finding[]): Promise<AlertChange[]> {
  if (findings.length === 0) return []
  return db.transaction(async (tx) => {
    const changes: AlertChange[] = []
    for (const finding of findings) {
      const fresh = await tx.query(
        'INSERT INTO applied_findings (tenant_id, dedup_key) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING dedup_key',
        [finding.tenantId, finding.dedupKey],
      )
      if (fresh.length === 0) continue
      if (finding.elderId === null) {
        await upsertCandidate(tx, finding)
        continue
      }
      const change = await applyToAlert(tx, finding, finding.elderId)
      await tx.query('UPDATE applied_findings SET alert_id = $3 WHERE tenant_id = $1 AND dedup_key = $2', [
        finding.tenantId,
        finding.dedupKey,
        change.alert.id,
      ])
      changes.push(change)
    }
    return changes
  })
}

async function applyToAlert(tx: Queryable, finding: Finding, elderId: string): Promise<AlertChange> {
  const at = new Date(finding.ts)
  const open = await tx.query<AlertRow>(
    "SELECT * FROM alerts WHERE tenant_id = $1 AND elder_id = $2 AND rule = $3 AND status <> 'resolved' FOR UPDATE",
    [finding.tenantId, elderId, finding.rule],
  )
  const current = open[0]
  if (!current) {
    const rows = await tx.query<AlertRow>(
      `INSERT INTO alerts (id, tenant_id, elder_id, rule, level, count, first_at, last_at, summary, evidence)
       VALUES ($1, $2, $3, $4, $5, 1, $6, $6, $7, $8::jsonb) RETURNING *`,
      [randomUUID(), finding.tenantId, elderId, finding.rule, finding.level, at, finding.summary, JSON.stringify(finding.evidence)],
    )
    const alert = toAlert(rows[0] as AlertRow)
    await history(tx, alert.id, 'opened', null, alert.level, null, 'open', { dedupKey: finding.dedupKey })
    return { alert, change: 'opened', finding }
  }
  const raised = levelRank(finding.level) > levelRank(current.level)
  const rows = await tx.query<AlertRow>(
    `UPDATE alerts SET count = count + 1, level = $2, last_at = GREATEST(last_at, $3), summary = $4,
       evidence = $5::jsonb, updated_at = now()
     WHERE id = $1 RETURNING *`,
    [current.id, raised ? finding.level : current.level, at, finding.summary, JSON.stringify(finding.evidence)],
  )
  const alert = toAlert(rows[0] as AlertRow)
  await history(tx, alert.id, raised ? 'raised' : 'repeated', current.level, alert.level, current.status, alert.status, {
    dedupKey: finding.dedupKey,
    count: alert.count,
  })
  return { alert, change: raised ? 'raised' : 'repeated', finding }
}

async function history(
  tx: Queryable,
  alertId: string,
  action: string,
  fromLevel: string | null,
  toLevel: string | null,
  fromStatus: string | null,
  toStatus: string | null,
  detail: Record<string, unknown>,
): Promise<void> {
  await tx.query(
    `INSERT INTO alert_history (alert_id, actor, action, from_level, to_level, from_status, to_status, detail)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb)`,
    [alertId, ENGINE_ACTOR, action, fromLevel, toLevel, fromStatus, toStatus, JSON.stringify(detail)],
  )
}

async function upsertCandidate(tx: Queryable, finding: Finding): Promise<void> {
  const e = finding.evidence as { centre?: { lat: number; lon: number }; radiusM?: number; days?: unknown; elderIds?: unknown }
  const at = new Date(finding.ts)
  await tx.query(
    `INSERT INTO venue_candidates (id, tenant_id, place_key, lat, lon, radius_m, days, elder_ids, evidence, first_at, last_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb, $9::jsonb, $10, $10)
     ON CONFLICT (tenant_id, place_key) DO UPDATE SET lat = EXCLUDED.lat, lon = EXCLUDED.lon, radius_m = EXCLUDED.radius_m,
       days = EXCLUDED.days, elder_ids = EXCLUDED.elder_ids, evidence = EXCLUDED.evidence,
       last_at = GREATEST(venue_candidates.last_at, EXCLUDED.last_at)`,
    [
      randomUUID(),
      finding.tenantId,
      placeKey(finding.dedupKey),
      e.centre?.lat ?? 0,
      e.centre?.lon ?? 0,
      e.radiusM ?? 150,
      JSON.stringify(e.days ?? []),
      JSON.stringify(e.elderIds ?? []),
      JSON.stringify(finding.evidence),
      at,
    ],
  )
}

/** A candidate's dedup key may carry a day-count suffix; the place is what identifies it. */
function placeKey(dedupKey: string): string {
  return dedupKey.replace(/[:#]n?\d+$/, '')
}

export interface AlertFilter {
  tenantId: string
  status?: AlertStatus | undefined
  level?: RiskLevel | undefined
  elderId?: string | undefined
  rule?: string | undefined
  /** Police users: only alerts of elders assigned to this station, at red. */
  policeStationId?: string | undefined
  limit: number
  offset: number
}

export async function listAlerts(db: Queryable, f: AlertFilter): Promise<{ items: Alert[]; total: number }> {
  const where = ['a.tenant_id = $1']
  const params: unknown[] = [f.tenantId]
  const add = (sql: string, value: unknown) => {
    params.push(value)
    where.push(sql.replace('?', `$${params.length}`))
  }
  if (f.status) add('a.status = ?', f.status)
  if (f.level) add('a.level = ?', f.level)
  if (f.elderId) add('a.elder_id = ?', f.elderId)
  if (f.rule) add('a.rule = ?', f.rule)
  if (f.policeStationId) {
    add('e.police_station_id = ?', f.policeStationId)
    where.push("a.level = 'red'")
  }
  const from = `FROM alerts a JOIN elders e ON e.id = a.elder_id WHERE ${where.join(' AND ')}`
  const total = await db.query<{ n: number }>(`SELECT count(*)::int AS n ${from}`, params)
  const rows = await db.query<AlertRow>(
    `SELECT a.* ${from} ORDER BY a.last_at DESC, a.id LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
    [...params, f.limit, f.offset],
  )
  return { items: rows.map(toAlert), total: total[0]?.n ?? 0 }
}

export async function getAlert(db: Queryable, tenantId: string, id: string): Promise<Alert | null> {
  const rows = await db.query<AlertRow>('SELECT * FROM alerts WHERE tenant_id = $1 AND id = $2', [tenantId, id])
  return rows[0] ? toAlert(rows[0]) : null
}

/** The elder's risk level: the highest open alert level, else green (DESIGN §5). */
export async function elderRiskLevels(db: Queryable, tenantId: string, elderIds: readonly string[]): Promise<Map<string, RiskLevel>> {
  const result = new Map<string, RiskLevel>()
  for (const id of elderIds) result.set(id, 'green')
  if (elderIds.length === 0) return result
  const rows = await db.query<{ elder_id: string; level: RiskLevel }>(
    `SELECT elder_id, (array_agg(level ORDER BY CASE level WHEN 'red' THEN 3 WHEN 'orange' THEN 2 WHEN 'yellow' THEN 1 ELSE 0 END DESC))[1] AS level
     FROM alerts WHERE tenant_id = $1 AND elder_id = ANY($2::text[]) AND status <> 'resolved' GROUP BY elder_id`,
    [tenantId, [...elderIds]],
  )
  for (const r of rows) result.set(r.elder_id, r.level)
  return result
}

export async function listCandidates(db: Queryable, tenantId: string): Promise<VenueCandidate[]> {
  const rows = await db.query<{
    id: string
    tenant_id: string
    lat: number
    lon: number
    radius_m: number
    days: unknown
    elder_ids: unknown
    status: VenueCandidate['status']
    venue_id: string | null
    first_at: Date
    last_at: Date
    evidence: Record<string, unknown>
  }>('SELECT * FROM venue_candidates WHERE tenant_id = $1 ORDER BY last_at DESC', [tenantId])
  return rows.map((r) => ({
    id: r.id,
    tenantId: r.tenant_id,
    lat: r.lat,
    lon: r.lon,
    radiusM: r.radius_m,
    days: r.days,
    elderIds: r.elder_ids,
    status: r.status,
    venueId: r.venue_id,
    firstAt: r.first_at.toISOString(),
    lastAt: r.last_at.toISOString(),
    evidence: r.evidence,
  }))
}
