/**
 * ingest / advance with a lateness bound (issue item 5, DESIGN §5 "Late and buffered data
 * inside the lateness bound give the same findings as the same data in order").
 *
 * Per elder the slot keeps the inputs of the last `latenessMs` (window.ts) and checkpoints of
 * the elder state taken every latenessMs/2 of event time. An input in order is applied at once
 * (the common case: no sorting, no copying). An input older than the newest one but inside
 * the bound restores the newest checkpoint before it and replays the window with it, in
 * order — once per elder per ingest call, however many late inputs the call carries. Older
 * inputs are counted in `tooLate` and not evaluated (SOS and fall still fire: they need no
 * state and a buffered SOS is exactly the one sent without signal).
 *
 * Findings other than SOS/fall are parked in the replayable state and emitted by advance(),
 * so a replay can still change them (emit.ts). Emitted keys sit outside the replayable state.
 */
import type { RuleInput } from './input'
import type { RuleConfig } from './config'
import type { ElderProfile, Finding } from './types'
import type { VenueIndex } from './venue-index'
import type { Env } from './emit'
import { emitOnce } from './emit'
import type { ElderSlot, EngineState } from './state'
import { cloneJson, initialElderState, NEVER, NO_CHECKPOINT } from './state'
import { checkTime, step } from './step'
import { groupProfiles, groupSlots, PREFETCH_GROUP, prefetchGroup, releaseGroup } from './prefetch'
import { appendInput, dropOldest, lastInput, newChunk, resetWindow, truncateWindow, sameInput, windowFrom, windowHas, windowLength } from './window'
import { safetyEvent } from './devices'
import { prunePool } from './candidate'
import { judgeSilence, newDeliveryLog, noteArrival, settleLag } from './delivery'

export interface EngineContext {
  config: RuleConfig
  venues: VenueIndex
  elder(id: string): ElderProfile | undefined
  /** IANA zone for "overnight" and local days, e.g. Asia/Shanghai (DESIGN §4 EG_TZ). */
  timeZone: string
}

export interface EngineStep {
  state: EngineState
  findings: Finding[]
  /** Inputs older than the lateness bound: not evaluated, counted. */
  tooLate: number
}

const DAY = 86_400_000
const KIND_RANK = { camera: 0, watch: 1, event: 2 } as const

/** Total order for replay: event time, then kind, then device (ties must not depend on arrival). */
export function compareInputs(a: RuleInput, b: RuleInput): number {
  return a.ts - b.ts || KIND_RANK[a.kind] - KIND_RANK[b.kind] || (a.deviceId < b.deviceId ? -1 : a.deviceId > b.deviceId ? 1 : 0)
}

function makeEnv(ctx: EngineContext, state: EngineState, mode: Env['mode']): Env {
  return { config: ctx.config, venues: ctx.venues, timeZone: ctx.timeZone, profile: undefined, slot: null, mode, out: [], pool: state.candidates }
}

/**
 * The initial checkpoint is stamped with the first input's time, not NEVER: either way it holds
 * the initial state before an empty window, but NEVER made that first input take a second,
 * identical snapshot at once (10,000 needless clones when 10,000 elders start).
 */
function newSlot(tenantId: string, elderId: string, firstTs: number): ElderSlot {
  const live = initialElderState(tenantId, elderId)
  return {
    newestTs: NEVER,
    live,
    chunks: [],
    tail: newChunk(),
    tailCount: 0,
    windowStart: 0,
    checkpoints: [{ ts: firstTs, index: 0, state: cloneJson(live) }],
    lastCheckpointTs: firstTs,
    trimCheckpointTs: NO_CHECKPOINT,
    emitted: {},
    nextPruneTs: NEVER,
    delivery: newDeliveryLog(),
  }
}

/** A slot saved before the window was chunked and checkpoint times were copied into the slot. */
function upgradeSlot(slot: ElderSlot): void {
  const legacy = slot as ElderSlot & { window?: RuleInput[] }
  resetWindow(slot, legacy.window ?? [])
  delete legacy.window
  markCheckpoints(slot)
}

/** Refresh the slot's copies of checkpoint times after the checkpoint list changed. */
function markCheckpoints(slot: ElderSlot): void {
  const cps = slot.checkpoints
  slot.lastCheckpointTs = cps[cps.length - 1]!.ts
  slot.trimCheckpointTs = cps.length > 1 ? cps[1]!.ts : NO_CHECKPOINT
}

