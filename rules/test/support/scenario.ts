/**
 * A busy week for two elders that exercises most rules: venue visits (with edge jitter),
 * a bank trip, an overnight absence, strangers, low battery, a removed watch, SOS, a dead
 * watch at home. Used by the ordering/lateness properties and the JSON round-trip test.
 */
import type { RuleInput } from '../../src/index'
import { BANK_AT, HOME, INVEST_AT, LECTURE_AT, MARKET_AT, MIN, at, camera, event, offset, outing, track, watch } from './world'

const NEAR = offset(HOME.lat, HOME.lon, 3000, 0)

export function busyWeek(): RuleInput[] {
  const e1: RuleInput[] = [
    ...track(at(0, 6), at(0, 8, 50), 10 * MIN, () => HOME),
    ...outing(LECTURE_AT, at(0, 9), 40),
    ...track(at(0, 10, 20), at(0, 16), 15 * MIN, () => HOME),
    ...outing(MARKET_AT, at(0, 16, 30), 30),
    ...outing(INVEST_AT, at(1, 9), 35),
    ...track(at(1, 9, 55), at(1, 14, 50), 10 * MIN, () => HOME),
    ...outing(BANK_AT, at(1, 15), 12),
    // Edge jitter at the lecture hall on day 2 (one visit, 3rd day in a row → red).
    ...track(at(2, 8, 40), at(2, 9), MIN, () => HOME),
    ...track(at(2, 9), at(2, 10), MIN, (_ts, i) => offset(LECTURE_AT.lat, LECTURE_AT.lon, 60 + 55 * Math.sin(i * 1.3), 0)),
    ...track(at(2, 10), at(2, 21, 50), 10 * MIN, () => HOME),
    // Overnight at a friend's, unannounced.
    ...track(at(2, 22), at(3, 1, 30), 10 * MIN, () => NEAR),
    ...track(at(3, 1, 30), at(3, 9), 10 * MIN, () => HOME),
    watch(at(3, 9, 5), { bat: 14 }),
    watch(at(3, 9, 35), { bat: 12 }),
    // Day 4: out again, takes the watch off, later SOS.
    ...track(at(4, 8), at(4, 10), 10 * MIN, () => NEAR),
    event(at(4, 10, 1), 'removed'),
    ...track(at(4, 10, 2), at(4, 11), 10 * MIN, () => NEAR, { worn: false }),
    event(at(4, 11, 3), 'sos'),
    event(at(4, 11, 4), 'worn'),
    ...track(at(4, 11, 5), at(4, 12), 10 * MIN, () => HOME),
  ]
  for (const d of [0, 2, 3, 4]) e1.push(camera(at(d, 14, 7), { strangers: 1, persons: 2, presence: true }))
  const e2: RuleInput[] = [
    ...track(at(0, 8), at(0, 12), 10 * MIN, () => HOME, {}, 'e2'),
    // Dies at home at noon; back next day; a long day away on day 2.
    ...track(at(1, 9), at(1, 10), 10 * MIN, () => HOME, {}, 'e2'),
    ...track(at(1, 10), at(2, 2), 20 * MIN, () => NEAR, {}, 'e2'),
    ...track(at(2, 2), at(2, 6), 20 * MIN, () => HOME, {}, 'e2'),
  ]
  return [...e1, ...e2].sort((a, b) => a.ts - b.ts)
}
