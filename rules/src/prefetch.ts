/**
 * Group prefetching for ingest(). With thousands of elders, consecutive inputs belong to
 * different elders, and applying one input is a chain of dependent loads that each miss the
 * CPU cache: the slot, its live state, the device list, the profile and home, the window's
 * tail chunk. Applied one input at a time, those misses are paid one after another.
 *
 * Before a group of inputs is applied, these passes look the slots and profiles up and read
 * one field of each object the input will touch. Loads of different inputs do not depend on
 * each other, so the CPU overlaps their misses; when the inputs are then applied, the lines
 * are already in cache. Only reads: no engine state changes here, and the profile looked up
 * is the one the input is applied with (ctx.elder is a lookup, called once per input as before).
 */
import type { RuleInput } from './input'
import type { ElderProfile } from './types'
import type { ElderSlot, EngineState } from './state'

/** Inputs per group: their touched lines (~10 per input) should stay within L2. */
export const PREFETCH_GROUP = 256

/** Lookups of the current group, reused by every call (a scratch buffer, not engine state). */
export const groupSlots: Array<ElderSlot | undefined> = new Array<ElderSlot | undefined>(PREFETCH_GROUP).fill(undefined)
export const groupProfiles: Array<ElderProfile | undefined> = new Array<ElderProfile | undefined>(PREFETCH_GROUP).fill(undefined)

/** Where the prefetch reads go, so the compiler cannot drop them as unused. */
let sink = 0

export function prefetchGroup(
  state: EngineState,
  inputs: readonly RuleInput[],
  from: number,
  to: number,
  ctx: { elder(id: string): ElderProfile | undefined },
): void {
  const elders = state.elders
  let acc = 0
  // Pass 1: the lookups themselves (hash probes; independent across inputs).
  for (let i = from; i < to; i++) {
    const id = inputs[i]!.elderId
    const slot = elders[id]
    // A slot saved in an older layout is left to ingest(), which upgrades it first.
    groupSlots[i - from] = slot !== undefined && typeof slot.lastCheckpointTs === 'number' ? slot : undefined
    groupProfiles[i - from] = ctx.elder(id) // as a method call: the caller's lookup may use `this`
  }
  // Pass 2: the objects those point to.
  for (let i = 0; i < to - from; i++) {
    const slot = groupSlots[i]
    if (slot !== undefined) acc += slot.newestTs + slot.tailCount + slot.live.lastTs + slot.tail.length
    const profile = groupProfiles[i]
    if (profile !== undefined) acc += profile.home.lat
  }
  // Pass 3: one level deeper (device list, last fix, the tail entry about to be written).
  for (let i = 0; i < to - from; i++) {
    const slot = groupSlots[i]
    if (slot === undefined) continue
    const s = slot.live
    const devices = s.devices
    if (devices.length > 0) acc += devices[0]!.lastTs
    if (s.lastFix !== null) acc += s.lastFix.ts
    // Elders away from home also touch their absence, open visit and stay.
    if (s.absence !== null) acc += s.absence.since
    if (s.visit !== null) acc += s.visit.lastInside
    if (s.stay !== null) acc += s.stay.lastTs
    if (slot.tail[slot.tailCount] === null) acc++
  }
  sink = acc
}

/** Drop the group's references so the scratch buffer keeps no engine state alive. */
export function releaseGroup(): void {
  groupSlots.fill(undefined)
  groupProfiles.fill(undefined)
}

export function prefetchSink(): number {
  return sink
}
