/**
 * Device rules (DESIGN §5): safety.sos, safety.fall (red, at once), device.removed (watch off
 * while away: orange), device.battery (green maintenance). Silence — device.offline, and
 * device.removed for a watch silent while away — is judged by arrival in delivery.ts.
 */
import type { DeviceEvent, RuleInput } from './input'
import type { Env } from './emit'
import { elderName, fire, makeFinding, minutes } from './emit'
import type { DeviceState, ElderState } from './state'
import { isoTime } from './local-time'

export function deviceOf(s: ElderState, input: RuleInput): DeviceState {
  const devices = s.devices
  for (let i = 0; i < devices.length; i++) if (devices[i]!.id === input.deviceId) return devices[i]!
  const d: DeviceState = { id: input.deviceId, kind: input.kind === 'event' ? input.deviceKind : input.kind, lastTs: input.ts, lowSince: null }
  devices.push(d)
  return d
}

export function where(s: ElderState): Record<string, unknown> | null {
  const f = s.lastFix
  return f === null ? null : { lat: f.lat, lon: f.lon, at: isoTime(f.ts) }
}

/**
 * A watch taken off while away fires after the grace period, at its event time (checked
 * between inputs and by advance). Silence — nothing delivered — is judged by arrival in
 * delivery.ts, not here.
 */
export function checkRemovalGrace(env: Env, s: ElderState, from: number, now: number): void {
  const removed = env.config.rules['device.removed']
  if (!removed.enabled || s.place !== 'away' || s.removedSince === null) return
  const ts = removalFireTs(s, removed.removedGraceMs)
  if (ts > from && ts <= now && !inPlannedAbsence(ts, env.profile?.expectedAway)) fireRemoved(env, s, ts)
}

/** Watch taken off (removed event or worn:false) while the elder is away. */
/**
 * A removal fires once the elder has been away, watch off, for the grace period: from the
 * later of the removal and the start of the absence (leaving home without the watch counts).
 */
function removalFireTs(s: ElderState, graceMs: number): number {
  return Math.max(s.removedSince ?? 0, s.placeSince) + graceMs
}

/**
 * A registered planned absence (ElderProfile.expectedAway, e.g. a weekend at a child's home)
 * is where the family knows the elder is: taking the watch off to charge it there, or a quiet
 * watch, is not a removal "away from home" worth an orange alert.
 */
export function inPlannedAbsence(ts: number, plans: ReadonlyArray<{ from: number; to: number }> = NO_PLANS): boolean {
  for (const p of plans) if (p.from <= ts && ts < p.to) return true
  return false
}

const NO_PLANS: ReadonlyArray<{ from: number; to: number }> = []

function fireRemoved(env: Env, s: ElderState, ts: number): void {
  fire(env, s, makeFinding(s, 'device.removed', 'orange', `off|${s.removedSince}`, ts,
    `${elderName(env, s)}'s watch was taken off while away from home.`,
    { reason: 'removed', removedAt: isoTime(s.removedSince ?? ts), awaySince: isoTime(s.placeSince), lastFix: where(s) }))
}

/** An absence has just begun: a removal whose grace already ran out fires now. */
export function checkRemoved(env: Env, s: ElderState, ts: number): void {
  const rule = env.config.rules['device.removed']
  if (s.removedSince === null || s.place !== 'away' || !rule.enabled) return
  const fireTs = removalFireTs(s, rule.removedGraceMs)
  if (fireTs <= ts && !inPlannedAbsence(fireTs, env.profile?.expectedAway)) fireRemoved(env, s, fireTs)
}

/** The removal itself fires nothing yet: checkSilence fires it after the grace, if still away. */
export function setWorn(_env: Env, s: ElderState, worn: boolean, ts: number): void {
  if (worn) {
    s.removedSince = null
    return
  }
  if (s.removedSince === null) s.removedSince = ts
}

export function batteryLevel(env: Env, s: ElderState, d: DeviceState, deviceId: string, bat: number, ts: number): void {
  const rule = env.config.rules['device.battery']
  if (bat > rule.lowPercent) {
    if (bat >= rule.resetPercent) d.lowSince = null
    return
  }
  lowBattery(env, s, d, deviceId, ts, bat)
}

export function lowBattery(env: Env, s: ElderState, d: DeviceState, deviceId: string, ts: number, bat: number | null): void {
  const rule = env.config.rules['device.battery']
  if (d.lowSince === null) d.lowSince = ts
  if (!rule.enabled) return
  fire(env, s, makeFinding(s, 'device.battery', 'green', `${deviceId}|${d.lowSince}`, d.lowSince,
    `${elderName(env, s)}'s ${d.kind} ${deviceId} battery is low${bat === null ? '' : ` (${bat} %)`}.`,
    { deviceId, deviceKind: d.kind, batteryPercent: bat, since: isoTime(d.lowSince) }))
}

export function safetyEvent(env: Env, s: ElderState, e: DeviceEvent): void {
  const rule = e.type === 'sos' ? 'safety.sos' : 'safety.fall'
  if (!env.config.rules[rule].enabled) return
  const what = e.type === 'sos' ? 'pressed SOS' : 'may have fallen (fall detected)'
  fire(env, s, makeFinding(s, rule, 'red', `${e.deviceId}|${e.ts}`, e.ts,
    `${elderName(env, s)} ${what} at ${isoTime(e.ts)}.`,
    { deviceId: e.deviceId, at: isoTime(e.ts), place: s.place, location: where(s), detail: e.detail ?? null }))
}
