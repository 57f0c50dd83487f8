import { describe, expect, it } from 'vitest'
import { createLatestFixes } from '../../src/intake/latest-fixes'
import { capDateTime, formatLocalTime } from '../../src/notices/local-time'
import { describePlace, evidenceFix, newestFix, placeOf, venueContaining, type VenueShape } from '../../src/notices/notice-location'
import { noticeSummary, SUMMARY_RULES } from '../../src/notices/notice-summary'
import { EVENT_AT, RULES, SAMPLES } from './notice-samples'

const TZ = 'Asia/Shanghai'
const NAMES = ['邓秀兰', '幸福健康讲座', '长寿保健品体验店', '城关农商银行', '金福养老项目']
const summary = (rule: string, language: 'zh-CN' | 'en', evidence: Record<string, unknown> = SAMPLES[rule]?.evidence ?? {}) =>
  noticeSummary({ rule, level: 'red', evidence, elderName: '邓秀兰', eventAt: EVENT_AT, language, timeZone: TZ })

describe('local times with their offset (EG_TZ)', () => {
  it('writes people times as local time with the offset, and CAP times in the XSD pattern', () => {
    expect(formatLocalTime('2026-11-28T08:20:00.000Z', TZ)).toBe('2026-11-28 16:20 (UTC+08:00)')
    expect(formatLocalTime(Date.parse('2026-11-28T16:05:00Z'), TZ)).toBe('2026-11-29 00:05 (UTC+08:00)')
    expect(capDateTime('2026-11-28T08:20:00.999Z', TZ)).toBe('2026-11-28T16:20:00+08:00')
    // CAP 1.2 §3.3.2: UTC is written -00:00, never Z.
    expect(capDateTime('2026-11-28T08:20:00Z', 'UTC')).toBe('2026-11-28T08:20:00-00:00')
    expect(formatLocalTime('2026-11-28T08:20:00Z', 'UTC')).toBe('2026-11-28 08:20 (UTC+00:00)')
  })

  it('takes the offset in force at that instant (daylight saving) and half-hour zones', () => {
    expect(capDateTime('2026-07-01T12:00:00Z', 'America/New_York')).toBe('2026-07-01T08:00:00-04:00')
    expect(capDateTime('2026-01-15T12:00:00Z', 'America/New_York')).toBe('2026-01-15T07:00:00-05:00')
    expect(formatLocalTime('2026-01-15T12:00:00Z', 'Asia/Kolkata')).toBe('2026-01-15 17:30 (UTC+05:30)')
  })
})

