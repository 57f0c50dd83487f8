/**
 * venue.repeat and money.bank_after_venue (DESIGN §5), evaluated when a visit reaches its
 * minimum dwell. A repeat that raises the level is a new finding: the dedup key carries the
 * level and the first visit of the window (issue item 1).
 */
import type { Env } from './emit'
import { elderName, fire, makeFinding, minutes } from './emit'
import type { ElderState, VisitRecord } from './state'
import type { RiskLevel } from './types'
import { isoTime } from './local-time'

function describe(v: VisitRecord): Record<string, unknown> {
  return { venueId: v.venueId, venueName: v.venueName, kind: v.kind, start: isoTime(v.start), end: isoTime(v.end), dwellMin: minutes(v.end - v.start) }
}

function venueNames(visits: VisitRecord[]): string {
  return [...new Set(visits.map((v) => v.venueName))].join(', ')
}

/** Longest run of consecutive local days among ascending day numbers. */
function longestRun(days: number[]): number {
  let best = 0
  let run = 0
  let prev = Number.NaN
  for (const d of days) {
    if (d === prev) continue
    run = d === prev + 1 ? run + 1 : 1
    prev = d
    if (run > best) best = run
  }
  return best
}

export function checkRepeat(env: Env, s: ElderState, ts: number): void {
  const rule = env.config.rules['venue.repeat']
  const inWindow = s.visits.filter((v) => v.risky && v.start >= ts - rule.windowMs)
  const n = inWindow.length
  const run = longestRun(inWindow.map((v) => v.day))
  let level: RiskLevel | null = null
  if (n >= rule.redVisits || run >= rule.redConsecutiveDays) level = 'red'
  else if (n >= rule.orangeVisits) level = 'orange'
  else if (n >= rule.yellowVisits) level = 'yellow'
  if (level === null) return
  const first = inWindow[0]!
  const days = Math.round(rule.windowMs / 86_400_000)
  fire(env, s, makeFinding(s, 'venue.repeat', level, `${level}|${first.start}`, ts,
    `${elderName(env, s)} made ${n} visits to risky venues in ${days} days (${venueNames(inWindow)}).`,
    { visitCount: n, consecutiveDays: run, windowDays: days, visits: inWindow.map(describe), venues: inWindow.map((v) => ({ id: v.venueId, name: v.venueName })) }))
}

export function checkBankAfterVenue(env: Env, s: ElderState, bank: VisitRecord, ts: number): void {
  const rule = env.config.rules['money.bank_after_venue']
  const risky = s.visits.filter((v) => v.risky && v.start >= bank.start - rule.windowMs && v.start < bank.start)
  if (risky.length < rule.minRiskyVisits) return
  const hours = Math.round(rule.windowMs / 3_600_000)
  fire(env, s, makeFinding(s, 'money.bank_after_venue', 'red', String(bank.start), ts,
    `${elderName(env, s)} went to ${bank.venueName} after ${risky.length} visits to risky venues in ${hours} h.`,
    { bankVisit: describe(bank), riskyVisits: risky.map(describe), windowHours: hours, venue: { id: bank.venueId, name: bank.venueName } }))
}
