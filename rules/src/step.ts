/**
 * One input applied to one elder's replayable state, in event-time order (DESIGN §6 Traccar
 * model: per-device ordering, detectors as pure state machines driven by event time). Before
 * the input is applied, time-based conditions that became true since the previous input are
 * checked at their own event time (a removal's grace, absence length, night, trip). Device
 * silence is judged by arrival, outside this replayable path (delivery.ts).
 */
import type { CameraReading, DeviceEvent, RuleInput, WatchReading } from './input'
import type { Env } from './emit'
import type { DeviceState, ElderState } from './state'
import { checkAbsence } from './absence'
import { stayFix } from './candidate'
import { batteryLevel, checkRemovalGrace, checkRemoved, deviceOf, lowBattery, safetyEvent, setWorn } from './devices'
import { applyFix, markHome } from './presence'
import { strangersSeen } from './strangers'
import { endVisit, visitFix } from './visits'

/** Conditions that became true in (from, now]; shared by ingest and advance. */
export function checkTime(env: Env, s: ElderState, from: number, now: number): void {
  checkRemovalGrace(env, s, from, now)
  checkAbsence(env, s, from, now)
}

function watchReading(env: Env, s: ElderState, r: WatchReading, d: DeviceState): void {
  const ts = r.ts
  s.lastWatchTs = ts
  if (r.bat !== undefined) batteryLevel(env, s, d, r.deviceId, r.bat, ts)
  if (r.worn !== undefined) setWorn(env, s, r.worn, ts)
  const lat = r.lat
  const lon = r.lon
  if (lat === undefined || lon === undefined) return
  const f = s.lastFix
  if (f === null) s.lastFix = { lat, lon, ts }
  else {
    f.lat = lat
    f.lon = lon
    f.ts = ts
  }
  const wasAway = s.absence !== null
  const flags = applyFix(env, s, ts, lat, lon, r.acc, r.src === 'lbs')
  if (!wasAway && s.absence !== null) {
    // The absence began at the first away fix, before this confirming one: check that stretch.
    checkAbsence(env, s, s.absence.since - 1, ts)
    checkRemoved(env, s, ts)
  }
  visitFix(env, s, ts, lat, lon, flags)
  stayFix(env, s, ts, lat, lon, flags)
}

function cameraReading(env: Env, s: ElderState, r: CameraReading): void {
  if (r.presence === true) {
    // DESIGN §5: the camera seeing the elder means home — and so not in any venue.
    markHome(env, s, r.ts)
    endVisit(env, s)
    s.stay = null
  }
  if (r.strangers !== undefined && r.strangers > 0) strangersSeen(env, s, r.ts, r.strangers)
}

function deviceEvent(env: Env, s: ElderState, e: DeviceEvent, d: DeviceState): void {
  switch (e.type) {
    case 'sos':
    case 'fall':
      safetyEvent(env, s, e)
      break
    case 'removed':
      setWorn(env, s, false, e.ts)
      break
    case 'worn':
      setWorn(env, s, true, e.ts)
      break
    case 'low_battery': {
      const bat = e.detail?.['bat']
      lowBattery(env, s, d, e.deviceId, e.ts, typeof bat === 'number' ? bat : null)
      break
    }
    default:
      // door_open, door_close, power_off: kept by the gateway as telemetry, no rule yet.
      break
  }
  if (e.deviceKind === 'watch') s.lastWatchTs = e.ts
}

export function step(env: Env, s: ElderState, input: RuleInput): void {
  const ts = input.ts
  if (ts > s.lastTs) checkTime(env, s, s.lastTs, ts)
  const d = deviceOf(s, input)
  switch (input.kind) {
    case 'watch':
      watchReading(env, s, input, d)
      break
    case 'camera':
      cameraReading(env, s, input)
      break
    case 'event':
      deviceEvent(env, s, input, d)
      break
  }
  if (ts > d.lastTs) d.lastTs = ts
  if (ts > s.lastTs) s.lastTs = ts
}
