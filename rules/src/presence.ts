/**
 * Home/away fusion (issue item 4, DESIGN §5 "Home and away fuse both devices"):
 * - the camera seeing the elder means home;
 * - a precise watch fix whose accuracy circle touches the home radius means home;
 * - a precise fix whose accuracy circle lies beyond home radius + margin is away evidence;
 *   `awayConfirmFixes` consecutive ones are needed, so one multipath outlier at 2 a.m. does not
 *   raise absence.overnight;
 * - a coarse fix (lbs, or acc above the limit) is away evidence only when very far;
 * - missing data never flips the state.
 * Completed absences feed the elder's own baseline for absence.long.
 */
import type { Env } from './emit'
import type { ElderState } from './state'
import { NEVER } from './state'
import { distanceM, surelyWithinM } from './geo'
import { localHour } from './local-time'

const FIX_PRECISE = 1
const FIX_HOME = 2
export { FIX_PRECISE, FIX_HOME }

/** Nearest-rank percentile of an ascending array. */
function percentile(sorted: number[], p: number): number {
  const rank = Math.max(1, Math.ceil(p * sorted.length))
  return sorted[rank - 1]!
}

/**
 * absence.long threshold for an absence starting at `since`: max(minMs, factor × p95 of the
 * elder's completed absences that started in the same local hour within the baseline window).
 */
export function longThreshold(env: Env, s: ElderState, since: number): { thresholdMs: number; p95Ms: number | null } {
  const rule = env.config.rules['absence.long']
  const hour = localHour(since, env.timeZone)
  const durations: number[] = []
  const h = s.absenceHistory
  for (let i = 0; i + 2 < h.length; i += 3) {
    if (h[i]! >= since - rule.baselineWindowMs && h[i + 2] === hour) durations.push(h[i + 1]!)
  }
  if (durations.length === 0) return { thresholdMs: rule.minMs, p95Ms: null }
  durations.sort((a, b) => a - b)
  const p95 = percentile(durations, rule.baselinePercentile)
  return { thresholdMs: Math.max(rule.minMs, rule.baselineFactor * p95), p95Ms: p95 }
}

function startAbsence(env: Env, s: ElderState, since: number): void {
  const { thresholdMs, p95Ms } = longThreshold(env, s, since)
  s.place = 'away'
  s.placeSince = since
  s.absence = { since, longThresholdMs: thresholdMs, baselineP95Ms: p95Ms, maxDistanceM: 0, farSince: null, lastFix: null, nextNightStart: NEVER }
}

/** The elder is home at `ts`: close any absence into the baseline history. */
export function markHome(env: Env, s: ElderState, ts: number): void {
  s.awayFirst = null
  s.awayFixes = 0
  if (s.place === 'home') return
  const a = s.absence
  if (a !== null) {
    const h = s.absenceHistory
    h.push(a.since, ts - a.since, localHour(a.since, env.timeZone))
    // Keep only the baseline window (issue: "kept compactly in state").
    const horizon = ts - env.config.rules['absence.long'].baselineWindowMs
    let drop = 0
    while (drop + 2 < h.length && h[drop]! < horizon) drop += 3
    if (drop > 0) h.splice(0, drop)
    s.absence = null
  }
  s.place = 'home'
  s.placeSince = ts
}

function awayEvidence(env: Env, s: ElderState, ts: number, lat: number, lon: number, distM: number, precise: boolean): void {
  if (s.place !== 'away') {
    if (s.awayFirst === null) s.awayFirst = ts
    s.awayFixes++
    if (s.awayFixes < env.config.location.awayConfirmFixes) return
    startAbsence(env, s, s.awayFirst)
  }
  const a = s.absence
  if (a === null) return
  if (distM > a.maxDistanceM) a.maxDistanceM = distM
  const farM = env.config.rules['absence.trip'].farKm * 1000
  if (distM >= farM) {
    if (a.farSince === null) a.farSince = ts
  } else if (precise) {
    a.farSince = null
  }
  if (a.lastFix === null) a.lastFix = { lat, lon, ts }
  else {
    a.lastFix.lat = lat
    a.lastFix.lon = lon
    a.lastFix.ts = ts
  }
}

/**
 * Apply one watch fix to home/away. Returns FIX_PRECISE / FIX_HOME bits for the visit and
 * stay trackers, so the distance to home is computed once per fix.
 */
export function applyFix(env: Env, s: ElderState, ts: number, lat: number, lon: number, acc: number | undefined, lbs: boolean): number {
  const loc = env.config.location
  const accuracy = acc ?? (lbs ? loc.defaultLbsAccuracyM : loc.defaultAccuracyM)
  const precise = !lbs && accuracy <= loc.maxAccuracyM
  const home = env.profile?.home
  if (home === undefined) return precise ? FIX_PRECISE : 0
  // Most fixes are at home: settle those without the haversine (same answer, see geo.ts).
  if (precise && surelyWithinM(home.lat, home.lon, lat, lon, home.radiusM + accuracy)) {
    markHome(env, s, ts)
    return FIX_PRECISE | FIX_HOME
  }
  const distM = distanceM(home.lat, home.lon, lat, lon)
  const nearest = distM - accuracy
  if (precise) {
    if (nearest <= home.radiusM) {
      markHome(env, s, ts)
      return FIX_PRECISE | FIX_HOME
    }
    if (nearest > home.radiusM + loc.awayMarginM) awayEvidence(env, s, ts, lat, lon, distM, true)
    return FIX_PRECISE
  }
  // Coarse fixes: too vague to say "home", and away only when even the near edge is far out.
  if (nearest > loc.coarseAwayKm * 1000) awayEvidence(env, s, ts, lat, lon, nearest, false)
  return 0
}
