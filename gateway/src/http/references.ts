import { EgError } from '../errors'
import { elderExists } from '../registry/elder-store'
import { policeStationExists } from '../registry/police-station-store'
import type { Queryable } from '../storage/db'

/**
 * A body that names another record of the tenant (elderId, policeStationId) is bad input when
 * that record does not exist in the caller's tenant: 400 naming the field, the same answer
 * whether it is missing or belongs to another tenant.
 */
function missing(path: string, what: string): EgError {
  return new EgError('VALIDATION_FAILED', 'invalid body', { fields: [{ path, message: `no such ${what}` }] })
}

export async function requirePoliceStation(q: Queryable, tenantId: string, id: string | null | undefined, path = 'policeStationId'): Promise<void> {
  if (id == null) return
  if (!(await policeStationExists(q, tenantId, id))) throw missing(path, 'police station')
}

export async function requireElder(q: Queryable, tenantId: string, id: string, path = 'elderId'): Promise<void> {
  if (!(await elderExists(q, tenantId, id))) throw missing(path, 'elder')
}
