import { describe, expect, it } from 'vitest'
import { RULE_IDS } from '../src/i18n'
import { alertSummary } from '../src/summaries'
import { busyWeek } from '../../rules/test/support/scenario'
import { at, makeCtx, run } from '../../rules/test/support/world'

/**
 * Localised alert summaries from rule + evidence. The table holds evidence shaped exactly as
 * the rules write it (rules/src); the last block runs the real rule engine over a busy week and
 * checks every finding it produces gets a localised line — so a renamed evidence field fails here.
 */
const visit = (venueName: string, kind: string, day: string) => ({
  venueId: `v-${venueName}`,
  venueName,
  kind,
  start: `${day}T09:00:00.000Z`,
  end: `${day}T09:40:00.000Z`,
  dwellMin: 40,
})

const cases: Array<{ rule: string; evidence: Record<string, unknown>; zh: string; en: string }> = [
  {
    rule: 'venue.repeat',
    evidence: {
      visitCount: 3,
      consecutiveDays: 1,
      windowDays: 7,
      visits: [visit('XX健康讲座', 'sales', '2026-11-23'), visit('XX健康讲座', 'sales', '2026-11-25'), visit('XX健康讲座', 'sales', '2026-11-27')],
      venues: [{ id: 'v1', name: 'XX健康讲座' }],
    },
    zh: '7天内3次到访销售场所「XX健康讲座」',
    en: '3 visits to sales venues in 7 days (XX健康讲座)',
  },
  {
    rule: 'venue.repeat',
    evidence: {
      visitCount: 3,
      consecutiveDays: 3,
      windowDays: 7,
      visits: [visit('福寿讲堂', 'sales', '2026-11-25'), visit('金桥养老项目', 'investment', '2026-11-26'), visit('福寿讲堂', 'sales', '2026-11-27')],
    },
    zh: '7天内3次到访高风险场所「福寿讲堂」「金桥养老项目」，连续3天',
    en: '3 visits to risky venues in 7 days (福寿讲堂, 金桥养老项目), 3 days in a row',
  },
  {
    rule: 'money.bank_after_venue',
    evidence: {
      bankVisit: visit('工商银行幸福路支行', 'bank', '2026-11-27'),
      riskyVisits: [visit('福寿讲堂', 'sales', '2026-11-26'), visit('福寿讲堂', 'sales', '2026-11-27')],
      windowHours: 48,
      venue: { id: 'b1', name: '工商银行幸福路支行' },
    },
    zh: '48小时内2次到访销售场所「福寿讲堂」后前往「工商银行幸福路支行」',
    en: 'Went to 工商银行幸福路支行 after 2 visits to sales venues in 48 h (福寿讲堂)',
  },
  {
    rule: 'absence.long',
    evidence: { awaySince: '2026-11-27T00:30:00.000Z', awayMin: 330, distanceKm: 2.3, lastFix: null, thresholdMin: 300, baselineP95Min: 240 },
    zh: '离家已5.5小时（最远2.3公里），超出平时',
    en: 'Away from home for 5.5 h (up to 2.3 km), longer than usual',
  },
  {
    rule: 'absence.overnight',
    evidence: { awaySince: '2026-11-29T13:00:00.000Z', awayMin: 60, distanceKm: 3.1, lastFix: null, night: '2026-11-29', nightFromHour: 22, nightToHour: 5 },
    zh: '11月29日夜间（22:00–05:00）未归，离家最远3.1公里',
    en: 'Away from home on the night of 2026-11-29 (22:00–05:00), up to 3.1 km',
  },
  {
    rule: 'absence.trip',
    evidence: { awaySince: '2026-11-27T00:00:00.000Z', awayMin: 420, distanceKm: 85.4, lastFix: null, reason: 'far' },
    zh: '离家最远85.4公里，已外出7小时，疑似参加低价游',
    en: 'Up to 85.4 km from home for 7 h, possibly on a tour',
  },
  {
    rule: 'absence.trip',
    evidence: { awaySince: '2026-11-27T00:00:00.000Z', awayMin: 2160, distanceKm: 12, lastFix: null, reason: 'long' },
    zh: '已离家36小时，疑似远途出行（最远12公里）',
    en: 'Away from home for 36 h, possibly on a trip (up to 12 km)',
  },
  {
    rule: 'home.strangers',
    evidence: { days: ['2026-11-23', '2026-11-25', '2026-11-26', '2026-11-28'], dayCount: 4, windowDays: 7, strangersNow: 2 },
    zh: '7天内有4天家中出现陌生人',
    en: 'Strangers at home on 4 of 7 days',
  },
  {
    rule: 'device.removed',
    evidence: { reason: 'removed', removedAt: '2026-11-27T02:01:00.000Z', awaySince: '2026-11-27T00:00:00.000Z', lastFix: null },
    zh: '外出时摘下腕表',
    en: 'Watch taken off away from home',
  },
  {
    rule: 'device.removed',
    evidence: { reason: 'silent', lastSeen: '2026-11-27T02:00:00.000Z', silentMin: 60, awaySince: '2026-11-27T00:00:00.000Z', lastFix: null },
    zh: '外出时腕表已60分钟无数据',
    en: 'Watch silent for 60 min away from home',
  },
  {
    rule: 'device.battery',
    evidence: { deviceId: 'w-1', deviceKind: 'watch', batteryPercent: 12, since: '2026-11-27T02:00:00.000Z' },
    zh: '腕表电量低（12%）',
    en: 'Low watch battery (12 %)',
  },
  {
    rule: 'device.offline',
    evidence: { deviceId: 'c-1', deviceKind: 'camera', lastSeen: '2026-11-27T02:00:00.000Z', silentMin: 30, place: 'home' },
    zh: '摄像头已30分钟无数据',
    en: 'No data from the camera for 30 min',
  },
  {
    rule: 'safety.sos',
    evidence: { deviceId: 'w-1', at: '2026-11-27T03:03:00.000Z', place: 'away', location: { lat: 31.2, lon: 121.4, at: '2026-11-27T03:02:00.000Z' }, detail: null },
    zh: '按下 SOS 紧急求救（不在家）',
    en: 'SOS pressed (away from home)',
  },
  {
    rule: 'safety.fall',
    evidence: { deviceId: 'w-1', at: '2026-11-27T03:03:00.000Z', place: 'home', location: null, detail: null },
    zh: '检测到跌倒（在家）',
    en: 'Fall detected (at home)',
  },
  {
    rule: 'venue.candidate',
    evidence: { centre: { lat: 31.2, lon: 121.4 }, radiusM: 80, days: ['2026-11-25', '2026-11-26'], elderIds: ['e1', 'e2', 'e3'], stays: [] },
    zh: '3位老人在未登记地点聚集30分钟以上，共2天，疑似新销售场所',
    en: '3 elders gathered 30+ min at an unregistered place on 2 days: a candidate venue',
  },
]

