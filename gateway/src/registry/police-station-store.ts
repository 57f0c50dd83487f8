import type { Queryable } from '../storage/db'
import type { NoticeLanguage, Page, PageRequest, PoliceStation } from './types'
import { pageOf, setClause } from './common-store'

/** The webhook secret is selected only by findPoliceStationSecret (delivery signs with it). */
const COLUMNS = `id, tenant_id AS "tenantId", name, webhook_url AS "webhookUrl", format, language, created_at AS "createdAt", updated_at AS "updatedAt"`

export interface PoliceStationFields {
  name: string
  webhookUrl: string
  secret: string
  format: 'json' | 'cap'
  /** Unset: the column default, zh-CN (migration 015). */
  language?: NoticeLanguage | undefined
}

export async function insertPoliceStation(q: Queryable, tenantId: string, id: string, s: PoliceStationFields): Promise<PoliceStation> {
  const rows = await q.query<PoliceStation>(
    `INSERT INTO police_stations (id, tenant_id, name, webhook_url, secret, format, language)
     VALUES ($1, $2, $3, $4, $5, $6, COALESCE($7, 'zh-CN')) RETURNING ${COLUMNS}`,
    [id, tenantId, s.name, s.webhookUrl, s.secret, s.format, s.language ?? null],
  )
  return rows[0] as PoliceStation
}

export async function getPoliceStation(q: Queryable, tenantId: string, id: string): Promise<PoliceStation | null> {
  const rows = await q.query<PoliceStation>(`SELECT ${COLUMNS} FROM police_stations WHERE tenant_id = $1 AND id = $2`, [tenantId, id])
  return rows[0] ?? null
}

export async function policeStationExists(q: Queryable, tenantId: string, id: string): Promise<boolean> {
  return (await q.query('SELECT 1 FROM police_stations WHERE tenant_id = $1 AND id = $2', [tenantId, id])).length > 0
}

export async function listPoliceStations(q: Queryable, tenantId: string, page: PageRequest): Promise<Page<PoliceStation>> {
  return pageOf<PoliceStation, PoliceStation>(
    q,
    { select: COLUMNS, from: 'police_stations', where: 'tenant_id = $1', orderBy: 'created_at, id' },
    [tenantId],
    page,
    (s) => s,
  )
}

export async function updatePoliceStation(
  q: Queryable,
  tenantId: string,
  id: string,
  patch: Partial<PoliceStationFields>,
): Promise<PoliceStation | null> {
  const params: unknown[] = [tenantId, id]
  const sets = setClause({ name: 'name', webhookUrl: 'webhook_url', secret: 'secret', format: 'format', language: 'language' }, patch, params)
  sets.push('updated_at = now()')
  const rows = await q.query<PoliceStation>(
    `UPDATE police_stations SET ${sets.join(', ')} WHERE tenant_id = $1 AND id = $2 RETURNING ${COLUMNS}`,
    params,
  )
  return rows[0] ?? null
}

/** For notice delivery (HMAC signing); the API never returns this. */
export async function findPoliceStationSecret(q: Queryable, tenantId: string, id: string): Promise<string | null> {
  const rows = await q.query<{ secret: string }>('SELECT secret FROM police_stations WHERE tenant_id = $1 AND id = $2', [tenantId, id])
  return rows[0]?.secret ?? null
}
