import type { CameraReading, DeviceEvent, WatchReading } from '../../../rules/src/input'
import type { CommandAck } from '../ingest/types'
import { binaryFloatArray, type FloatArrayType } from './binary-array'

/**
 * The SQL and parameters of one telemetry batch (storage layer, split from the writer): the
 * column lists, the cached multi-table INSERT, and the Postgres array literals each column is
 * sent as — built here rather than by the pg driver, whose generic array encoding cost more CPU
 * per batch than the database's own insert work.
 */
/**
 * Column lists in table order (002_telemetry.sql) with the array type each is sent as. Times
 * travel as epoch-ms float8 and become timestamptz in SQL (exact to the microsecond), which
 * spares formatting a date string per row.
 */
const readingColumns: ReadonlyArray<readonly [string, string]> = [
  ['time', 'float8'], ['tenant_id', 'text'], ['elder_id', 'text'], ['device_id', 'text'], ['kind', 'text'],
  ['lat', 'float8'], ['lon', 'float8'], ['acc', 'float4'], ['src', 'text'], ['hr', 'int2'], ['steps', 'int4'],
  ['bat', 'int2'], ['worn', 'bool'], ['presence', 'bool'], ['persons', 'int2'], ['strangers', 'int2'], ['motion', 'bool'],
]
/**
 * The same with the health readings of 019, sent only for a batch in which some reading carries
 * one. Most batches carry none (cameras, MQTT watches, 4G watches between measurements), and four
 * arrays of NULLs cost each of them about a quarter more literal building here (measured: 1.03 →
 * 1.3 µs per reading) plus their parsing and unnesting in the database, for columns that are
 * NULL when left out anyway.
 */
const readingColumnsWithHealth: ReadonlyArray<readonly [string, string]> = [
  ...readingColumns,
  ['spo2', 'int2'], ['sys', 'int2'], ['dia', 'int2'], ['temp', 'float4'],
]

/** Whether any of these readings carries a health reading, so the batch needs readingColumnsWithHealth. */
export function carriesHealth(readings: ReadonlyArray<WatchReading | CameraReading>): boolean {
  for (const r of readings) {
    if (r.kind === 'watch' && (r.spo2 !== undefined || r.sys !== undefined || r.dia !== undefined || r.temp !== undefined)) return true
  }
  return false
}
const eventColumns: ReadonlyArray<readonly [string, string]> = [
  ['time', 'float8'], ['tenant_id', 'text'], ['elder_id', 'text'], ['device_id', 'text'], ['device_kind', 'text'],
  ['type', 'text'], ['detail', 'text'],
]
const ackColumns: ReadonlyArray<readonly [string, string]> = [
  ['time', 'float8'], ['tenant_id', 'text'], ['elder_id', 'text'], ['device_id', 'text'], ['command_id', 'text'], ['status', 'text'],
]

/** `INSERT INTO table (...) SELECT ... FROM unnest($n::type[], ...) [ON CONFLICT DO NOTHING RETURNING 1]` */
function insertSql(table: string, columns: ReadonlyArray<readonly [string, string]>, firstParam: number, dedupe: boolean): string {
  const names = columns.map(([name]) => name)
  const arrays = columns.map(([, type], i) => `$${firstParam + i}::${type}[]`)
  const values = names.map((name) =>
    name === 'time' ? "timestamptz 'epoch' + u.time * interval '1 millisecond'" : name === 'detail' ? 'u.detail::jsonb' : `u.${name}`,
  )
  return (
    `INSERT INTO ${table} (${names.join(', ')}) SELECT ${values.join(', ')} ` +
    `FROM unnest(${arrays.join(', ')}) AS u(${names.join(', ')})` +
    (dedupe ? ' ON CONFLICT DO NOTHING RETURNING 1' : '')
  )
}

const sqlCache = new Map<number, string>()

function statementKey(hasReadings: boolean, hasEvents: boolean, hasAcks: boolean, dedupe: boolean, health: boolean, pairs: boolean): number {
  return (hasReadings ? 1 : 0) | (hasEvents ? 2 : 0) | (hasAcks ? 4 : 0) | (dedupe ? 8 : 0) | (health ? 16 : 0) | (pairs ? 32 : 0)
}

