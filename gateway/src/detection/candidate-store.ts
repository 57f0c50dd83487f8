import { toVenueCandidate, type VenueCandidate, type VenueCandidateRow } from '../alerts/alert-store'
import type { Queryable } from '../storage/db'

/**
 * Deciding on candidate venues (storage layer, issue 7): an operator promotes a candidate to a
 * venue or dismisses it. Called inside the deciding transaction; the row lock makes two
 * operators deciding on the same candidate at once see each other's decision.
 */
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
