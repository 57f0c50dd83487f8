import type { Queryable } from '../storage/db'
import type { Page, PageRequest, Venue, VenueKind } from './types'
import { pageOf, setClause } from './common-store'

const COLUMNS = `id, tenant_id AS "tenantId", name, kind, risky, lat, lon, radius_m AS "radiusM", polygon, address,
  created_at AS "createdAt", updated_at AS "updatedAt"`

/** Either a circle (lat, lon, radiusM) or a polygon; the other form's fields are null. */
export interface VenueFields {
  name: string
  kind: VenueKind
  risky: boolean
  lat: number | null
  lon: number | null
  radiusM: number | null
  polygon: Array<[number, number]> | null
  address?: string | null | undefined
}

export async function insertVenue(q: Queryable, tenantId: string, id: string, v: VenueFields): Promise<Venue> {
  const rows = await q.query<Venue>(
    `INSERT INTO venues (id, tenant_id, name, kind, risky, lat, lon, radius_m, polygon, address)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10) RETURNING ${COLUMNS}`,
    [id, tenantId, v.name, v.kind, v.risky, v.lat, v.lon, v.radiusM, v.polygon === null ? null : JSON.stringify(v.polygon), v.address ?? null],
  )
  return rows[0] as Venue
}

export async function getVenue(q: Queryable, tenantId: string, id: string): Promise<Venue | null> {
  const rows = await q.query<Venue>(`SELECT ${COLUMNS} FROM venues WHERE tenant_id = $1 AND id = $2`, [tenantId, id])
  return rows[0] ?? null
}

export async function listVenues(
  q: Queryable,
  tenantId: string,
  filter: { kind?: VenueKind | undefined; risky?: boolean | undefined },
  page: PageRequest,
): Promise<Page<Venue>> {
  const params: unknown[] = [tenantId]
  const where = ['tenant_id = $1']
  if (filter.kind !== undefined) {
    params.push(filter.kind)
    where.push(`kind = $${params.length}`)
  }
  if (filter.risky !== undefined) {
    params.push(filter.risky)
    where.push(`risky = $${params.length}`)
  }
  return pageOf<Venue, Venue>(q, { select: COLUMNS, from: 'venues', where: where.join(' AND '), orderBy: 'created_at, id' }, params, page, (v) => v)
}

/** Every venue of a tenant, unpaged: the rule engine's spatial index is built from this. */
export async function allVenues(q: Queryable, tenantId: string): Promise<Venue[]> {
  return q.query<Venue>(`SELECT ${COLUMNS} FROM venues WHERE tenant_id = $1 ORDER BY id`, [tenantId])
}

export async function updateVenue(q: Queryable, tenantId: string, id: string, patch: Partial<VenueFields>): Promise<Venue | null> {
  const params: unknown[] = [tenantId, id]
  const sets = setClause(
    { name: 'name', kind: 'kind', risky: 'risky', lat: 'lat', lon: 'lon', radiusM: 'radius_m', polygon: 'polygon', address: 'address' },
    patch,
    params,
    ['polygon'],
  )
  sets.push('updated_at = now()')
  const rows = await q.query<Venue>(`UPDATE venues SET ${sets.join(', ')} WHERE tenant_id = $1 AND id = $2 RETURNING ${COLUMNS}`, params)
  return rows[0] ?? null
}

export async function deleteVenue(q: Queryable, tenantId: string, id: string): Promise<boolean> {
  return (await q.query('DELETE FROM venues WHERE tenant_id = $1 AND id = $2 RETURNING 1', [tenantId, id])).length > 0
}
