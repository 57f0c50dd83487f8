/**
 * Where findings go. Immediate rules (SOS, fall: DESIGN §5 "red, immediately") are emitted as
 * soon as they are seen. Every other finding is derived from replayable elder state, so it is
 * parked in `state.pending` and emitted by the next advance(): a late input inside the
 * lateness bound restores a checkpoint and replays, which rebuilds `pending` as if the inputs
 * had come in order — so findings that late data would have prevented are never emitted
 * (issue item 5: same findings as in order). Emitted dedup keys live outside the replayable
 * state and are never rolled back, so no key is emitted twice (issue item 1).
 */
import type { RuleConfig } from './config'
import type { ElderProfile, Finding, RiskLevel, RuleId } from './types'
import type { VenueIndex } from './venue-index'
import type { CandidatePool, ElderSlot, ElderState } from './state'

/** What one ingest/advance call works with; built once per call, never stored in state. */
export interface Env {
  config: RuleConfig
  venues: VenueIndex
  timeZone: string
  /** Profile of the elder being processed (undefined if the gateway does not know it). */
  profile: ElderProfile | undefined
  slot: ElderSlot | null
  mode: 'ingest' | 'advance'
  out: Finding[]
  pool: CandidatePool
  /** Set while a rule is re-run only to refresh the evidence of what it already fired. */
  refreshing?: boolean
  /** Set while late inputs are replayed from a checkpoint (engine.ts replay). */
  replaying?: boolean
}

export function elderName(env: Env, s: ElderState): string {
  return env.profile?.name ?? s.elderId
}

export function makeFinding(
  s: ElderState,
  rule: RuleId,
  level: RiskLevel,
  keyParts: string,
  ts: number,
  summary: string,
  evidence: Record<string, unknown>,
): Finding {
  return { rule, tenantId: s.tenantId, elderId: s.elderId, level, dedupKey: `${rule}|${s.elderId}|${keyParts}`, ts, summary, evidence }
}

/** Emit `f` unless its key was emitted before; remember the key until it expires. */
export function emitOnce(emitted: Record<string, number>, f: Finding, out: Finding[], retentionMs: number): void {
  if (emitted[f.dedupKey] !== undefined) return
  emitted[f.dedupKey] = f.ts + retentionMs
  out.push(f)
}

function isImmediate(rule: RuleId): boolean {
  return rule === 'safety.sos' || rule === 'safety.fall'
}

export function fire(env: Env, s: ElderState, f: Finding): void {
  const slot = env.slot
  if (slot === null) return
  if (env.refreshing === true) return refresh(slot.emitted, s, f)
  // A replay re-derives what was emitted before the late inputs came, now with them: the
  // finding stays emitted once, its evidence becomes what in-order data gives (an absence's
  // last fix, a visit's dwell) — "same findings as in order" includes what they say.
  if (env.replaying === true && slot.emitted[f.dedupKey] !== undefined) return refresh(slot.emitted, s, f)
  if (env.mode === 'advance' || isImmediate(f.rule)) {
    emitOnce(slot.emitted, f, env.out, env.config.dedupRetentionMs)
    return
  }
  if (slot.emitted[f.dedupKey] !== undefined) return
  for (const p of s.pending) if (p.dedupKey === f.dedupKey) return
  s.pending.push(f)
}

/**
 * The evidence of a finding fired earlier, as it stands now: still parked → the parked one is
 * brought up to date; already emitted → a refresh is parked (the latest one only); neither (a
 * key the rule never fired, e.g. its window has moved on) → nothing.
 */
function refresh(emitted: Record<string, number>, s: ElderState, f: Finding): void {
  const pending = s.pending
  for (let i = 0; i < pending.length; i++) {
    const p = pending[i]!
    if (p.dedupKey !== f.dedupKey) continue
    if (p.refresh === true) pending.splice(i, 1)
    else {
      p.summary = f.summary
      p.evidence = f.evidence
      return
    }
    break
  }
  if (emitted[f.dedupKey] !== undefined) pending.push({ ...f, refresh: true })
}

/** Re-runs `check` for its evidence only: whatever it fires refreshes what it fired before. */
export function refreshing(env: Env, check: () => void): void {
  env.refreshing = true
  try {
    check()
  } finally {
    env.refreshing = false
  }
}

export function minutes(ms: number): number {
  return Math.round(ms / 60_000)
}
