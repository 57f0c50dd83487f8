/**
 * home.strangers (DESIGN §5): strangers seen by the home camera on ≥ 3 distinct local days in
 * 7 → yellow, ≥ 5 → orange. Days are kept as a short ascending list of local day numbers; the
 * count is over the window ending on the day just seen, so a late reading for an earlier day
 * gives, after replay, what in-order processing gives.
 */
import type { Env } from './emit'
import { elderName, fire, makeFinding } from './emit'
import type { ElderState } from './state'
import type { RiskLevel } from './types'
import { dayLabel, localDay } from './local-time'

export function strangersSeen(env: Env, s: ElderState, ts: number, strangers: number): void {
  const rule = env.config.rules['home.strangers']
  const day = localDay(ts, env.timeZone)
  const days = s.strangerDays
  let i = days.length
  while (i > 0 && days[i - 1]! > day) i--
  if (i > 0 && days[i - 1] === day) return // this day already counted
  days.splice(i, 0, day)
  // Keep two windows back: enough for any late reading inside the lateness bound.
  while (days.length > 0 && days[0]! <= days[days.length - 1]! - 2 * rule.windowDays) days.shift()
  if (!rule.enabled) return
  const inWindow = days.filter((d) => d > day - rule.windowDays && d <= day)
  let level: RiskLevel | null = null
  if (inWindow.length >= rule.orangeDays) level = 'orange'
  else if (inWindow.length >= rule.yellowDays) level = 'yellow'
  if (level === null) return
  const first = inWindow[0]!
  fire(env, s, makeFinding(s, 'home.strangers', level, `${level}|${first}`, ts,
    `Strangers were seen at ${elderName(env, s)}'s home on ${inWindow.length} days in ${rule.windowDays}.`,
    { days: inWindow.map(dayLabel), dayCount: inWindow.length, windowDays: rule.windowDays, strangersNow: strangers }))
}