describe('notice summaries: every rule of DESIGN §5 in Chinese and English', () => {
  it('has a sentence for every rule', () => {
    expect(Object.keys(SUMMARY_RULES).sort()).toEqual([...RULES].sort())
  })

  it.each(RULES)('%s: in the recipient language, with local times, from the evidence', (rule) => {
    const zh = summary(rule, 'zh-CN')
    const en = summary(rule, 'en')
    expect(zh).toMatch(/[\u4e00-\u9fff]{4}/)
    expect(zh).not.toMatch(/\b(the|has|from)\b/)
    // English apart from the names (of the elder and the venues), which stay as registered.
    expect(NAMES.reduce((text, name) => text.replaceAll(name, ''), en)).not.toMatch(/[\u4e00-\u9fff]/)
    for (const text of [zh, en]) {
      expect(text).toContain('(UTC+08:00)')
      expect(text).not.toMatch(/\d{2}:\d{2}:\d{2}(\.\d+)?Z/)
    }
    // Without evidence: the rule's sentence without the detail, still in the language.
    expect(summary(rule, 'zh-CN', {})).toMatch(/[\u4e00-\u9fff]{4}/)
    expect(summary(rule, 'en', {})).toContain('(UTC+08:00)')
  })

  it('says what happened, when and where, as an officer needs it', () => {
    expect(summary('safety.fall', 'zh-CN')).toBe('邓秀兰可能摔倒（腕表检测到跌倒），时间 2026-11-28 16:20 (UTC+08:00)，当时在家。')
    expect(summary('safety.fall', 'en')).toBe('邓秀兰 may have fallen (fall detected) at 2026-11-28 16:20 (UTC+08:00), at home.')
    expect(summary('safety.sos', 'zh-CN')).toBe('邓秀兰于 2026-11-28 16:20 (UTC+08:00) 按下SOS紧急求救，当时不在家。')
    expect(summary('venue.repeat', 'zh-CN')).toBe(
      '邓秀兰近7天内3次到访保健品推销场所「幸福健康讲座」「长寿保健品体验店」，连续3天，疑似遭遇养老诈骗推销；最近一次到访 2026-11-28 16:20 (UTC+08:00)。',
    )
    expect(summary('absence.trip', 'en')).toBe('邓秀兰 has been up to 62.4 km from home for about 6.3 h, away since 2026-11-28 04:00 (UTC+08:00): possibly on a cheap tour (tour scam).')
    expect(summary('money.bank_after_venue', 'zh-CN')).toBe(
      '邓秀兰在48小时内2次到访高风险场所「幸福健康讲座」「金福养老项目」后，于 2026-11-28 16:20 (UTC+08:00) 前往「城关农商银行」，疑似被骗转账或购买理财产品。',
    )
    expect(summary('absence.overnight', 'zh-CN')).toBe('邓秀兰在11月28日夜间（00:00–05:00）未回家（最远离家7.7公里），自 2026-11-27 22:00 (UTC+08:00) 离家。')
  })

  it('says home or away only where the rule engine and the notice position agree', () => {
    const fall = (place: string | undefined, fixAtHome: boolean | undefined) =>
      noticeSummary({ rule: 'safety.fall', level: 'red', evidence: { at: EVENT_AT, ...(place ? { place } : {}) }, elderName: '邓秀兰', eventAt: EVENT_AT, language: 'zh-CN', timeZone: TZ, fixAtHome })
    // One fresh fix far from home: the engine still says home (it waits for a confirming fix).
    expect(fall('home', false)).toBe('邓秀兰可能摔倒（腕表检测到跌倒），时间 2026-11-28 16:20 (UTC+08:00)。')
    expect(fall('away', false)).toContain('，当时不在家。')
    expect(fall(undefined, false)).toContain('，当时不在家。')
    expect(fall('home', undefined)).toContain('，当时在家。')
  })

  it('a rule it does not know yet still reads in the language, with level and time', () => {
    expect(noticeSummary({ rule: 'new.rule', level: 'orange', evidence: {}, elderName: '邓秀兰', eventAt: EVENT_AT, language: 'zh-CN', timeZone: TZ })).toBe(
      '邓秀兰：new.rule（橙色预警），时间 2026-11-28 16:20 (UTC+08:00)。',
    )
  })
})

