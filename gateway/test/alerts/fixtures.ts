import { randomUUID } from 'node:crypto'
import type { Finding, RuleId } from '../../../rules/src/index'
import { appendChange, type Change } from '../../src/stream/change-log-store'
import type { AlertEffects, AlertEvent } from '../../src/alerts/effects'
import type { RiskLevel } from '../../../contract/levels'
import type { Db } from '../../src/storage/db'

/**
 * Fixtures for the alert lifecycle tests: a tenant with staff and a police user, elders made
 * fresh per test (so one migrated database serves a whole suite), findings at fixed event
 * times, and alert effects that record what they were asked to do.
 */
export const T0 = Date.UTC(2026, 10, 2, 2, 0, 0)
export const MIN = 60_000
export const HOUR = 3_600_000

export async function seedTenant(db: Db, tenantId: string): Promise<{ adminId: string; operatorId: string; policeId: string; stationId: string; disabledId: string }> {
  const ids = { adminId: randomUUID(), operatorId: randomUUID(), policeId: randomUUID(), stationId: randomUUID(), disabledId: randomUUID() }
  await db.query('INSERT INTO tenants (id, name) VALUES ($1, $1)', [tenantId])
  await db.query("INSERT INTO police_stations (id, tenant_id, name, webhook_url, secret, format) VALUES ($1, $2, 'station', 'http://127.0.0.1:9/x', 's', 'json')", [ids.stationId, tenantId])
  const user = (id: string, role: string, station: string | null, disabled = false) =>
    db.query('INSERT INTO users (id, tenant_id, username, password_hash, role, police_station_id, disabled) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
      id,
      tenantId,
      `${tenantId}-${role}-${id.slice(0, 6)}`,
      'scrypt$00$00',
      role,
      station,
      disabled,
    ])
  await user(ids.adminId, 'admin', null)
  await user(ids.operatorId, 'operator', null)
  await user(ids.policeId, 'police', ids.stationId)
  await user(ids.disabledId, 'operator', null, true)
  return ids
}

export async function newElder(db: Db, tenantId: string): Promise<string> {
  const id = randomUUID()
  await db.query("INSERT INTO elders (id, tenant_id, name, home_lat, home_lon) VALUES ($1, $2, 'elder', 31.2, 121.4)", [id, tenantId])
  return id
}

let dedup = 0
export function finding(tenantId: string, elderId: string, rule: RuleId, level: RiskLevel, ts: number, dedupKey?: string): Finding {
  return { rule, tenantId, elderId, level, ts, dedupKey: dedupKey ?? `${rule}:${elderId}:${ts}:${++dedup}`, summary: `${rule} at ${level}`, evidence: { ts } }
}

export interface RecordingEffects extends AlertEffects {
  planned: AlertEvent[]
  /** The change-log entries handed to each afterCommit call. */
  committed: Change[][]
}

/**
 * Effects whose planner writes a real change-log row in the alert's transaction (so the test
 * can see whether the row survived) and, with failOn, throws for that kind of change after
 * writing it. afterCommit runs `onCommit` so a test can look at the database from outside.
 */
export function recordingEffects(opts: { failOn?: AlertEvent['change']; onCommit?: (changes: readonly Change[]) => void } = {}): RecordingEffects {
  const planned: AlertEvent[] = []
  const committed: Change[][] = []
  return {
    planned,
    committed,
    async plan(tx, event) {
      planned.push(event)
      const draft = { tenantId: event.alert.tenantId, topic: 'alert' as const, entityId: event.alert.id, payload: { change: event.change, level: event.alert.level } }
      if (event.change === opts.failOn) {
        // A planner that wrote before it failed: its row must roll back with the alert change.
        await appendChange(tx, draft.tenantId, draft.topic, draft.entityId, draft.payload)
        throw new Error(`planner refused ${event.change}`)
      }
      return { changes: [draft], writes: [] }
    },
    afterCommit(changes) {
      committed.push([...changes])
      opts.onCommit?.(changes)
    },
  }
}

export async function historyActions(db: Db, alertId: string): Promise<Array<{ action: string; actor: string; from_status: string | null; to_status: string | null; from_level: string | null; to_level: string | null }>> {
  return db.query('SELECT action, actor, from_status, to_status, from_level, to_level FROM alert_history WHERE alert_id = $1 ORDER BY id', [alertId])
}

export async function changeLogCount(db: Db, tenantId: string): Promise<number> {
  const rows = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM change_log WHERE tenant_id = $1', [tenantId])
  return rows[0]?.n ?? 0
}
