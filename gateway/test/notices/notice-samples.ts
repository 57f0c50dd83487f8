import type { RiskLevel } from '../../../contract/levels'

/**
 * Evidence as the rule engine writes it (rules/src: visit-rules.ts, absence.ts, strangers.ts,
 * devices.ts, candidate.ts), one sample per rule of DESIGN §5, and the levels an alert of each
 * rule can reach: its own levels, plus red for an orange one (unacknowledged orange escalates,
 * DESIGN §5). venue.candidate's level is configuration (any of the four).
 */
export const EVENT_AT = '2026-11-28T08:20:00.000Z'
const FIX = { lat: 31.3, lon: 121.55, at: '2026-11-28T08:19:30.000Z' }

const visit = (name: string, kind: string, start: string) => ({ venueId: `v-${name}`, venueName: name, kind, start, end: start, dwellMin: 45 })

export const SAMPLES: Record<string, { levels: RiskLevel[]; evidence: Record<string, unknown> }> = {
  'venue.repeat': {
    levels: ['yellow', 'orange', 'red'],
    evidence: {
      visitCount: 3,
      consecutiveDays: 3,
      windowDays: 7,
      visits: [visit('幸福健康讲座', 'sales', '2026-11-26T01:00:00.000Z'), visit('幸福健康讲座', 'sales', '2026-11-27T01:00:00.000Z'), visit('长寿保健品体验店', 'sales', EVENT_AT)],
      venues: [{ id: 'v-1', name: '幸福健康讲座' }, { id: 'v-2', name: '长寿保健品体验店' }],
    },
  },
  'absence.long': {
    levels: ['yellow'],
    evidence: { awaySince: '2026-11-27T20:00:00.000Z', awayMin: 740, distanceKm: 7.7, lastFix: FIX, thresholdMin: 720, baselineP95Min: null },
  },
  'absence.overnight': {
    levels: ['orange', 'red'],
    evidence: { awaySince: '2026-11-27T14:00:00.000Z', awayMin: 260, distanceKm: 7.7, lastFix: FIX, night: '2026-11-28', nightFromHour: 0, nightToHour: 5 },
  },
  'absence.trip': {
    levels: ['red'],
    evidence: { awaySince: '2026-11-27T20:00:00.000Z', awayMin: 380, distanceKm: 62.4, lastFix: FIX, reason: 'far' },
  },
  'home.strangers': {
    levels: ['yellow', 'orange', 'red'],
    evidence: { days: ['2026-11-24', '2026-11-26', '2026-11-28'], dayCount: 3, windowDays: 7, strangersNow: 2 },
  },
  'device.removed': {
    levels: ['orange', 'red'],
    evidence: { reason: 'removed', removedAt: '2026-11-28T07:50:00.000Z', awaySince: '2026-11-28T06:00:00.000Z', lastFix: FIX },
  },
  'money.bank_after_venue': {
    levels: ['red'],
    evidence: {
      bankVisit: visit('城关农商银行', 'bank', EVENT_AT),
      riskyVisits: [visit('幸福健康讲座', 'sales', '2026-11-27T01:00:00.000Z'), visit('金福养老项目', 'investment', '2026-11-27T06:00:00.000Z')],
      windowHours: 48,
      venue: { id: 'v-bank', name: '城关农商银行' },
    },
  },
  'safety.sos': { levels: ['red'], evidence: { deviceId: 'w1', at: EVENT_AT, place: 'away', location: FIX, detail: null } },
  'safety.fall': { levels: ['red'], evidence: { deviceId: 'w1', at: EVENT_AT, place: 'home', location: FIX, detail: { g: 3.1 } } },
  'venue.candidate': {
    levels: ['green', 'yellow', 'orange', 'red'],
    evidence: { centre: { lat: 31.31, lon: 121.56 }, radiusM: 120, days: ['2026-11-20', '2026-11-27'], elderIds: ['e1', 'e2', 'e3', 'e4', 'e5'], stays: [] },
  },
  'device.battery': { levels: ['green'], evidence: { deviceId: 'w1', deviceKind: 'watch', batteryPercent: 12, since: EVENT_AT } },
  'device.offline': { levels: ['green'], evidence: { deviceId: 'c1', deviceKind: 'camera', lastSeen: '2026-11-28T06:20:00.000Z', silentMin: 120, place: 'home' } },
}

export const RULES = Object.keys(SAMPLES)