describe('the freshest position', () => {
  const stored = { lat: 31.2, lon: 121.4, ts: 1_000, acc: 20 }
  it('is the newest by event time of intake, storage and the evidence; at a tie the one with accuracy', () => {
    const fromEvidence = evidenceFix({ location: { lat: 31.3, lon: 121.5, at: new Date(2_000).toISOString() } })
    expect(fromEvidence).toEqual({ lat: 31.3, lon: 121.5, ts: 2_000, acc: null })
    expect(newestFix([undefined, stored, fromEvidence])).toBe(fromEvidence)
    const intake = { lat: 31.4, lon: 121.6, ts: 3_000, acc: 8 }
    expect(newestFix([intake, stored, fromEvidence])).toBe(intake)
    const sameTime = { lat: 31.3, lon: 121.5, ts: 2_000, acc: 15 }
    expect(newestFix([fromEvidence, sameTime])).toBe(sameTime)
    expect(newestFix([null, undefined, null])).toBeNull()
  })

  it('reads lastFix as well as location from the evidence, and nothing malformed', () => {
    expect(evidenceFix({ lastFix: { lat: 1, lon: 2, at: '2026-11-28T08:00:00Z' } })?.ts).toBe(Date.parse('2026-11-28T08:00:00Z'))
    expect(evidenceFix({ location: null, lastFix: { lat: '1', lon: 2, at: 'x' } })).toBeNull()
    expect(evidenceFix({})).toBeNull()
  })

  it('intake keeps the newest fix per elder by event time, whatever order uploads arrive in', () => {
    const fixes = createLatestFixes()
    const base = { tenantId: 't', elderId: 'e', deviceId: 'w' }
    fixes.observe([{ ...base, kind: 'watch', ts: 5_000, lat: 31, lon: 121, acc: 10 }])
    fixes.observe([{ ...base, kind: 'watch', ts: 4_000, lat: 30, lon: 120 }]) // a buffered upload, older
    fixes.observe([{ ...base, kind: 'watch', ts: 6_000, hr: 80 }]) // no position
    fixes.observe([{ ...base, kind: 'camera', ts: 7_000, presence: true }])
    expect(fixes.get('t', 'e')).toEqual({ lat: 31, lon: 121, ts: 5_000, acc: 10 })
    expect(fixes.get('t', 'other')).toBeUndefined()
    expect(fixes.get('other', 'e')).toBeUndefined()
  })
})

describe('what the position is (CAP areaDesc)', () => {
  const home = { lat: 31.2304, lon: 121.4737, radiusM: 150 }
  const hall: VenueShape = { id: 'v1', name: '幸福健康讲座', kind: 'sales', lat: 31.25, lon: 121.49, radiusM: 100, polygon: null }
  const square: VenueShape = { id: 'v2', name: '城南广场', kind: 'other', lat: null, lon: null, radiusM: null, polygon: [[31.24, 121.48], [31.26, 121.48], [31.26, 121.50], [31.24, 121.50]] }

  it('finds the venue a fix lies in, the smallest of nested ones', () => {
    expect(venueContaining([square, hall], 31.2501, 121.4901)?.id).toBe('v1')
    expect(venueContaining([square], 31.2501, 121.4901)?.id).toBe('v2')
    expect(venueContaining([square, hall], 31.3, 121.6)).toBeNull()
  })

  it('names the venue, the home, or the distance from home, in the language', () => {
    const elder = { name: '邓秀兰', address: '幸福路12号' }
    const atHall = placeOf({ lat: 31.2501, lon: 121.4901, ts: 1, acc: 10 }, home, hall)
    expect(describePlace(atHall, elder, 'zh-CN')).toMatch(/^幸福健康讲座（邓秀兰的手表定位，距家约2\.\d公里）$/)
    expect(describePlace(atHall, elder, 'en')).toMatch(/^幸福健康讲座 \(watch fix of 邓秀兰, 2\.\d km from home\)$/)
    const atHome = placeOf({ lat: 31.2305, lon: 121.4738, ts: 1, acc: 10 }, home, null)
    expect(describePlace(atHome, elder, 'zh-CN')).toBe('邓秀兰家中：幸福路12号（手表定位）')
    const away = placeOf({ lat: 31.3, lon: 121.52, ts: 1, acc: 10 }, home, null)
    expect(describePlace(away, elder, 'zh-CN')).toBe('邓秀兰的手表定位，距家约8.9公里')
    expect(describePlace(away, elder, 'en')).toBe('Watch fix of 邓秀兰, 8.9 km from home')
    expect(describePlace(placeOf(null, home, null), elder, 'en')).toBe('Home of 邓秀兰 (registered address: 幸福路12号)')
    expect(describePlace(placeOf(null, home, null), { name: '邓秀兰', address: null }, 'zh-CN')).toBe('邓秀兰家（登记住址）')
  })
})
