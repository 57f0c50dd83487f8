/**
 * Time-based absence rules (DESIGN §5): absence.long, absence.overnight, absence.trip.
 * `checkAbsence(env, s, from, now)` fires every condition that became true in (from, now], at
 * the event time it became true. ingest() calls it before each input with (lastTs, input.ts];
 * advance() with (lastTs, now]. Each condition's fire time depends only on the absence, never
 * on when it was checked, so both paths produce the same finding and the dedup key keeps one.
 * Planned absences (ElderProfile.expectedAway) push fire times past their end: "no absence
 * findings inside".
 */
import type { Env } from './emit'
import { elderName, fire, makeFinding, minutes } from './emit'
import type { Absence, ElderState } from './state'
import { dayLabel, isoTime, localDay, localToUtc } from './local-time'

type Plans = ReadonlyArray<{ from: number; to: number }>
const NO_PLANS: Plans = []

/** Earliest instant ≥ t outside every planned absence. */
export function firstUnplanned(t: number, plans: Plans): number {
  let changed = plans.length > 0
  while (changed) {
    changed = false
    for (const p of plans) {
      if (p.from <= t && t < p.to) {
        t = p.to
        changed = true
      }
    }
  }
  return t
}

function evidence(a: Absence, ts: number): Record<string, unknown> {
  return {
    awaySince: isoTime(a.since),
    awayMin: minutes(ts - a.since),
    distanceKm: Math.round(a.maxDistanceM / 100) / 10,
    lastFix: a.lastFix === null ? null : { lat: a.lastFix.lat, lon: a.lastFix.lon, at: isoTime(a.lastFix.ts) },
  }
}

function checkLong(env: Env, s: ElderState, a: Absence, from: number, now: number, plans: Plans): void {
  const start = firstUnplanned(a.since, plans)
  const ts = firstUnplanned(start + a.longThresholdMs, plans)
  if (ts <= from || ts > now) return
  const hours = Math.round((ts - a.since) / 360_000) / 10
  fire(env, s, makeFinding(s, 'absence.long', 'yellow', String(a.since), ts,
    `${elderName(env, s)} has been away from home for ${hours} h, longer than usual.`,
    { ...evidence(a, ts), thresholdMin: minutes(a.longThresholdMs), baselineP95Min: a.baselineP95Ms === null ? null : minutes(a.baselineP95Ms) }))
}

function checkTrip(env: Env, s: ElderState, a: Absence, from: number, now: number, plans: Plans): void {
  const rule = env.config.rules['absence.trip']
  let ts = firstUnplanned(firstUnplanned(a.since, plans) + rule.minMs, plans)
  let reason = 'long'
  if (a.farSince !== null) {
    const far = firstUnplanned(firstUnplanned(a.farSince, plans) + rule.farMs, plans)
    if (far < ts) {
      ts = far
      reason = 'far'
    }
  }
  if (ts <= from || ts > now) return
  const ev = evidence(a, ts)
  const summary = reason === 'far'
    ? `${elderName(env, s)} has been more than ${rule.farKm} km from home for ${Math.round(rule.farMs / 3_600_000)} h, possibly on a tour.`
    : `${elderName(env, s)} has been away from home for ${Math.round((ts - a.since) / 3_600_000)} h, possibly on a trip.`
  fire(env, s, makeFinding(s, 'absence.trip', 'red', String(a.since), ts, summary, { ...ev, reason }))
}

function checkOvernight(env: Env, s: ElderState, a: Absence, from: number, now: number, plans: Plans): void {
  const rule = env.config.rules['absence.overnight']
  // Fast path on the hot loop: nothing to do before the next night window starts.
  if (now < a.nextNightStart) return
  const tz = env.timeZone
  const lo = Math.max(from + 1, a.since)
  let next = Number.MAX_SAFE_INTEGER
  for (let day = localDay(lo, tz); ; day++) {
    const n0 = localToUtc(day, rule.fromHour, tz)
    if (n0 > now) {
      next = Math.min(next, n0)
      break
    }
    const n1 = localToUtc(day, rule.toHour, tz)
    const t = firstUnplanned(Math.max(lo, n0), plans)
    if (t < n1 && t <= now) {
      fire(env, s, makeFinding(s, 'absence.overnight', 'orange', String(day), t,
        `${elderName(env, s)} was away from home during the night (${dayLabel(day)}).`,
        { ...evidence(a, t), night: dayLabel(day), nightFromHour: rule.fromHour, nightToHour: rule.toHour }))
    } else if (now < n1) {
      next = Math.min(next, n0) // still inside this night: look again on the next input
    }
  }
  // Only ingest may advance the cached bound: advance() must not change replayable state.
  if (env.mode === 'ingest') a.nextNightStart = next
}

export function checkAbsence(env: Env, s: ElderState, from: number, now: number): void {
  const a = s.absence
  if (s.place !== 'away' || a === null || now <= from) return
  const plans = env.profile?.expectedAway ?? NO_PLANS
  const rules = env.config.rules
  if (rules['absence.long'].enabled) checkLong(env, s, a, from, now, plans)
  if (rules['absence.trip'].enabled) checkTrip(env, s, a, from, now, plans)
  if (rules['absence.overnight'].enabled) checkOvernight(env, s, a, from, now, plans)
}
