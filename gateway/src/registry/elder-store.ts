import type { Queryable } from '../storage/db'
import type { Contact, Elder, ExpectedAway, Page, PageRequest } from './types'
import { likePattern, pageOf, setClause } from './common-store'

interface ElderRow {
  id: string
  tenantId: string
  name: string
  homeLat: number
  homeLon: number
  homeRadiusM: number
  language: string
  policeStationId: string | null
  phone: string | null
  address: string | null
  area: string | null
  contacts: Contact[]
  expectedAway: ExpectedAway[]
  createdAt: Date
  updatedAt: Date
}

const COLUMNS = `id, tenant_id AS "tenantId", name, home_lat AS "homeLat", home_lon AS "homeLon", home_radius_m AS "homeRadiusM",
  language, police_station_id AS "policeStationId", phone, address, area, contacts, expected_away AS "expectedAway",
  created_at AS "createdAt", updated_at AS "updatedAt"`

function toElder(row: ElderRow): Elder {
  const { homeLat, homeLon, homeRadiusM, ...rest } = row
  return { ...rest, home: { lat: homeLat, lon: homeLon, radiusM: homeRadiusM } }
}

export interface ElderFields {
  name: string
  home: { lat: number; lon: number; radiusM?: number | undefined }
  language?: string | undefined
  policeStationId?: string | null | undefined
  phone?: string | null | undefined
  address?: string | null | undefined
  area?: string | null | undefined
  contacts?: Contact[] | undefined
  expectedAway?: ExpectedAway[] | undefined
}

/** Matches the column default in 001_registry.sql. */
export const DEFAULT_HOME_RADIUS_M = 150

export async function insertElder(q: Queryable, tenantId: string, id: string, e: ElderFields): Promise<Elder> {
  const rows = await q.query<ElderRow>(
    `INSERT INTO elders (id, tenant_id, name, home_lat, home_lon, home_radius_m, language, police_station_id, phone, address, area,
                         contacts, expected_away)
     VALUES ($1, $2, $3, $4, $5, $6, COALESCE($7, 'zh-CN'), $8, $9, $10, $11, $12::jsonb, $13::jsonb) RETURNING ${COLUMNS}`,
    [
      id,
      tenantId,
      e.name,
      e.home.lat,
      e.home.lon,
      e.home.radiusM ?? DEFAULT_HOME_RADIUS_M,
      e.language ?? null,
      e.policeStationId ?? null,
      e.phone ?? null,
      e.address ?? null,
      e.area ?? null,
      JSON.stringify(e.contacts ?? []),
      JSON.stringify(e.expectedAway ?? []),
    ],
  )
  return toElder(rows[0] as ElderRow)
}

export async function getElder(q: Queryable, tenantId: string, id: string): Promise<Elder | null> {
  const rows = await q.query<ElderRow>(`SELECT ${COLUMNS} FROM elders WHERE tenant_id = $1 AND id = $2`, [tenantId, id])
  return rows[0] ? toElder(rows[0]) : null
}

export async function elderExists(q: Queryable, tenantId: string, id: string): Promise<boolean> {
  return (await q.query('SELECT 1 FROM elders WHERE tenant_id = $1 AND id = $2', [tenantId, id])).length > 0
}

export interface ElderFilter {
  area?: string | undefined
  /** Free text over name, phone and address. */
  q?: string | undefined
}

export async function listElders(q: Queryable, tenantId: string, filter: ElderFilter, page: PageRequest): Promise<Page<Elder>> {
  const params: unknown[] = [tenantId]
  const where = ['tenant_id = $1']
  if (filter.area !== undefined) {
    params.push(filter.area)
    where.push(`area = $${params.length}`)
  }
  if (filter.q !== undefined) {
    params.push(likePattern(filter.q))
    const n = params.length
    where.push(`(name ILIKE $${n} OR phone ILIKE $${n} OR address ILIKE $${n})`)
  }
  return pageOf(q, { select: COLUMNS, from: 'elders', where: where.join(' AND '), orderBy: 'created_at, id' }, params, page, toElder)
}

export type ElderPatch = Partial<Omit<ElderFields, 'home'>> & { home?: { lat: number; lon: number; radiusM?: number | undefined } | undefined }

export async function updateElder(q: Queryable, tenantId: string, id: string, patch: ElderPatch): Promise<Elder | null> {
  const params: unknown[] = [tenantId, id]
  const { home, ...rest } = patch
  const flat = {
    ...rest,
    homeLat: home?.lat,
    homeLon: home?.lon,
    homeRadiusM: home === undefined ? undefined : (home.radiusM ?? DEFAULT_HOME_RADIUS_M),
  }
  const sets = setClause(
    {
      name: 'name',
      language: 'language',
      policeStationId: 'police_station_id',
      phone: 'phone',
      address: 'address',
      area: 'area',
      contacts: 'contacts',
      expectedAway: 'expected_away',
      homeLat: 'home_lat',
      homeLon: 'home_lon',
      homeRadiusM: 'home_radius_m',
    },
    flat,
    params,
    ['contacts', 'expectedAway'],
  )
  sets.push('updated_at = now()')
  const rows = await q.query<ElderRow>(`UPDATE elders SET ${sets.join(', ')} WHERE tenant_id = $1 AND id = $2 RETURNING ${COLUMNS}`, params)
  return rows[0] ? toElder(rows[0]) : null
}

/** Deletes the elder (devices cascade); returns the ids of the devices that went with it. */
export async function deleteElder(q: Queryable, tenantId: string, id: string): Promise<{ deleted: boolean; deviceIds: string[] }> {
  const devices = await q.query<{ id: string }>('SELECT id FROM devices WHERE tenant_id = $1 AND elder_id = $2', [tenantId, id])
  const rows = await q.query('DELETE FROM elders WHERE tenant_id = $1 AND id = $2 RETURNING 1', [tenantId, id])
  return { deleted: rows.length > 0, deviceIds: devices.map((d) => d.id) }
}