/**
 * The prepared-statement name of telemetryInsertSql with the same arguments (db.ts `prepare`):
 * one per form, so each name always carries the same SQL.
 */
export function telemetryInsertName(hasReadings: boolean, hasEvents: boolean, hasAcks: boolean, dedupe = true, health = false, pairs = false): string {
  return `eg_telemetry_${statementKey(hasReadings, hasEvents, hasAcks, dedupe, health, pairs)}`
}

/**
 * One statement for the whole batch, one data-modifying CTE per table present: atomic without
 * BEGIN/COMMIT round trips. `pairs`: the batch also records (elder, device) pairs new to
 * elder_devices (newDevicePairs), parameters after all the tables' columns (devicePairParams).
 *
 * Two forms. `dedupe`: ON CONFLICT DO NOTHING, and it reports how many rows each table really
 * took. Plain (the fast path): a duplicate fails the whole statement with 23505 and the writer
 * re-sends the batch in the dedupe form. Duplicates are rare (a QoS 1 resend after a lost
 * PUBACK, a retried commit whose reply was lost), while ON CONFLICT's speculative insertion
 * costs on every row: measured on PostgreSQL 15 here, 100,000 rows into readings with its four
 * indexes took 1.43 s with ON CONFLICT DO NOTHING and 0.35 s less without — about a quarter of
 * the database's work per reading.
 */
export function telemetryInsertSql(hasReadings: boolean, hasEvents: boolean, hasAcks: boolean, dedupe = true, health = false, pairs = false): string {
  const key = statementKey(hasReadings, hasEvents, hasAcks, dedupe, health, pairs)
  let sql = sqlCache.get(key)
  if (sql !== undefined) return sql
  const ctes: string[] = []
  let next = 1
  for (const [present, name, table, columns] of [
    [hasReadings, 'readings', 'readings', health ? readingColumnsWithHealth : readingColumns],
    [hasEvents, 'events', 'device_events', eventColumns],
    [hasAcks, 'acks', 'command_acks', ackColumns],
  ] as const) {
    if (!present) continue
    ctes.push(`${name} AS (${insertSql(table, columns, next, dedupe)})`)
    next += columns.length
  }
  if (pairs) {
    ctes.push(
      `pairs AS (INSERT INTO elder_devices (tenant_id, elder_id, device_id, kind) ` +
        `SELECT * FROM unnest($${next}::text[], $${next + 1}::text[], $${next + 2}::text[], $${next + 3}::text[]) ON CONFLICT DO NOTHING)`,
    )
  }
  // The plain form inserts every row or fails: the writer counts the rows itself.
  const count = (name: string, present: boolean) => (present && dedupe ? `(SELECT count(*)::int FROM ${name})` : '0')
  sql =
    `WITH ${ctes.join(', ')} SELECT ${count('readings', hasReadings)} AS readings, ` +
    `${count('events', hasEvents)} AS events, ${count('acks', hasAcks)} AS acks`
  sqlCache.set(key, sql)
  return sql
}

/**
 * Each column is sent as one Postgres array literal built here ('{1.5,NULL,2}'): generic
 * per-element serialisation in the driver cost about as much CPU as the INSERT itself, and on a
 * 2-core machine the database needs that core. Values are also fitted to their columns, because
 * a value the database rejects would fail its batch on every retry and wedge the writer: whole
 * numbers for smallint/integer columns (validation allows hr 72.5), clamped to the column range,
 * and no NUL in text (Postgres text cannot hold U+0000; device-chosen strings such as command
 * ids can).
 */
const int2 = (v: number | undefined) => (v == null || !Number.isFinite(v) ? 'NULL' : String(Math.max(-32768, Math.min(32767, Math.round(v)))))
const int4 = (v: number | undefined) =>
  v == null || !Number.isFinite(v) ? 'NULL' : String(Math.max(-2147483648, Math.min(2147483647, Math.round(v))))
const float = (v: number | undefined) => (v == null ? 'NULL' : String(v))
const bool = (v: boolean | undefined) => (v == null ? 'NULL' : v ? 't' : 'f')
const text = (v: string | undefined) => {
  if (v == null) return 'NULL'
  const t = pgText(v)
  // Quoted always (so "NULL", "" and commas stay text); backslash and quote escaped.
  return t.includes('\\') || t.includes('"') ? `"${t.replace(/[\\"]/g, '\\$&')}"` : `"${t}"`
}
const literal = (column: string[]) => `{${column.join(',')}}`

