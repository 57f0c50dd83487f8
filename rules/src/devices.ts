/**
 * Device rules (DESIGN §5): safety.sos, safety.fall (red, at once), device.removed (watch off
 * or silent while away: orange), device.battery and device.offline (green maintenance).
 * A watch that dies at home is not device.removed — the elder is home — it only becomes
 * device.offline after the silence limit (issue item 6).
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

function where(s: ElderState): Record<string, unknown> | null {
  const f = s.lastFix
  return f === null ? null : { lat: f.lat, lon: f.lon, at: isoTime(f.ts) }
}

/** Silence-based conditions that became true in (from, now]. */
export function checkSilence(env: Env, s: ElderState, from: number, now: number): void {
  const rules = env.config.rules
  const offline = rules['device.offline']
  if (offline.enabled) {
    for (let i = 0; i < s.devices.length; i++) {
      const d = s.devices[i]!
      const ts = d.lastTs + offline.silenceMs
      if (ts > from && ts <= now) {
        const deviceId = d.id
        fire(env, s, makeFinding(s, 'device.offline', 'green', `${deviceId}|${d.lastTs}`, ts,
          `${elderName(env, s)}'s ${d.kind} ${deviceId} has sent no data for ${minutes(offline.silenceMs)} min.`,
          { deviceId, deviceKind: d.kind, lastSeen: isoTime(d.lastTs), silentMin: minutes(offline.silenceMs), place: s.place }))
      }
    }
  }
  const removed = rules['device.removed']
  if (removed.enabled && s.place === 'away' && s.lastWatchTs !== null) {
    const ts = s.lastWatchTs + removed.silenceMs
    if (ts > from && ts <= now) {
      fire(env, s, makeFinding(s, 'device.removed', 'orange', `silent|${s.lastWatchTs}`, ts,
        `${elderName(env, s)}'s watch went silent for ${minutes(removed.silenceMs)} min while away from home.`,
        { reason: 'silent', lastSeen: isoTime(s.lastWatchTs), silentMin: minutes(removed.silenceMs), awaySince: isoTime(s.placeSince), lastFix: where(s) }))
    }
  }
}

/** Watch taken off (removed event or worn:false) while the elder is away. */
export function checkRemoved(env: Env, s: ElderState, ts: number): void {
  if (s.removedSince === null || s.place !== 'away' || !env.config.rules['device.removed'].enabled) return
  fire(env, s, makeFinding(s, 'device.removed', 'orange', `off|${s.removedSince}`, Math.max(ts, s.removedSince),
    `${elderName(env, s)}'s watch was taken off while away from home.`,
    { reason: 'removed', removedAt: isoTime(s.removedSince), awaySince: isoTime(s.placeSince), lastFix: where(s) }))
}

export function setWorn(env: Env, s: ElderState, worn: boolean, ts: number): void {
  if (worn) {
    s.removedSince = null
    return
  }
  if (s.removedSince === null) s.removedSince = ts
  checkRemoved(env, s, ts)
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
