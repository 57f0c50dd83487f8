import type { ElderProfile, Venue, VenueKind } from '../../../rules/src/index'
import type { Db, Queryable } from '../storage/db'

/**
 * Storage for the rule engine: what it needs to know (elder profiles, venues) and its
 * checkpoints (storage layer: the only SQL about rule state and rule configuration).
 */
interface ElderRow {
  id: string
  tenant_id: string
  name: string
  home_lat: number
  home_lon: number
  home_radius_m: number
  expected_away: Array<{ from: number; to: number }> | null
}

const ELDER_PROFILE_SQL = 'SELECT id, tenant_id, name, home_lat, home_lon, home_radius_m, expected_away FROM elders WHERE tenant_id = $1'

export async function loadElderProfiles(db: Queryable, tenantId: string): Promise<ElderProfile[]> {
  return (await db.query<ElderRow>(ELDER_PROFILE_SQL, [tenantId])).map(toElderProfile)
}

/** One elder's profile, or null when the elder is gone (deleted, or another tenant's). */
export async function loadElderProfile(db: Queryable, tenantId: string, elderId: string): Promise<ElderProfile | null> {
  const rows = await db.query<ElderRow>(`${ELDER_PROFILE_SQL} AND id = $2`, [tenantId, elderId])
  return rows[0] === undefined ? null : toElderProfile(rows[0])
}

function toElderProfile(r: ElderRow): ElderProfile {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    name: r.name,
    home: { lat: r.home_lat, lon: r.home_lon, radiusM: r.home_radius_m },
    expectedAway: (r.expected_away ?? []).map((p) => ({ from: Number(p.from), to: Number(p.to) })),
  }
}

interface VenueRow {
  id: string
  name: string
  kind: VenueKind
  risky: boolean
  lat: number | null
  lon: number | null
  radius_m: number | null
  polygon: Array<[number, number]> | null
}

export async function loadVenues(db: Queryable, tenantId: string): Promise<Venue[]> {
  const rows = await db.query<VenueRow>(
    'SELECT id, name, kind, risky, lat, lon, radius_m, polygon FROM venues WHERE tenant_id = $1',
    [tenantId],
  )
  return rows.map((r) => {
    const venue: Venue = { id: r.id, name: r.name, kind: r.kind, risky: r.risky }
    if (r.polygon && r.polygon.length >= 3) venue.polygon = r.polygon
    else if (r.lat !== null && r.lon !== null && r.radius_m !== null) venue.circle = { lat: r.lat, lon: r.lon, radiusM: r.radius_m }
    return venue
  })
}

export async function listTenantIds(db: Queryable): Promise<string[]> {
  return (await db.query<{ id: string }>('SELECT id FROM tenants ORDER BY created_at')).map((r) => r.id)
}

export interface Checkpoint {
  scopes: Record<string, unknown>
  savedAt: Date | null
}

/** Scopes: `elder:<id>` per elder, `tenant` for cross-elder state (co-location, counters). */
export async function loadCheckpoint(db: Queryable, tenantId: string): Promise<Checkpoint> {
  const rows = await db.query<{ scope: string; state: unknown; updated_at: Date }>(
    'SELECT scope, state, updated_at FROM rule_state WHERE tenant_id = $1',
    [tenantId],
  )
  const scopes: Record<string, unknown> = {}
  let savedAt: Date | null = null
  for (const r of rows) {
    scopes[r.scope] = r.state
    // The tenant row is written by every checkpoint, so its time is the checkpoint's.
    if (r.scope === 'tenant') savedAt = r.updated_at
  }
  return { scopes, savedAt }
}

/** The checkpoint rows as one JSON document, taken synchronously (the state keeps changing). */
export function checkpointDocument(scopes: ReadonlyArray<[string, unknown]>): string {
  return JSON.stringify(scopes.map(([scope, state]) => ({ scope, state })))
}

/**
 * One JSON document as one text parameter: pg sends it as is, where a text[] parameter would
 * be escaped character by character on the event loop.
 */
export async function saveCheckpointDocument(db: Db, tenantId: string, document: string): Promise<void> {
  await db.query(
    `INSERT INTO rule_state (tenant_id, scope, state, updated_at)
     SELECT $1, e->>'scope', e->'state', now() FROM jsonb_array_elements($2::jsonb) AS e
     ON CONFLICT (tenant_id, scope) DO UPDATE SET state = EXCLUDED.state, updated_at = EXCLUDED.updated_at`,
    [tenantId, document],
  )
}

export interface StoredRuleConfig {
  version: number
  config: unknown
  createdBy: string
  note: string | null
  createdAt: string
}

interface ConfigRow {
  version: number
  config: unknown
  created_by: string
  note: string | null
  created_at: Date
}

const toStored = (r: ConfigRow): StoredRuleConfig => ({
  version: r.version,
  config: r.config,
  createdBy: r.created_by,
  note: r.note,
  createdAt: r.created_at.toISOString(),
})

export async function currentRuleConfig(db: Queryable, tenantId: string): Promise<StoredRuleConfig | null> {
  const rows = await db.query<ConfigRow>(
    'SELECT version, config, created_by, note, created_at FROM rule_configs WHERE tenant_id = $1 ORDER BY version DESC LIMIT 1',
    [tenantId],
  )
  return rows[0] ? toStored(rows[0]) : null
}

export async function listRuleConfigs(db: Queryable, tenantId: string): Promise<StoredRuleConfig[]> {
  const rows = await db.query<ConfigRow>(
    'SELECT version, config, created_by, note, created_at FROM rule_configs WHERE tenant_id = $1 ORDER BY version DESC',
    [tenantId],
  )
  return rows.map(toStored)
}

/** A new version, audited; versions only grow, so any earlier config can be restored by PUTting it again. */
export async function saveRuleConfig(
  db: Db,
  tenantId: string,
  config: unknown,
  actor: string,
  note: string | null,
): Promise<StoredRuleConfig> {
  return db.transaction(async (tx) => {
    // Serialises concurrent PUTs per tenant so versions never collide.
    await tx.query('SELECT id FROM tenants WHERE id = $1 FOR UPDATE', [tenantId])
    const rows = await tx.query<ConfigRow>(
      `INSERT INTO rule_configs (tenant_id, version, config, created_by, note)
       SELECT $1, COALESCE(MAX(version), 0) + 1, $2::jsonb, $3, $4 FROM rule_configs WHERE tenant_id = $1
       RETURNING version, config, created_by, note, created_at`,
      [tenantId, JSON.stringify(config), actor, note],
    )
    const stored = toStored(rows[0] as ConfigRow)
    await tx.query(
      "INSERT INTO audit_log (tenant_id, actor, action, target, detail) VALUES ($1, $2, 'rules.update', $3, $4::jsonb)",
      [tenantId, actor, `rules:v${stored.version}`, JSON.stringify({ note })],
    )
    return stored
  })
}
