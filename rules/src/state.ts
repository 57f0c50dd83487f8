/**
 * Engine state: plain JSON data only (DESIGN §6 "state is plain serialisable data"), so the
 * gateway can checkpoint it and restore it after a restart. Per-elder slots live under
 * `elders[elderId]` so only changed elders need writing.
 */
import type { DeviceKind, RuleInput } from './input'
import type { Finding } from './types'

/** A sentinel "before everything" time that survives JSON (unlike -Infinity). */
export const NEVER = -8_640_000_000_000_000
/** A sentinel "after everything" time that survives JSON (unlike Infinity). */
export const NO_CHECKPOINT = 8_640_000_000_000_000

/** A risky or bank visit that reached its minimum dwell (DESIGN §5 venue.repeat, money). */
export interface VisitRecord {
  venueId: string
  venueName: string
  kind: string
  risky: boolean
  start: number
  end: number
  /** Local day number of the start, for "3 days in a row". */
  day: number
}

/** The visit the elder is in now (DESIGN §5 hysteresis). */
export interface OpenVisit {
  venueId: string
  start: number
  lastInside: number
  /** First fix beyond geofence + margin since the last inside fix, or null. */
  outsideSince: number | null
  /** Whether it reached minimum dwell and was appended to `visits`. */
  counted: boolean
  /** The end the findings' evidence last showed (visits.ts refreshes it as the visit goes on). */
  shownEnd?: number
}

/** The absence in progress. */
export interface Absence {
  since: number
  /** absence.long threshold fixed when the absence starts: max(min, factor × p95 baseline). */
  longThresholdMs: number
  baselineP95Ms: number | null
  maxDistanceM: number
  /** Since when the elder has been ≥ trip farKm from home, or null. */
  farSince: number | null
  lastFix: { lat: number; lon: number; ts: number } | null
  /** Start of the next night window still to check (a cache that spares Intl calls). */
  nextNightStart: number
}

/** A place where the elder stays without moving (venue.candidate). */
export interface Stay {
  start: number
  lastTs: number
  sumLat: number
  sumLon: number
  n: number
  recorded: boolean
}

export interface DeviceState {
  id: string
  kind: DeviceKind
  lastTs: number
  /** Start of the current low-battery episode, or null. */
  lowSince: number | null
}

/** Everything replayable about one elder: a pure function of the elder's inputs in order. */
export interface ElderState {
  tenantId: string
  elderId: string
  lastTs: number
  lastWatchTs: number | null
  /** Newest location fix (evidence for SOS, fall, removal). Mutated in place: no allocation. */
  lastFix: { lat: number; lon: number; ts: number } | null
  /** A short array, not a record keyed by device id: one hidden class for every elder. */
  devices: DeviceState[]
  place: 'unknown' | 'home' | 'away'
  placeSince: number
  /** First of the consecutive away fixes not yet confirmed, and how many. */
  awayFirst: number | null
  awayFixes: number
  absence: Absence | null
  /** Completed absences of the baseline window, flat [start, durationMs, ...] (compact). */
  absenceHistory: number[]
  /** Start of the current watch-off episode (removed event or worn:false), or null. */
  removedSince: number | null
  visit: OpenVisit | null
  visits: VisitRecord[]
  stay: Stay | null
  /** Local days with strangers at home, ascending. */
  strangerDays: number[]
  /** Findings derived from replayable state, emitted by the next advance() (see engine.ts). */
  pending: Finding[]
}

export interface Checkpoint {
  /** The state before window entry `index`; every input before it has ts ≤ this ts. */
  ts: number
  index: number
  state: ElderState
}

/** Per-elder slot: live state, the lateness window, checkpoints, emitted keys. */
export interface ElderSlot {
  newestTs: number
  live: ElderState
  /** Inputs since checkpoints[0], in processing order, in chunks (window.ts). */
  chunks: Array<Array<RuleInput | null>>
  tail: Array<RuleInput | null>
  tailCount: number
  windowStart: number
  checkpoints: Checkpoint[]
  /**
   * ts of the newest and of the second-oldest checkpoint (NO_CHECKPOINT while there is one):
   * copies kept beside newestTs so an in-order input decides "checkpoint now?" and "trim now?"
   * without loading the checkpoint array, a cache miss per input with thousands of elders.
   */
  lastCheckpointTs: number
  trimCheckpointTs: number
  /** dedupKey → expiry (event time). Never rolled back by a replay. */
  emitted: Record<string, number>
  nextPruneTs: number
  /** Deliveries in arrival order (delivery.ts); absent in slots saved before it existed. */
  delivery?: DeliveryLog
}

/**
 * When each device last delivered anything, on the rule clock. Kept in ARRIVAL order beside the
 * replayable state, never rolled back by a replay: a replay applies inputs in event-time order,
 * in which a watch's later-arriving fixes are not yet known, and silence judged there would be
 * silence that never happened.
 */
export interface DeliveryLog {
  /** Rule-clock time up to which silence has been judged. */
  checkedTo: number
  /** Per device: [id, kind, last arrival]. A short array: one to three devices per elder. */
  devices: Array<[string, DeviceKind, number]>
  /**
   * How far behind its event time this elder's data has recently been arriving (ms), and the
   * arrival at which that lag was seen: a watch uploading a 25-minute buffer shows ~25 min.
   * advance() waits that long (at most settleMs) before judging the elder's time conditions.
   */
  lagMs: number
  lagAt: number
}

/** One recorded stay in the shared candidate pool. */
export interface PooledStay {
  elderId: string
  start: number
  day: number
  lat: number
  lon: number
}

export interface CandidatePool {
  /** `${tenantId}|${cellX}|${cellY}` → stays in that grid cell. */
  cells: Record<string, PooledStay[]>
  /** Candidates already proposed, so a drifting centre does not propose one place twice. */
  proposed: Array<{ tenantId: string; lat: number; lon: number; dedupKey: string; expires: number }>
  nextPruneTs: number
}

export interface EngineState {
  version: 1
  elders: Record<string, ElderSlot>
  candidates: CandidatePool
}

export function initialEngineState(): EngineState {
  return { version: 1, elders: {}, candidates: { cells: {}, proposed: [], nextPruneTs: NEVER } }
}

export function initialElderState(tenantId: string, elderId: string): ElderState {
  return {
    tenantId,
    elderId,
    lastTs: NEVER,
    lastWatchTs: null,
    lastFix: null,
    devices: [],
    place: 'unknown',
    placeSince: NEVER,
    awayFirst: null,
    awayFixes: 0,
    absence: null,
    absenceHistory: [],
    removedSince: null,
    visit: null,
    visits: [],
    stay: null,
    strangerDays: [],
    pending: [],
  }
}

/** Deep copy of plain JSON data; faster than a JSON round trip and structuredClone. */
export function cloneJson<T>(value: T): T {
  if (value === null || typeof value !== 'object') return value
  if (Array.isArray(value)) {
    const out = new Array<unknown>(value.length)
    for (let i = 0; i < value.length; i++) out[i] = cloneJson(value[i])
    return out as T
  }
  const out: Record<string, unknown> = {}
  for (const key in value) out[key] = cloneJson((value as Record<string, unknown>)[key])
  return out as T
}

export function elderIdsOf(state: EngineState): string[] {
  return Object.keys(state.elders)
}