/** Drop checkpoints (and their inputs) that no input inside the bound can need any more. */
function trim(slot: ElderSlot, latenessMs: number): void {
  const cps = slot.checkpoints
  const horizon = slot.newestTs - latenessMs
  let k = 0
  while (k + 1 < cps.length && cps[k + 1]!.ts < horizon) k++
  if (k === 0) return
  const cut = cps[k]!.index
  dropOldest(slot, cut)
  cps.splice(0, k)
  for (const cp of cps) cp.index -= cut
  markCheckpoints(slot)
}

function applyInOrder(env: Env, slot: ElderSlot, input: RuleInput): void {
  const ts = input.ts
  const latenessMs = env.config.latenessMs
  if (ts >= slot.lastCheckpointTs + Math.max(1, latenessMs / 2)) {
    slot.checkpoints.push({ ts, index: windowLength(slot), state: cloneJson(slot.live) })
    markCheckpoints(slot)
  }
  appendInput(slot, input)
  step(env, slot.live, input)
  if (ts > slot.newestTs) slot.newestTs = ts
  // trim() would find nothing to drop unless the second checkpoint fell behind the bound.
  if (slot.trimCheckpointTs < slot.newestTs - latenessMs) trim(slot, latenessMs)
}

function isInOrder(slot: ElderSlot, input: RuleInput): boolean {
  if (input.ts !== slot.newestTs) return input.ts > slot.newestTs
  const last = lastInput(slot)
  return last === undefined || compareInputs(input, last) >= 0
}

function replay(env: Env, slot: ElderSlot, late: RuleInput[]): number {
  const horizon = slot.newestTs - env.config.latenessMs
  const accepted = late.filter((input) => input.ts >= horizon).sort(compareInputs)
  const rejected = late.length - accepted.length
  const first = accepted[0]
  if (first === undefined) return rejected
  const cps = slot.checkpoints
  let k = cps.length - 1
  while (k > 0 && cps[k]!.ts >= first.ts) k--
  const cp = cps[k]!
  const tail = windowFrom(slot, cp.index)
  const merged: RuleInput[] = []
  let i = 0
  let j = 0
  while (i < tail.length || j < accepted.length) {
    if (j >= accepted.length || (i < tail.length && compareInputs(tail[i]!, accepted[j]!) <= 0)) merged.push(tail[i++]!)
    else {
      const input = accepted[j++]!
      // Two copies of one late input in the same call: apply it once.
      const previous = merged[merged.length - 1]
      if (previous === undefined || !sameInput(previous, input)) merged.push(input)
    }
  }
  truncateWindow(slot, cp.index)
  cps.length = k + 1
  markCheckpoints(slot)
  slot.live = cloneJson(cp.state)
  slot.newestTs = cp.ts
  env.replaying = true
  try {
    for (const input of merged) applyInOrder(env, slot, input)
  } finally {
    env.replaying = false
  }
  return rejected
}

export function ingest(state: EngineState, inputs: readonly RuleInput[], ctx: EngineContext): EngineStep {
  const env = makeEnv(ctx, state, 'ingest')
  const latenessMs = ctx.config.latenessMs
  let tooLate = 0
  let late: Map<string, RuleInput[]> | null = null
  for (let i = 0; i < inputs.length; i++) {
    const g = i % PREFETCH_GROUP
    if (g === 0) prefetchGroup(state, inputs, i, Math.min(inputs.length, i + PREFETCH_GROUP), ctx)
    const input = inputs[i]!
    // Undefined for a new elder, or one first seen earlier in this group: look again.
    let slot = groupSlots[g] ?? state.elders[input.elderId]
    if (slot === undefined) slot = state.elders[input.elderId] = newSlot(input.tenantId, input.elderId, input.ts)
    else if (typeof slot.lastCheckpointTs !== 'number') upgradeSlot(slot)
    env.slot = slot
    env.profile = groupProfiles[g]
    // Not newer than anything seen: possibly a re-delivery of an input already applied — or
    // the gateway's own replay after a crash, which is no delivery: the first one counted.
    if (input.ts <= slot.newestTs && windowHas(slot, input)) continue
    // Every input inside the lateness bound is a delivery, judged in arrival order (delivery.ts).
    if (input.ts >= slot.newestTs - latenessMs) noteArrival(env, slot, input)
    if (isInOrder(slot, input)) {
      // Late inputs of this elder seen earlier in the call go first: the outcome must not
      // depend on how the upload was cut into calls.
      const waiting = late?.get(input.elderId)
      if (waiting !== undefined) {
        late!.delete(input.elderId)
        tooLate += replay(env, slot, waiting)
      }
      applyInOrder(env, slot, input)
    } else if (input.ts < slot.newestTs - latenessMs) {
      tooLate++
      if (input.kind === 'event' && (input.type === 'sos' || input.type === 'fall')) safetyEvent(env, slot.live, input)
    } else {
      late ??= new Map()
      const list = late.get(input.elderId)
      if (list === undefined) late.set(input.elderId, [input])
      else list.push(input)
    }
  }
  releaseGroup()
  if (late !== null) {
    for (const [elderId, list] of late) {
      const slot = state.elders[elderId]!
      env.slot = slot
      env.profile = ctx.elder(elderId)
      tooLate += replay(env, slot, list)
    }
  }
  return { state, findings: env.out, tooLate }
}

