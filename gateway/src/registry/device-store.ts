import type { Queryable } from '../storage/db'
import type { Crs } from '../geo/crs'
import type { Device, DeviceKind, DeviceProtocol, Page, PageRequest } from './types'
import { isUniqueViolation, unavailableOnDuplicate } from './pg-errors'
import { pageOf } from './common-store'

// rejected_count is bigint (node-postgres returns those as strings): float8 is exact to 2^53.
const COLUMNS = `id, tenant_id AS "tenantId", elder_id AS "elderId", kind, protocol, imei, clock_offset_minutes AS "clockOffsetMinutes", crs,
  last_frame AS "lastFrameCommand", last_frame_at AS "lastFrameAt", online, status_at AS "statusAt",
  last_seen_at AS "lastSeenAt", battery, rejected_count::float8 AS "rejectedCount", last_rejected_at AS "lastRejectedAt",
  last_rejected_reason AS "lastRejectedReason", secret_rotated_at AS "secretRotatedAt", created_at AS "createdAt"`

type DeviceRow = Omit<Device, 'rejected' | 'lastFrame'> & {
  rejectedCount: number
  lastRejectedAt: Date | null
  lastRejectedReason: string | null
  lastFrameCommand: string | null
  lastFrameAt: Date | null
}

function toDevice(row: DeviceRow): Device {
  const { rejectedCount, lastRejectedAt, lastRejectedReason, lastFrameCommand, lastFrameAt, secretRotatedAt, createdAt, ...rest } = row
  const lastFrame = lastFrameCommand !== null && lastFrameAt !== null ? { command: lastFrameCommand, at: lastFrameAt } : null
  // Key order kept as before, with `rejected` after battery.
  return { ...rest, lastFrame, rejected: { count: rejectedCount, lastAt: lastRejectedAt, lastReason: lastRejectedReason }, secretRotatedAt, createdAt }
}

/** pg reports the violated constraint as `constraint`; PGlite may carry it only in the message. */
function namesConstraint(err: unknown, name: string): boolean {
  const e = err as { constraint?: unknown; message?: unknown }
  return e.constraint === name || (typeof e.message === 'string' && e.message.includes(`"${name}"`))
}

/**
 * What a watch-protocol device stores instead of a secret hash: a scheme verifyDeviceSecret
 * never accepts, so such a device can never log in over MQTT or HTTP ingest (fail closed) —
 * its identity is its number on the watch port, nothing else.
 */
export const NO_SECRET = 'none:watch-protocol'

export interface NewDevice {
  id: string
  elderId: string
  kind: DeviceKind
  secretHash: string
  protocol?: DeviceProtocol
  imei?: string
  clockOffsetMinutes?: number
  /** What the device reports positions in (migration 020); default wgs84. */
  crs?: Crs
}

export async function insertDevice(
  q: Queryable,
  tenantId: string,
  device: NewDevice,
): Promise<Device> {
  const rows = await q
    .query<DeviceRow>(
      `INSERT INTO devices (id, tenant_id, elder_id, kind, secret_hash, protocol, imei, clock_offset_minutes, crs)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING ${COLUMNS}`,
      [
        device.id,
        tenantId,
        device.elderId,
        device.kind,
        device.secretHash,
        device.protocol ?? 'mqtt',
        device.imei ?? null,
        device.clockOffsetMinutes ?? null,
        device.crs ?? 'wgs84',
      ],
    )
    .catch((err: unknown) => {
      // The watch's number is unique across tenants like the id: say which of the two clashed.
      if (isUniqueViolation(err) && namesConstraint(err, 'devices_imei')) {
        return unavailableOnDuplicate(`watch number "${device.imei}"`, 'imei')(err)
      }
      return unavailableOnDuplicate(`device id "${device.id}"`, 'id')(err)
    })
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
  crs: Crs
}

/**
 * MQTT CONNECT lookup. Not tenant-scoped by necessity: a device presents only its id (ids are
 * unique across tenants because they are MQTT client ids), and this is how its tenant is learnt.
 */
export async function findDeviceCredentials(q: Queryable, id: string): Promise<DeviceCredentialRow | null> {
  const rows = await q.query<DeviceCredentialRow>(
    `SELECT id AS "deviceId", tenant_id AS "tenantId", elder_id AS "elderId", kind, secret_hash AS "secretHash", crs
       FROM devices WHERE id = $1`,
    [id],
  )
  return rows[0] ?? null
}

/** What the watch port needs to accept a frame: the device behind a number, and its clock. */
export interface WatchRow {
  deviceId: string
  tenantId: string
  elderId: string
  kind: DeviceKind
  clockOffsetMinutes: number | null
  /** DESIGN §4: a protocol watch reports WGS-84 unless its registration says otherwise. */
  crs: Crs
}

/**
 * Watch-port lookup by the watch's own number. Not tenant-scoped for the same reason as
 * findDeviceCredentials: the number is all the watch presents.
 */
export async function findWatchByImei(q: Queryable, imei: string): Promise<WatchRow | null> {
  const rows = await q.query<WatchRow>(
    `SELECT id AS "deviceId", tenant_id AS "tenantId", elder_id AS "elderId", kind, clock_offset_minutes AS "clockOffsetMinutes", crs
       FROM devices WHERE imei = $1 AND protocol = 'watch'`,
    [imei],
  )
  return rows[0] ?? null
}
