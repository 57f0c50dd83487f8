/**
 * Silence by arrival (DESIGN §5): `device.offline` and `device.removed` ("silent while away")
 * measure how long a device has delivered nothing, on the rule clock at receipt — not the age
 * of the newest event time it sent. A watch in power saving records a fix every 10 min and
 * uploads them every 25: its newest event time is often 35 min old, yet it is not silent.
 *
 * Judged in arrival order (ingest's call order, then advance's clock), outside the replayable
 * state: a replay applies inputs in event-time order, in which fixes that arrived earlier but
 * carry later event times are not yet applied — silence judged there would be silence that
 * never happened. So a silence finding is final when judged, like SOS: emitted at once.
 */
import type { DeviceKind, RuleInput } from './input'
import type { Env } from './emit'
import { elderName, emitOnce, makeFinding, minutes } from './emit'
import type { DeliveryLog, ElderSlot, ElderState } from './state'
import { NEVER } from './state'
import { isoTime } from './local-time'
import { inPlannedAbsence, where } from './devices'

/** The slot's delivery log; a slot saved before it existed starts from its devices' event times. */
function logOf(slot: ElderSlot): DeliveryLog {
  let log = slot.delivery
  if (log === undefined) {
    log = slot.delivery = {
      checkedTo: slot.live.lastTs,
      devices: slot.live.devices.map((d): [string, DeviceKind, number] => [d.id, d.kind, d.lastTs]),
      lagMs: 0,
      lagAt: NEVER,
    }
  }
  return log
}

export function newDeliveryLog(): DeliveryLog {
  return { checkedTo: NEVER, devices: [], lagMs: 0, lagAt: NEVER }
}

/**
 * An input reached the gateway: silence that ended before it is judged first (up to its
 * arrival), then it counts as the device's delivery. Only inputs the engine takes count:
 * re-deliveries of inputs it holds and inputs beyond the lateness bound do not (engine.ts) —
 * a resend of old data says nothing about now, and the gateway's own replay is no delivery.
 */
export function noteArrival(env: Env, slot: ElderSlot, input: RuleInput): void {
  const log = logOf(slot)
  // Without an arrival time (backtests, pure tests) the elder's own clock stands in: an input
  // older than what was seen arrived now, not at its event time.
  const at = input.arrivedAt ?? Math.max(input.ts, log.checkedTo)
  noteLag(log, at, input.ts)
  if (at > log.checkedTo) judgeSilence(env, slot, at)
  const devices = log.devices
  for (let i = 0; i < devices.length; i++) {
    const d = devices[i]!
    if (d[0] === input.deviceId) {
      if (at > d[2]) d[2] = at
      return
    }
  }
  devices.push([input.deviceId, input.kind === 'event' ? input.deviceKind : input.kind, at])
}

/**
 * A lag is remembered for LAG_MEMORY_MS of arrivals unless a larger one replaces it: as long as
 * the lateness bound, so a watch whose uploads come 0–4 h late is judged 4 h behind throughout.
 */
const LAG_MEMORY_MS = 6 * 3_600_000

function noteLag(log: DeliveryLog, at: number, ts: number): void {
  const lag = Math.max(0, at - ts)
  if (lag >= log.lagMs || at - log.lagAt > LAG_MEMORY_MS) {
    log.lagMs = lag
    log.lagAt = at
  }
}

/**
 * How long advance() waits behind the rule clock before judging the elder's time conditions:
 * the elder's recent delivery lag, at most settleMs; 0 for a device that delivers live.
 */
export function settleLag(env: Env, slot: ElderSlot, now: number): number {
  const log = slot.delivery
  if (log === undefined || now - log.lagAt > LAG_MEMORY_MS) return 0
  return Math.min(env.config.settleMs, log.lagMs)
}

/** Silence conditions that became true in (checkedTo, now] on the rule clock. */
export function judgeSilence(env: Env, slot: ElderSlot, now: number): void {
  const log = logOf(slot)
  const from = log.checkedTo
  if (now <= from) return
  log.checkedTo = now
  const s = slot.live
  const rules = env.config.rules
  const offline = rules['device.offline']
  let lastWatch = NEVER
  for (const [deviceId, kind, last] of log.devices) {
    if (kind === 'watch' && last > lastWatch) lastWatch = last
    if (!offline.enabled) continue
    const ts = last + offline.silenceMs
    if (ts > from && ts <= now) {
      emit(env, slot, makeFinding(s, 'device.offline', 'green', `${deviceId}|${last}`, ts,
        `${elderName(env, s)}'s ${kind} ${deviceId} has sent no data for ${minutes(offline.silenceMs)} min.`,
        { deviceId, deviceKind: kind, lastSeen: isoTime(last), newestEventAt: newestEvent(s, deviceId), silentMin: minutes(offline.silenceMs), place: s.place }))
    }
  }
  const removed = rules['device.removed']
  if (!removed.enabled || lastWatch === NEVER || s.place !== 'away') return
  const ts = lastWatch + removed.silenceMs
  if (ts > from && ts <= now && !inPlannedAbsence(ts, env.profile?.expectedAway)) {
    emit(env, slot, makeFinding(s, 'device.removed', 'orange', `silent|${lastWatch}`, ts,
      `${elderName(env, s)}'s watch went silent for ${minutes(removed.silenceMs)} min while away from home.`,
      { reason: 'silent', lastSeen: isoTime(lastWatch), newestEventAt: s.lastWatchTs === null ? null : isoTime(s.lastWatchTs), silentMin: minutes(removed.silenceMs), awaySince: isoTime(s.placeSince), lastFix: where(s) }))
  }
}

function newestEvent(s: ElderState, deviceId: string): string | null {
  for (const d of s.devices) if (d.id === deviceId) return isoTime(d.lastTs)
  return null
}

function emit(env: Env, slot: ElderSlot, f: ReturnType<typeof makeFinding>): void {
  emitOnce(slot.emitted, f, env.out, env.config.dedupRetentionMs)
}