/**
 * The element literal of a value that repeats from row to row — tenant, elder and device ids,
 * the reading's kind and location source, event types — made once and looked up after: the
 * ids of one fleet are a bounded set, and a batch repeats each many times. Emptied when it
 * reaches REPEATED_MAX entries, so ids from a churning fleet cannot grow it without bound.
 */
const repeatedLiterals = new Map<string, string>()
const REPEATED_MAX = 100_000
function repeated(v: string | undefined): string {
  if (v == null) return 'NULL'
  let element = repeatedLiterals.get(v)
  if (element === undefined) {
    if (repeatedLiterals.size >= REPEATED_MAX) repeatedLiterals.clear()
    element = text(v)
    repeatedLiterals.set(v, element)
  }
  return element
}

/** Text Postgres accepts: U+0000 replaced. */
export function pgText(v: string): string {
  return v.includes('\0') ? v.replaceAll('\0', '\uFFFD') : v
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g

function cleanJsonValue(v: unknown): unknown {
  if (typeof v === 'string') return pgText(v).replace(LONE_SURROGATE, '\uFFFD')
  if (Array.isArray(v)) return v.map(cleanJsonValue)
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, x] of Object.entries(v)) out[cleanJsonValue(k) as string] = cleanJsonValue(x)
    return out
  }
  return v
}

/**
 * JSON text jsonb accepts. jsonb rejects the \u0000 escape and unpaired surrogate escapes that
 * JSON.stringify emits for such strings in device-sent detail; the slow path runs only when the
 * text contains one (or an escaped backslash that looks like one — harmless).
 */
export function pgJson(value: unknown): string {
  const json = JSON.stringify(value)
  return /\\u(0000|d[89a-f])/i.test(json) ? JSON.stringify(cleanJsonValue(value)) : json
}

const columnsOf = (count: number, rows: number) => Array.from({ length: count }, () => new Array<string>(rows))

/**
 * One float column: binary (binary-array.ts) when `binary`, else its array literal. Called once
 * per column, after the row loop, so the text path's row loop stays one pass.
 */
function floatColumn(binary: boolean, type: FloatArrayType, n: number, value: (i: number) => number | undefined): string | Buffer {
  if (binary) return binaryFloatArray(type, n, value)
  const column = new Array<string>(n)
  for (let i = 0; i < n; i++) column[i] = float(value(i))
  return literal(column)
}

/** Reading columns sent as floats, by index into readingColumns(WithHealth): time, lat, lon, acc, temp. */
const READING_FLOATS = new Set([0, 5, 6, 7, 20])

/**
 * Column parameters for rows [head, head + n) of each queue, in the parameter order of
 * telemetryInsertSql — called with the same `health` (carriesHealth of those readings). Float
 * columns are binary arrays when `binaryFloats` (PostgreSQL; PGlite serialises parameters by
 * their inferred type and takes text only), every other column an array literal.
 */