/**
 * Time-based rules at `now` (wall clock, or the newest event time in EG_CLOCK=event mode),
 * plus emission of parked findings. Conditions of event time (absence, a removal's grace) are
 * judged up to what the elder's data covers or its recent delivery lag (≤ `settleMs`) behind `now`; silence by arrival up
 * to `now` (delivery.ts). Reads the replayable state, never changes it (except the
 * parked list), so a later replay still sees exactly what in-order processing would.
 */
export function advance(state: EngineState, now: number, ctx: EngineContext): EngineStep {
  const env = makeEnv(ctx, state, 'advance')
  for (const elderId in state.elders) advanceSlot(env, state, ctx, elderId, now)
  const pool = state.candidates
  if (now >= pool.nextPruneTs) {
    prunePool(pool, now, ctx.config.rules['venue.candidate'].windowDays)
    pool.nextPruneTs = now + DAY / 24
  }
  env.out.sort(byTimeThenKey)
  return { state, findings: env.out, tooLate: 0 }
}

/**
 * advance() for a few elders only — those an ingest just touched — so their parked findings
 * go out at once instead of on the next clock step, at a cost proportional to the elders
 * touched rather than to the whole tenant. Same per-elder work as advance().
 */
export function advanceElders(state: EngineState, elderIds: Iterable<string>, now: number, ctx: EngineContext): EngineStep {
  const env = makeEnv(ctx, state, 'advance')
  for (const elderId of elderIds) if (state.elders[elderId]) advanceSlot(env, state, ctx, elderId, now)
  env.out.sort(byTimeThenKey)
  return { state, findings: env.out, tooLate: 0 }
}

function byTimeThenKey(a: Finding, b: Finding): number {
  return a.ts - b.ts || (a.dedupKey < b.dedupKey ? -1 : a.dedupKey > b.dedupKey ? 1 : 0)
}

function advanceSlot(env: Env, state: EngineState, ctx: EngineContext, elderId: string, now: number): void {
  const slot = state.elders[elderId]!
  const s = slot.live
  env.slot = slot
  env.profile = ctx.elder(elderId)
  // Judged only as far as the elder's data covers, or as far behind the clock as their data has
  // lately been arriving (at most settleMs): fixes still in a buffering watch must not be taken
  // for the elder staying where the last upload left them, and a finding parked at an event
  // time whose data may still be on its way waits too. A live device: no wait.
  const due = now - settleLag(env, slot, now)
  const pending = s.pending
  let kept = 0
  for (let i = 0; i < pending.length; i++) {
    const f = pending[i]!
    if (f.ts > due) pending[kept++] = f
    else if (f.refresh === true) env.out.push(f)
    else emitOnce(slot.emitted, f, env.out, ctx.config.dedupRetentionMs)
  }
  pending.length = kept
  const horizon = Math.max(s.lastTs, due)
  if (horizon > s.lastTs) checkTime(env, s, s.lastTs, horizon)
  judgeSilence(env, slot, now)
  if (now >= slot.nextPruneTs) {
    for (const key in slot.emitted) if (slot.emitted[key]! < now) delete slot.emitted[key]
    slot.nextPruneTs = now + DAY
  }
}