describe('alertSummary', () => {
  it.each(cases)('$rule → $zh', ({ rule, evidence, zh, en }) => {
    const alert = { rule, evidence, summary: 'server sentence' }
    expect(alertSummary(alert, 'zh')).toBe(zh)
    expect(alertSummary(alert, 'en')).toBe(en)
  })

  it('covers every rule the board names', () => {
    expect(new Set(cases.map((c) => c.rule))).toEqual(new Set(RULE_IDS))
  })

  it.each(cases)('falls back to the server summary when $rule evidence lacks its fields', ({ rule }) => {
    expect(alertSummary({ rule, evidence: {}, summary: '张阿姨 pressed SOS.' }, 'zh')).toBe('张阿姨 pressed SOS.')
    expect(alertSummary({ rule, summary: 'no evidence at all' }, 'en')).toBe('no evidence at all')
  })

  it('falls back for unknown rules and says nothing when there is nothing to say', () => {
    expect(alertSummary({ rule: 'custom.rule', evidence: { visitCount: 3 }, summary: 'custom' }, 'zh')).toBe('custom')
    expect(alertSummary({ rule: 'custom.rule' }, 'zh')).toBeUndefined()
    expect(alertSummary({ rule: 'venue.repeat', evidence: { visitCount: 'three', windowDays: 7 }, summary: '' }, 'zh')).toBeUndefined()
  })

  it('localises every finding the real rule engine produces over a busy week', () => {
    const { findings } = run(busyWeek(), makeCtx(), at(7, 0))
    const rules = new Set(findings.map((f) => f.rule))
    // The scenario exercises most rules; a shrinking scenario must not hollow this test out.
    expect(rules.size).toBeGreaterThanOrEqual(6)
    for (const f of findings) {
      const zh = alertSummary(f, 'zh')
      const en = alertSummary(f, 'en')
      expect(zh, `${f.rule} zh`).not.toBe(f.summary)
      expect(en, `${f.rule} en`).not.toBe(f.summary)
      expect(zh, `${f.rule} zh`).toMatch(/[\u4e00-\u9fff]/)
    }
  })
})
