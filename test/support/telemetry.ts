import type { CameraReading, DeviceEvent, WatchReading } from '../../rules/src/input'
import type { CommandAck } from '../../gateway/src/ingest/types'
import type { Db } from '../../gateway/src/storage/db'

/**
 * Telemetry fixtures for storage tests: deterministic records (fixed timestamps, no clock) and
 * a condition poller, so tests wait for what they need instead of sleeping and hoping.
 */
export const T0 = Date.UTC(2026, 2, 1, 8, 0, 0)

/**
 * Every fourth reading also carries the health readings (spo2, blood pressure, temperature), as a
 * 4G watch's periodic measurement does: batches mix readings with and without them. The
 * temperature has one decimal, which reads back from its float4 column as the same number.
 */
export function watchReading(i: number, over: Partial<WatchReading> = {}): WatchReading {
  return {
    kind: 'watch', tenantId: 't1', elderId: `e${i % 7}`, deviceId: `w${i % 7}`, ts: T0 + i * 1000,
    lat: 31.23 + i * 1e-5, lon: 121.47 - i * 1e-5, acc: 12.5, src: 'gps', hr: 60 + (i % 50), steps: i * 3, bat: 90 - (i % 80), worn: i % 2 === 0,
    ...(i % 4 === 0 ? { spo2: 90 + (i % 11), sys: 105 + (i % 60), dia: 60 + (i % 40), temp: (360 + (i % 15)) / 10 } : {}),
    ...over,
  }
}

export function cameraReading(i: number, over: Partial<CameraReading> = {}): CameraReading {
  return {
    kind: 'camera', tenantId: 't1', elderId: `e${i % 7}`, deviceId: `c${i % 7}`, ts: T0 + i * 1000,
    presence: i % 3 !== 0, persons: i % 4, strangers: i % 2, motion: i % 5 === 0,
    ...over,
  }
}

export function deviceEvent(i: number, over: Partial<DeviceEvent> = {}): DeviceEvent {
  return {
    kind: 'event', tenantId: 't1', elderId: `e${i % 7}`, deviceId: `w${i % 7}`, ts: T0 + i * 1000, deviceKind: 'watch',
    type: i % 2 === 0 ? 'sos' : 'fall', detail: { seq: i, note: 'ok' },
    ...over,
  }
}

export function commandAck(i: number, over: Partial<CommandAck> = {}): CommandAck {
  return { tenantId: 't1', elderId: `e${i % 7}`, deviceId: `w${i % 7}`, commandId: `cmd-${i}`, status: 'played', ts: T0 + i * 1000, ...over }
}

/** Polls `check` until it returns true (or a value other than false/undefined); fails after timeoutMs. */
export async function waitFor<T>(check: () => Promise<T | false | undefined> | T | false | undefined, timeoutMs = 20_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== false && value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

export async function countRows(db: Db, table: 'readings' | 'device_events' | 'command_acks' | 'dead_letters'): Promise<number> {
  const [row] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`)
  return row?.n ?? 0
}

/** Wraps a Db to count the statements sent, by their first words. */
export function countingDb(db: Db): { db: Db; statements: string[] } {
  const statements: string[] = []
  return {
    statements,
    db: {
      ...db,
      kind: db.kind,
      query: (sql, params) => {
        statements.push(sql.trim().split(/\s+/).slice(0, 2).join(' '))
        return db.query(sql, params)
      },
      transaction: (fn) => db.transaction(fn),
      exec: (sql) => db.exec(sql),
      close: () => db.close(),
    },
  }
}

/** A tenant, elder and devices for tests that touch the registry (device activity). */
export async function seedDevices(db: Db, deviceIds: string[]): Promise<void> {
  await db.query("INSERT INTO tenants (id, name) VALUES ('t1', 'Tenant one') ON CONFLICT DO NOTHING")
  await db.query("INSERT INTO elders (id, tenant_id, name, home_lat, home_lon) VALUES ('e1', 't1', 'Elder one', 31.2, 121.4) ON CONFLICT DO NOTHING")
  for (const id of deviceIds) {
    await db.query("INSERT INTO devices (id, tenant_id, elder_id, kind, secret_hash) VALUES ($1, 't1', 'e1', 'watch', 'x')", [id])
  }
}

/**
 * Empties the telemetry and registry tables, so a suite opens its database once (opening PGlite
 * and migrating costs seconds) and each test still starts from nothing.
 */
export async function emptyTables(db: Db): Promise<void> {
  await db.query('TRUNCATE readings, device_events, command_acks, dead_letters, devices, elders, tenants RESTART IDENTITY CASCADE')
}
