/**
 * The lateness window of one elder: the inputs since its oldest checkpoint, in processing order
 * (engine.ts). Logically one list; stored as fixed-size chunks so the hot path — append one
 * in-order input — is a single store into a preallocated chunk. A plain array grown by push()
 * reallocated and copied its backing store every few dozen inputs, and with thousands of
 * elders each copy survived young-generation GC: that growth and the array-header cache miss
 * cost more than all the rules together (bench: ~350 ns of ~1,300 ns per event).
 *
 * Layout (plain JSON, so the state still round-trips): `chunks` are full, `tail` holds
 * `tailCount` inputs followed by nulls; the first `windowStart` entries of the first chunk
 * (or of the tail, when there are no full chunks) were trimmed. Trimming drops whole chunks.
 */
import type { RuleInput } from './input'
import { NO_CHECKPOINT, type ElderSlot } from './state'

/** Inputs per chunk: small enough that a half-empty tail costs little JSON, large enough to allocate rarely. */
export const WINDOW_CHUNK = 32

export function newChunk(): Array<RuleInput | null> {
  return new Array<RuleInput | null>(WINDOW_CHUNK).fill(null)
}

export function windowLength(slot: ElderSlot): number {
  return slot.chunks.length * WINDOW_CHUNK + slot.tailCount - slot.windowStart
}

export function appendInput(slot: ElderSlot, input: RuleInput): void {
  const tail = slot.tail
  tail[slot.tailCount++] = input
  if (slot.tailCount === WINDOW_CHUNK) {
    slot.chunks.push(tail)
    slot.tail = newChunk()
    slot.tailCount = 0
  }
}

/** Entry `i` of the logical window (0 = oldest kept input). */
function entry(slot: ElderSlot, i: number): RuleInput {
  const p = i + slot.windowStart
  const c = Math.floor(p / WINDOW_CHUNK)
  const chunk = c < slot.chunks.length ? slot.chunks[c]! : slot.tail
  return chunk[p % WINDOW_CHUNK]!
}

export function lastInput(slot: ElderSlot): RuleInput | undefined {
  const n = windowLength(slot)
  return n === 0 ? undefined : entry(slot, n - 1)
}

/**
 * Whether the window already holds this very input — same device, kind (and event type), and
 * event time. QoS 1 is at-least-once and a gateway replays stored inputs after a crash, so the
 * same reading can arrive twice; processing it twice could count a visit or a day twice.
 * Scans back only over inputs at or after its time (called for inputs that are not newer than
 * the newest, which is rare).
 */
export function windowHas(slot: ElderSlot, input: RuleInput): boolean {
  for (let i = windowLength(slot) - 1; i >= 0; i--) {
    const other = entry(slot, i)
    if (other.ts < input.ts) return false
    if (sameInput(other, input)) return true
  }
  return false
}

/** The same reading or event (a re-delivery), by its identity: device, kind, type, event time. */
export function sameInput(a: RuleInput, b: RuleInput): boolean {
  if (a.ts !== b.ts || a.deviceId !== b.deviceId || a.kind !== b.kind) return false
  return a.kind !== 'event' || (b.kind === 'event' && a.type === b.type)
}

/** Inputs from logical index `from` to the end, as a fresh array (replay only: rare). */
export function windowFrom(slot: ElderSlot, from: number): RuleInput[] {
  const n = windowLength(slot)
  const out: RuleInput[] = []
  for (let i = from; i < n; i++) out.push(entry(slot, i))
  return out
}

/** Keep the first `n` inputs of the window (replay restarts from a checkpoint there). */
export function truncateWindow(slot: ElderSlot, n: number): void {
  const p = n + slot.windowStart
  const c = Math.floor(p / WINDOW_CHUNK)
  if (c < slot.chunks.length) {
    slot.tail = slot.chunks[c]!
    slot.chunks.length = c
  }
  slot.tailCount = p % WINDOW_CHUNK
  slot.tail.fill(null, slot.tailCount)
}

/** Drop the oldest `cut` inputs; nulls them so the window stops holding them alive. */
export function dropOldest(slot: ElderSlot, cut: number): void {
  let start = slot.windowStart + cut
  while (start >= WINDOW_CHUNK && slot.chunks.length > 0) {
    slot.chunks.shift()
    start -= WINDOW_CHUNK
  }
  const first = slot.chunks.length > 0 ? slot.chunks[0]! : slot.tail
  first.fill(null, 0, start)
  slot.windowStart = start
}

/** Rebuild the window from a flat list (slots saved before chunking existed). */
export function resetWindow(slot: ElderSlot, inputs: readonly RuleInput[]): void {
  slot.chunks = []
  slot.tail = newChunk()
  slot.tailCount = 0
  slot.windowStart = 0
  for (const input of inputs) appendInput(slot, input)
}

/**
 * The slot as it is checkpointed to storage: the live state and the emitted keys, without the
 * lateness window and its intermediate snapshots. Those hold every input of the last
 * `latenessMs` (hours of readings per elder) and serialising them stalled the gateway for up to
 * a second per checkpoint; the inputs are in storage anyway. A restored slot starts a fresh
 * window at its newest time: data arriving later than that is applied on top of the restored
 * state, as if it had arrived in order — exact again once a new window has filled. Shares
 * `live` and `emitted` with the slot, so serialise it at once.
 */
export function checkpointSlot(slot: ElderSlot): ElderSlot {
  return {
    newestTs: slot.newestTs,
    live: slot.live,
    chunks: [],
    tail: newChunk(),
    tailCount: 0,
    windowStart: 0,
    checkpoints: [{ ts: slot.newestTs, index: 0, state: slot.live }],
    lastCheckpointTs: slot.newestTs,
    trimCheckpointTs: NO_CHECKPOINT,
    emitted: slot.emitted,
    nextPruneTs: slot.nextPruneTs,
  }
}
