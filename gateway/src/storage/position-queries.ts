import type { Queryable } from './db'

/**
 * Each elder's last known position, for the board's map: the newest stored reading with a fix,
 * per elder of the tenant, no older than `since`. A few index probes per elder (newestFixLateral)
 * instead of one telemetry request per elder from the browser.
 */
export interface LastPosition {
  elderId: string
  lat: number
  lon: number
  /** Horizontal accuracy in metres, when the device sent it. */
  acc: number | null
  src: string | null
  /** Event time, epoch ms. */
  ts: number
}

interface PositionRow {
  elder_id: string
  lat: number
  lon: number
  acc: number | null
  src: string | null
  ts: number
}

/**
 * The newest stored watch fix of one elder (at or after `since` when given), as a subquery for a
 * LATERAL join with columns time, lat, lon, acc, src. Readings have no elder index (migration
 * 021): each watch the elder ever had (elder_devices) is probed backwards on the (device_id,
 * time) index, and the newest of those few rows wins. The arguments are SQL expressions
 * (parameters such as '$1', or columns), never values.
 */
export function newestFixLateral(tenant: string, elder: string, since?: string): string {
  return `(SELECT f.time, f.lat, f.lon, f.acc, f.src FROM elder_devices ed
  CROSS JOIN LATERAL (
    SELECT time, lat, lon, acc, src FROM readings
    WHERE device_id = ed.device_id AND elder_id = ed.elder_id AND tenant_id = ed.tenant_id
      ${since === undefined ? '' : `AND time >= ${since} `}AND lat IS NOT NULL AND lon IS NOT NULL
    ORDER BY time DESC LIMIT 1) f
  WHERE ed.tenant_id = ${tenant} AND ed.elder_id = ${elder} AND ed.kind = 'watch'
  ORDER BY f.time DESC LIMIT 1)`
}

const LAST_POSITIONS_SQL = `SELECT e.id AS elder_id, r.lat, r.lon, r.acc, r.src, (extract(epoch FROM r.time) * 1000)::float8 AS ts
FROM elders e
CROSS JOIN LATERAL ${newestFixLateral('$1', 'e.id', '$2')} r
WHERE e.tenant_id = $1
ORDER BY e.id`

export async function lastPositions(db: Queryable, tenantId: string, since: number): Promise<LastPosition[]> {
  const rows = await db.query<PositionRow>(LAST_POSITIONS_SQL, [tenantId, new Date(since)])
  return rows.map((r) => ({ elderId: r.elder_id, lat: r.lat, lon: r.lon, acc: r.acc, src: r.src, ts: Number(r.ts) }))
}
