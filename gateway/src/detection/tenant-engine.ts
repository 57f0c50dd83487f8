import {
  buildVenueIndex,
  checkpointSlot,
  defaultRuleConfig,
  initialEngineState,
  parseRuleConfig,
  type ElderProfile,
  type EngineContext,
  type EngineState,
  type RuleConfig,
} from '../../../rules/src/index'
import type { Logger } from '../logger'
import type { Db } from '../storage/db'
import { currentRuleConfig, loadCheckpoint, loadElderProfile, loadElderProfiles, loadVenues } from './engine-store'

/**
 * One tenant's live rule engine: its state (restored from the last checkpoint), and the
 * context the pure engine reads — config, venue index, elder profiles. Enrichment (DESIGN §2)
 * happens here, separate from detection: the engine only ever sees plain profiles.
 */
export interface TenantEngine {
  tenantId: string
  state: EngineState
  ctx: EngineContext
  configVersion: number
  elders: Map<string, ElderProfile>
  /** Elder ids whose state changed since the last checkpoint. */
  dirty: Set<string>
  /** Newest event time seen (drives EG_CLOCK=event). */
  eventNow: number
  lastAdvance: number
  checkpointAt: Date | null
}

/** The engine keeps one sub-state per elder under `elders`; everything else is tenant-wide. */
type SplittableState = EngineState

const ELDER_SCOPE = 'elder:'
const TENANT_SCOPE = 'tenant'

export function configFromStored(raw: unknown, logger: Pick<Logger, 'warn'>, tenantId: string): RuleConfig {
  if (raw === null || raw === undefined) return defaultRuleConfig
  const parsed = parseRuleConfig(raw)
  if (parsed.ok) return parsed.config
  // A stored config was valid when saved; failing now means the schema moved on. Defaults are
  // safer than no detection at all, and the warning says which fields to fix.
  logger.warn({ tenantId, errors: parsed.errors }, 'stored rule config no longer valid; using defaults')
  return defaultRuleConfig
}

export async function loadTenantEngine(db: Db, tenantId: string, timeZone: string, logger: Logger): Promise<TenantEngine> {
  const [stored, venues, profiles, checkpoint] = await Promise.all([
    currentRuleConfig(db, tenantId),
    loadVenues(db, tenantId),
    loadElderProfiles(db, tenantId),
    loadCheckpoint(db, tenantId),
  ])
  const elders = new Map(profiles.map((p) => [p.id, p]))
  const state = initialEngineState() as SplittableState
  const tenantPart = checkpoint.scopes[TENANT_SCOPE]
  if (tenantPart && typeof tenantPart === 'object') Object.assign(state, tenantPart)
  state.elders = {}
  for (const [scope, elderState] of Object.entries(checkpoint.scopes)) {
    if (scope.startsWith(ELDER_SCOPE)) state.elders[scope.slice(ELDER_SCOPE.length)] = elderState as EngineState['elders'][string]
  }
  return {
    tenantId,
    state,
    ctx: {
      config: configFromStored(stored?.config, logger, tenantId),
      venues: buildVenueIndex(venues),
      elder: (id) => elders.get(id),
      timeZone,
    },
    configVersion: stored?.version ?? 0,
    elders,
    dirty: new Set(),
    eventNow: 0,
    lastAdvance: 0,
    checkpointAt: checkpoint.savedAt,
  }
}

/** Checkpoint rows for the dirty elders (or all, for a full checkpoint) plus the tenant-wide part. */
export function checkpointScopes(engine: TenantEngine, full: boolean): Array<[string, unknown]> {
  const state = engine.state as SplittableState
  const ids = full ? Object.keys(state.elders) : [...engine.dirty]
  const scopes: Array<[string, unknown]> = []
  for (const id of ids) {
    const slot = state.elders[id]
    // Without the lateness window: its inputs are in storage, and serialising hours of them
    // per elder stalled the event loop (see checkpointSlot in rules/src/window.ts).
    if (slot !== undefined) scopes.push([ELDER_SCOPE + id, checkpointSlot(slot)])
  }
  const { elders: _elders, ...tenantPart } = state
  scopes.push([TENANT_SCOPE, tenantPart])
  return scopes
}

export async function refreshVenues(db: Db, engine: TenantEngine): Promise<void> {
  engine.ctx.venues = buildVenueIndex(await loadVenues(db, engine.tenantId))
}

export async function refreshElders(db: Db, engine: TenantEngine): Promise<void> {
  const profiles = await loadElderProfiles(db, engine.tenantId)
  engine.elders.clear()
  for (const p of profiles) engine.elders.set(p.id, p)
}

/** One elder registered, moved or deleted: only that profile is re-read. */
export async function refreshElder(db: Db, engine: TenantEngine, elderId: string): Promise<void> {
  const profile = await loadElderProfile(db, engine.tenantId, elderId)
  if (profile === null) engine.elders.delete(elderId)
  else engine.elders.set(elderId, profile)
}

export async function refreshConfig(db: Db, engine: TenantEngine, logger: Logger): Promise<void> {
  const stored = await currentRuleConfig(db, engine.tenantId)
  engine.ctx.config = configFromStored(stored?.config, logger, engine.tenantId)
  engine.configVersion = stored?.version ?? 0
}
