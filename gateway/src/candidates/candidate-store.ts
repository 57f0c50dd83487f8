import { randomUUID } from 'node:crypto'
import type { Finding } from '../../../rules/src/index'
import type { Queryable } from '../storage/db'

/**
 * Candidate venues (storage layer, issue 7): places where several elders gather, found by crowd
 * detection (`venue.candidate` findings, stored by the alert path's transaction), listed for
 * the board, and decided by an operator — promoted to a venue or dismissed — inside the
 * deciding transaction, whose row lock makes two operators deciding at once see each other.
 */
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

export interface VenueCandidateRow {
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
}

export function toVenueCandidate(r: VenueCandidateRow): VenueCandidate {
  return {
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
  }
}

export async function listCandidates(db: Queryable, tenantId: string): Promise<VenueCandidate[]> {
  const rows = await db.query<VenueCandidateRow>('SELECT * FROM venue_candidates WHERE tenant_id = $1 ORDER BY last_at DESC', [tenantId])
  return rows.map(toVenueCandidate)
}

/** Stores a `venue.candidate` finding: one row per place, refreshed as more days and elders gather there. */
export async function upsertCandidate(tx: Queryable, finding: Finding): Promise<void> {
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
export async function lockCandidate(tx: Queryable, tenantId: string, id: string): Promise<VenueCandidate | null> {
  const rows = await tx.query<VenueCandidateRow>('SELECT * FROM venue_candidates WHERE tenant_id = $1 AND id = $2 FOR UPDATE', [tenantId, id])
  return rows[0] === undefined ? null : toVenueCandidate(rows[0])
}

export async function decideCandidate(
  tx: Queryable,
  tenantId: string,
  id: string,
  decision: { status: 'promoted'; venueId: string } | { status: 'dismissed' },
): Promise<VenueCandidate> {
  const rows = await tx.query<VenueCandidateRow>(
    'UPDATE venue_candidates SET status = $3, venue_id = $4 WHERE tenant_id = $1 AND id = $2 RETURNING *',
    [tenantId, id, decision.status, decision.status === 'promoted' ? decision.venueId : null],
  )
  return toVenueCandidate(rows[0] as VenueCandidateRow)
}
