import type { Queryable } from './db'

/**
 * Each elder's last known position, for the board's map: the newest stored reading with a fix,
 * per elder of the tenant, no older than `since`. One index probe per elder (readings_elder_time
 * is (elder_id, time DESC)) instead of one telemetry request per elder from the browser.
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

const LAST_POSITIONS_SQL = `SELECT e.id AS elder_id, r.lat, r.lon, r.acc, r.src, (extract(epoch FROM r.time) * 1000)::float8 AS ts
FROM elders e
CROSS JOIN LATERAL (
  SELECT lat, lon, acc, src, time FROM readings
  WHERE elder_id = e.id AND tenant_id = $1 AND time >= $2 AND lat IS NOT NULL AND lon IS NOT NULL
  ORDER BY time DESC LIMIT 1
) r
WHERE e.tenant_id = $1
ORDER BY e.id`

export async function lastPositions(db: Queryable, tenantId: string, since: number): Promise<LastPosition[]> {
  const rows = await db.query<PositionRow>(LAST_POSITIONS_SQL, [tenantId, new Date(since)])
  return rows.map((r) => ({ elderId: r.elder_id, lat: r.lat, lon: r.lon, acc: r.acc, src: r.src, ts: Number(r.ts) }))
}