export function telemetryParams(
  readings: ReadonlyArray<WatchReading | CameraReading>, rh: number, nr: number,
  events: ReadonlyArray<DeviceEvent>, eh: number, ne: number,
  acks: ReadonlyArray<CommandAck>, ah: number, na: number,
  health: boolean,
  binaryFloats = false,
): Array<string | Buffer> {
  const params: Array<string | Buffer> = []
  if (nr > 0) {
    const cols = columnsOf((health ? readingColumnsWithHealth : readingColumns).length, nr)
    for (let i = 0; i < nr; i++) {
      const r = readings[rh + i]!
      const w = r.kind === 'watch' ? r : undefined
      const c = r.kind === 'camera' ? r : undefined
      cols[1]![i] = repeated(r.tenantId)
      cols[2]![i] = repeated(r.elderId)
      cols[3]![i] = repeated(r.deviceId)
      cols[4]![i] = repeated(r.kind)
      cols[8]![i] = repeated(w?.src)
      cols[9]![i] = int2(w?.hr)
      cols[10]![i] = int4(w?.steps)
      cols[11]![i] = int2(w?.bat)
      cols[12]![i] = bool(w?.worn)
      cols[13]![i] = bool(c?.presence)
      cols[14]![i] = int2(c?.persons)
      cols[15]![i] = int2(c?.strangers)
      cols[16]![i] = bool(c?.motion)
      if (health) {
        cols[17]![i] = int2(w?.spo2)
        cols[18]![i] = int2(w?.sys)
        cols[19]![i] = int2(w?.dia)
      }
    }
    const watch = (i: number) => {
      const r = readings[rh + i]!
      return r.kind === 'watch' ? r : undefined
    }
    for (let k = 0; k < cols.length; k++) {
      if (!READING_FLOATS.has(k)) {
        params.push(literal(cols[k]!))
        continue
      }
      switch (k) {
        case 0:
          params.push(floatColumn(binaryFloats, 'float8', nr, (i) => readings[rh + i]!.ts))
          break
        case 5:
          params.push(floatColumn(binaryFloats, 'float8', nr, (i) => watch(i)?.lat))
          break
        case 6:
          params.push(floatColumn(binaryFloats, 'float8', nr, (i) => watch(i)?.lon))
          break
        case 7:
          params.push(floatColumn(binaryFloats, 'float4', nr, (i) => watch(i)?.acc))
          break
        default:
          params.push(floatColumn(binaryFloats, 'float4', nr, (i) => watch(i)?.temp))
      }
    }
  }
  if (ne > 0) {
    const cols = columnsOf(eventColumns.length, ne)
    for (let i = 0; i < ne; i++) {
      const e = events[eh + i]!
      cols[1]![i] = text(e.tenantId)
      cols[2]![i] = text(e.elderId)
      cols[3]![i] = text(e.deviceId)
      cols[4]![i] = text(e.deviceKind)
      cols[5]![i] = text(e.type)
      cols[6]![i] = text(e.detail === undefined ? undefined : pgJson(e.detail))
    }
    params.push(floatColumn(binaryFloats, 'float8', ne, (i) => events[eh + i]!.ts))
    for (let k = 1; k < cols.length; k++) params.push(literal(cols[k]!))
  }
  if (na > 0) {
    const cols = columnsOf(ackColumns.length, na)
    for (let i = 0; i < na; i++) {
      const a = acks[ah + i]!
      cols[1]![i] = text(a.tenantId)
      cols[2]![i] = text(a.elderId)
      cols[3]![i] = text(a.deviceId)
      cols[4]![i] = text(a.commandId)
      cols[5]![i] = text(a.status)
    }
    params.push(floatColumn(binaryFloats, 'float8', na, (i) => acks[ah + i]!.ts))
    for (let k = 1; k < cols.length; k++) params.push(literal(cols[k]!))
  }
  return params
}

/** (elder, device) pairs as four parallel columns: tenant, elder, device, kind. */
export interface DevicePairs {
  tenant: string[]
  elder: string[]
  device: string[]
  kind: string[]
}

/**
 * The (elder, device) pairs of these readings that `known` (device id → elder id, pairs already
 * committed to elder_devices) does not hold, each once; undefined when there are none — the
 * steady state, in which a batch costs the database nothing for them. Readings have no elder
 * index (migration 021): an elder's readings are found through elder_devices, so every pair must
 * be recorded in the same statement as its first readings. Device ids are unique across
 * tenants, so the device and its elder name the pair.
 */
export function newDevicePairs(readings: ReadonlyArray<WatchReading | CameraReading>, known: ReadonlyMap<string, string>): DevicePairs | undefined {
  let pairs: DevicePairs | undefined
  let seen: Map<string, string> | undefined
  for (let i = 0; i < readings.length; i++) {
    const r = readings[i]!
    if (known.get(r.deviceId) === r.elderId || seen?.get(r.deviceId) === r.elderId) continue
    pairs ??= { tenant: [], elder: [], device: [], kind: [] }
    seen ??= new Map()
    seen.set(r.deviceId, r.elderId)
    pairs.tenant.push(r.tenantId)
    pairs.elder.push(r.elderId)
    pairs.device.push(r.deviceId)
    pairs.kind.push(r.kind)
  }
  return pairs
}

/** The four array literals of telemetryInsertSql's `pairs` CTE. */
export function devicePairParams(pairs: DevicePairs): string[] {
  return [pairs.tenant, pairs.elder, pairs.device, pairs.kind].map((column) => literal(column.map(text)))
}
