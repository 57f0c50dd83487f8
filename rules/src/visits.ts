/**
 * Venue visits (DESIGN §5 "Location quality"): only precise fixes (acc ≤ limit, not lbs) start
 * or end a visit; a visit ends only after `exitGraceMs` of fixes beyond the geofence plus
 * `exitMarginM`, so GPS jitter at the edge makes one visit, not many. A visit counts once its
 * dwell (first to last fix inside) reaches the rule's minimum; counted risky and bank visits
 * are kept for venue.repeat and money.bank_after_venue (see visit-rules.ts).
 */
import type { Env } from './emit'
import { refreshing } from './emit'
import type { ElderState, OpenVisit, VisitRecord } from './state'
import { FIX_HOME, FIX_PRECISE } from './presence'
import { localDay } from './local-time'
import { checkBankAfterVenue, checkRepeat } from './visit-rules'

/** The visit is over: the findings it counted for show its whole dwell. */
export function endVisit(env: Env, s: ElderState): void {
  const v = s.visit
  if (v !== null && v.counted && v.shownEnd !== v.lastInside) refreshVisit(env, s, v)
  s.visit = null
}

/**
 * While a counted visit goes on, its findings' evidence follows it every REFRESH_STEP_MS of
 * dwell (and at its end): an operator reading "dwellMin: 21" for a 40-minute lecture would take
 * it for a split visit. Not every fix: each refresh is an alert update on the board.
 */
const REFRESH_STEP_MS = 10 * 60_000

function refreshVisit(env: Env, s: ElderState, v: OpenVisit): void {
  v.shownEnd = v.lastInside
  const record = s.visits[s.visits.length - 1]
  if (record === undefined || record.start !== v.start || record.venueId !== v.venueId) return
  const rules = env.config.rules
  refreshing(env, () => {
    if (record.risky && rules['venue.repeat'].enabled) checkRepeat(env, s, record.end)
    if (record.kind === 'bank' && rules['money.bank_after_venue'].enabled) checkBankAfterVenue(env, s, record, record.end)
  })
}

function minDwell(env: Env, risky: boolean, kind: string): number {
  const rules = env.config.rules
  if (risky) return rules['venue.repeat'].minDwellMs
  if (kind === 'bank') return rules['money.bank_after_venue'].bankMinDwellMs
  return Number.MAX_SAFE_INTEGER // other venues never feed a rule: no record needed
}

function dwellReached(env: Env, s: ElderState, v: OpenVisit, slot: number): void {
  const last = s.visits.length > 0 ? s.visits[s.visits.length - 1]! : undefined
  if (v.counted) {
    // Keep the record's end current while the visit goes on (evidence shows the full dwell).
    if (last !== undefined && last.start === v.start && last.venueId === v.venueId) last.end = v.lastInside
    if (v.lastInside - (v.shownEnd ?? v.start) >= REFRESH_STEP_MS) refreshVisit(env, s, v)
    return
  }
  const venue = env.venues.shape(slot).venue
  if (v.lastInside - v.start < minDwell(env, venue.risky, venue.kind)) return
  v.counted = true
  v.shownEnd = v.lastInside
  const record: VisitRecord = {
    venueId: venue.id,
    venueName: venue.name,
    kind: venue.kind,
    risky: venue.risky,
    start: v.start,
    end: v.lastInside,
    day: localDay(v.start, env.timeZone),
  }
  const rules = env.config.rules
  const keepMs = Math.max(rules['venue.repeat'].windowMs, rules['money.bank_after_venue'].windowMs)
  let drop = 0
  while (drop < s.visits.length && s.visits[drop]!.start < v.lastInside - keepMs) drop++
  if (drop > 0) s.visits.splice(0, drop)
  s.visits.push(record)
  if (record.risky && rules['venue.repeat'].enabled) checkRepeat(env, s, v.lastInside)
  if (record.kind === 'bank' && rules['money.bank_after_venue'].enabled) checkBankAfterVenue(env, s, record, v.lastInside)
}

/** Apply one watch fix to the visit tracker. `flags` come from presence.applyFix. */
export function visitFix(env: Env, s: ElderState, ts: number, lat: number, lon: number, flags: number): void {
  // Coarse fixes neither start nor end a visit (DESIGN §5: acc > 150 m or lbs never start one).
  if ((flags & FIX_PRECISE) === 0) return
  const venues = env.venues
  const v = s.visit
  if (v !== null) {
    const slot = venues.slotOf(v.venueId)
    if (slot >= 0 && venues.near(slot, lat, lon, env.config.venue.exitMarginM)) {
      v.lastInside = ts
      v.outsideSince = null
      dwellReached(env, s, v, slot)
      return
    }
    if (v.outsideSince === null) v.outsideSince = ts
    if (slot >= 0 && ts - v.outsideSince < env.config.venue.exitGraceMs) return
    endVisit(env, s)
  }
  if ((flags & FIX_HOME) !== 0 || venues.size === 0) return
  const slot = venues.locate(lat, lon)
  if (slot < 0) return
  s.visit = { venueId: venues.shape(slot).venue.id, start: ts, lastInside: ts, outsideSince: null, counted: false }
  dwellReached(env, s, s.visit, slot)
}
