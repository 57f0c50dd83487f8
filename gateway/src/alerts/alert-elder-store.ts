import type { FixCandidate } from '../notices/notice-location'
import type { NoticeContext } from '../notices/notice-store'
import type { NoticeFormat } from '../notices/notice-content'
import { DEFAULT_NOTICE_LANGUAGE, type Contact, type NoticeLanguage } from '../registry/types'
import type { Queryable } from '../storage/db'
import { newestFixLateral } from '../storage/position-queries'

/**
 * What the effects of an alert change need to know about its elder (storage layer), read in one
 * statement for all planners: the voice planner's language and devices, the notice planner's
 * name, address, contacts, police station and newest stored fix. Each read was a round trip of
 * its own between an SOS and its voice prompt (bench:latency).
 *
 * The elder row is locked (FOR NO KEY UPDATE, which foreign-key checks do not wait on), so two
 * transactions planning prompts for one elder count the voice rate limit one after the other.
 */
export interface AlertElder {
  language: string
  /** The elder's devices, watch first. */
  deviceIds: string[]
  notice: NoticeContext
}

interface AlertElderRow {
  language: string
  device_ids: string[]
  name: string
  address: string | null
  phone: string | null
  home_lat: number
  home_lon: number
  home_radius_m: number
  contacts: Contact[]
  station_id: string | null
  station_name: string | null
  webhook_url: string | null
  format: NoticeFormat | null
  station_language: NoticeLanguage | null
  /** A Date from the driver; ISO text through to_jsonb (alertElderJsonSql). */
  fix_time: Date | string | null
  fix_lat: number | null
  fix_lon: number | null
  fix_acc: number | null
}

/** The elder's row for its alert's effects, locked; tenant and elder are SQL expressions (parameters), never values. */
function alertElderSql(tenant: string, elder: string): string {
  return `SELECT e.language,
            ARRAY(SELECT d.id FROM devices d WHERE d.tenant_id = e.tenant_id AND d.elder_id = e.id ORDER BY d.kind DESC, d.id) AS device_ids,
            e.name, e.address, e.phone, e.home_lat, e.home_lon, e.home_radius_m, e.contacts,
            s.id AS station_id, s.name AS station_name, s.webhook_url, s.format, s.language AS station_language,
            f.time AS fix_time, f.lat AS fix_lat, f.lon AS fix_lon, f.acc AS fix_acc
     FROM elders e LEFT JOIN police_stations s ON s.id = e.police_station_id AND s.tenant_id = e.tenant_id
     LEFT JOIN LATERAL ${newestFixLateral(tenant, elder)} f ON true
     WHERE e.tenant_id = ${tenant} AND e.id = ${elder}
     FOR NO KEY UPDATE OF e`
}

/**
 * The same read as one jsonb value (NULL: no such elder), for a statement the transaction runs
 * anyway — the claim of the finding (finding-store.ts) — to carry: primeAlertElder takes it.
 */
export function alertElderJsonSql(tenant: string, elder: string): string {
  return `(SELECT to_jsonb(x) FROM (${alertElderSql(tenant, elder)}) x)`
}

function toAlertElder(e: AlertElderRow): AlertElder {
  const fixAt = e.fix_time === null ? null : new Date(e.fix_time)
  const storedFix: FixCandidate | null =
    fixAt !== null && e.fix_lat !== null && e.fix_lon !== null ? { lat: e.fix_lat, lon: e.fix_lon, ts: fixAt.getTime(), acc: e.fix_acc } : null
  return {
    language: e.language,
    deviceIds: e.device_ids,
    notice: {
      elder: { name: e.name, address: e.address, phone: e.phone, home: { lat: e.home_lat, lon: e.home_lon, radiusM: e.home_radius_m }, contacts: e.contacts },
      station:
        e.station_id && e.station_name && e.webhook_url && e.format
          ? { id: e.station_id, name: e.station_name, webhookUrl: e.webhook_url, format: e.format, language: e.station_language ?? DEFAULT_NOTICE_LANGUAGE }
          : null,
      storedFix,
    },
  }
}

/** Reads (and locks) the elder; null: no such elder in the tenant. */
export async function readAlertElder(q: Queryable, tenantId: string, elderId: string): Promise<AlertElder | null> {
  const rows = await q.query<AlertElderRow>(alertElderSql('$1', '$2'), [tenantId, elderId])
  const e = rows[0]
  return e ? toAlertElder(e) : null
}

/** Reads per transaction, by `tenant/elder`: the planners of all the transaction's changes share one read. */
const readsOf = new WeakMap<Queryable, Map<string, Promise<AlertElder | null>>>()

function readsIn(tx: Queryable): Map<string, Promise<AlertElder | null>> {
  let reads = readsOf.get(tx)
  if (reads === undefined) readsOf.set(tx, (reads = new Map()))
  return reads
}

/**
 * readAlertElder once per transaction and elder. `tx` must be a transaction's own Queryable
 * (Db.transaction hands each attempt a fresh one), so a retried transaction reads again and
 * nothing outlives its transaction. Within one, the elder row is locked from the first read on,
 * so its fields cannot have changed for the later planners (the stored fix is the one read first).
 */
export function alertElder(tx: Queryable, tenantId: string, elderId: string): Promise<AlertElder | null> {
  const reads = readsIn(tx)
  const key = `${tenantId}/${elderId}`
  let read = reads.get(key)
  if (read === undefined) reads.set(key, (read = readAlertElder(tx, tenantId, elderId)))
  return read
}

/**
 * Hands alertElder the elder as a statement of this transaction already read it
 * (alertElderJsonSql): the planners then read nothing more. `json` null: no such elder.
 */
export function primeAlertElder(tx: Queryable, tenantId: string, elderId: string, json: unknown): void {
  readsIn(tx).set(`${tenantId}/${elderId}`, Promise.resolve(json === null || json === undefined ? null : toAlertElder(json as AlertElderRow)))
}
