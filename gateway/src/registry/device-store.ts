import type { Queryable } from '../storage/db.js'
import type { Device, DeviceKind, Page, PageRequest } from './types.js'
import { unavailableOnDuplicate } from './pg-errors.js'
import { pageOf } from './common-store.js'

// rejected_count is bigint (node-postgres returns those as strings): float8 is exact to 2^53.
const COLUMNS = `id, tenant_id AS "tenantId", elder_id AS "elderId", kind, online, status_at AS "statusAt",
  last_seen_at AS "lastSeenAt", battery, rejected_count::float8 AS "rejectedCount", last_rejected_at AS "lastRejectedAt",
  last_rejected_reason AS "lastRejectedReason", secret_rotated_at AS "secretRotatedAt", created_at AS "createdAt"`

type DeviceRow = Omit<Device, 'rejected'> & { rejectedCount: number; lastRejectedAt: Date | null; lastRejectedReason: string | null }

function toDevice(row: DeviceRow): Device {
  const { rejectedCount, lastRejectedAt, lastRejectedReason, secretRotatedAt, createdAt, ...rest } = row
  // Key order kept as before, with `rejected` after battery.
  return { ...rest, rejected: { count: rejectedCount, lastAt: lastRejectedAt, lastReason: lastRejectedReason }, secretRotatedAt, createdAt }
}

export async function insertDevice(
  q: Queryable,
  tenantId: string,
  device: { id: string; elderId: string; kind: DeviceKind; secretHash: string },
): Promise<Device> {
  const rows = await q
    .query<DeviceRow>(
      `INSERT INTO devices (id, tenant_id, elder_id, kind, secret_hash) VALUES ($1, $2, $3, $4, $5) RETURNING ${COLUMNS}`,
      [device.id, tenantId, device.elderId, device.kind, device.secretHash],
    )
    .catch(unavailableOnDuplicate(`device id "${device.id}"`, 'id'))
  return toDevice(rows[0] as DeviceRow)
}

export async function getDevice(q: Queryable, tenantId: string, id: string): Promise<Device | null> {
  const rows = await q.query<DeviceRow>(`SELECT ${COLUMNS} FROM devices WHERE tenant_id = $1 AND id = $2`, [tenantId, id])
  return rows[0] === undefined ? null : toDevice(rows[0])
}

export async function listDevices(q: Queryable, tenantId: string, filter: { elderId?: string | undefined }, page: PageRequest): Promise<Page<Device>> {
  const params: unknown[] = [tenantId]
  let where = 'tenant_id = $1'
  if (filter.elderId !== undefined) {
    params.push(filter.elderId)
    where += ' AND elder_id = $2'
  }
  return pageOf<DeviceRow, Device>(q, { select: COLUMNS, from: 'devices', where, orderBy: 'created_at, id' }, params, page, toDevice)
}

export async function rotateDeviceSecret(q: Queryable, tenantId: string, id: string, secretHash: string): Promise<boolean> {
  const rows = await q.query('UPDATE devices SET secret_hash = $3, secret_rotated_at = now() WHERE tenant_id = $1 AND id = $2 RETURNING 1', [
    tenantId,
    id,
    secretHash,
  ])
  return rows.length > 0
}

export async function deleteDevice(q: Queryable, tenantId: string, id: string): Promise<boolean> {
  return (await q.query('DELETE FROM devices WHERE tenant_id = $1 AND id = $2 RETURNING 1', [tenantId, id])).length > 0
}

export interface DeviceCredentialRow {
  deviceId: string
  tenantId: string
  elderId: string
  kind: DeviceKind
  secretHash: string
}

/**
 * MQTT CONNECT lookup. Not tenant-scoped by necessity: a device presents only its id (ids are
 * unique across tenants because they are MQTT client ids), and this is how its tenant is learnt.
 */
export async function findDeviceCredentials(q: Queryable, id: string): Promise<DeviceCredentialRow | null> {
  const rows = await q.query<DeviceCredentialRow>(
    `SELECT id AS "deviceId", tenant_id AS "tenantId", elder_id AS "elderId", kind, secret_hash AS "secretHash"
       FROM devices WHERE id = $1`,
    [id],
  )
  return rows[0] ?? null
}
