import { describe, expect, it } from 'vitest'
import { RULE_IDS } from '../../../rules/src/index'
import { resolveVoiceLanguage, voicePromptText } from '../../src/voice/templates'

/** Evidence as the rule engine writes it (rules/src: visit-rules, absence, strangers, devices). */
const evidence: Record<string, Record<string, unknown>> = {
  'venue.repeat': {
    visitCount: 3,
    consecutiveDays: 1,
    windowDays: 7,
    visits: [{ venueName: '健康讲座会场', kind: 'sales' }],
    venues: [{ id: 'v1', name: '健康讲座会场' }, { id: 'v1', name: '健康讲座会场' }, { id: 'v1', name: '健康讲座会场' }],
  },
  'absence.long': { awaySince: '2025-01-01T00:00:00Z', awayMin: 842, distanceKm: 3.2, thresholdMin: 720 },
  'absence.overnight': { awayMin: 300, night: '2025-01-02', nightFromHour: 0, nightToHour: 5 },
  'absence.trip': { awayMin: 500, distanceKm: 86.4, reason: 'far' },
  'home.strangers': { days: ['2025-01-01', '2025-01-03', '2025-01-05'], dayCount: 3, windowDays: 7, strangersNow: 2 },
  'device.removed': { reason: 'removed', removedAt: '2025-01-01T00:00:00Z' },
  'money.bank_after_venue': { windowHours: 48, venue: { id: 'b1', name: '农商银行城关支行' } },
  'safety.sos': { deviceId: 'w1', at: '2025-01-01T00:00:00Z', place: 'away' },
  'safety.fall': { deviceId: 'w1', at: '2025-01-01T00:00:00Z', place: 'home' },
}

/** Per rule and language, a detail from the evidence the spoken text must carry. */
const expectedDetail: Record<string, { 'zh-CN': string; en: string }> = {
  'venue.repeat': { 'zh-CN': '您近7天内已3次前往健康讲座会场', en: 'You have been to 健康讲座会场 3 times in the last 7 days' },
  'absence.long': { 'zh-CN': '您已离家约14小时', en: 'about 14 hours' },
  'absence.overnight': { 'zh-CN': '夜深了', en: 'late at night' },
  'absence.trip': { 'zh-CN': '您已离家86公里以上', en: 'more than 86 kilometres from home' },
  'home.strangers': { 'zh-CN': '近7天内有3天家中来过陌生人', en: 'on 3 of the last 7 days' },
  'device.removed': { 'zh-CN': '请把手表戴好', en: 'please put it back on' },
  'money.bank_after_venue': { 'zh-CN': '去了农商银行城关支行', en: 'been to 农商银行城关支行' },
  'safety.sos': { 'zh-CN': '已收到您的求救信号', en: 'received your SOS call' },
  'safety.fall': { 'zh-CN': '检测到您可能摔倒了', en: 'you may have fallen' },
}

const promptingRules = RULE_IDS.filter((r) => r in evidence)

describe('voice prompt templates', () => {
  it('has a template for every rule that can raise a yellow-or-above alert', () => {
    expect(promptingRules.sort()).toEqual(Object.keys(evidence).sort())
  })

  describe.each(promptingRules)('%s', (rule) => {
    it.each(['zh-CN', 'en'] as const)('speaks the evidence in %s', (lang) => {
      const prompt = voicePromptText(rule, 'orange', lang, evidence[rule])
      expect(prompt.lang).toBe(lang)
      expect(prompt.text).toContain(expectedDetail[rule]?.[lang])
      // Speakable: short, no ids, no raw evidence keys or template holes.
      expect(prompt.text.length).toBeLessThanOrEqual(200)
      expect(prompt.text).not.toMatch(/undefined|null|NaN|\{|\}|[a-z]+[A-Z]\w*|_/)
      if (lang === 'zh-CN') expect(prompt.text).not.toMatch(/[A-Za-z]/)
    })

    it('still speaks when the evidence is missing or malformed', () => {
      for (const bad of [{}, null, 'text', { visitCount: 'three', awayMin: -5, venues: [null], venue: 7, dayCount: {} }]) {
        for (const lang of ['zh-CN', 'en']) {
          const { text } = voicePromptText(rule, 'yellow', lang, bad)
          expect(text.length).toBeGreaterThan(10)
          expect(text).not.toMatch(/undefined|null|NaN|\{/)
        }
      }
    })
  })

  it('reproduces the issue example for the sales-lecture pattern', () => {
    expect(voicePromptText('venue.repeat', 'orange', 'zh-CN', evidence['venue.repeat']).text).toBe(
      '请注意：您近7天内已3次前往健康讲座会场，请警惕以免费讲座、赠送礼品为名的保健品推销，如有疑问请联系家人或社区。',
    )
  })

  it('names the scam that matches the venue kind', () => {
    const withKind = (kind: string) => ({ ...evidence['venue.repeat'], visits: [{ kind }], venues: [{ name: '某某中心' }] })
    expect(voicePromptText('venue.repeat', 'yellow', 'zh-CN', withKind('investment')).text).toContain('养老项目')
    expect(voicePromptText('venue.repeat', 'yellow', 'zh-CN', withKind('travel')).text).toContain('低价旅游')
    expect(voicePromptText('venue.repeat', 'yellow', 'en', withKind('investment')).text).toContain('pension project')
  })

  it('opens by level, and answers SOS and falls without a warning opener', () => {
    expect(voicePromptText('absence.long', 'yellow', 'zh-CN', evidence['absence.long']).text).toMatch(/^温馨提醒：/)
    expect(voicePromptText('venue.repeat', 'orange', 'zh-CN', evidence['venue.repeat']).text).toMatch(/^请注意：/)
    expect(voicePromptText('absence.trip', 'red', 'zh-CN', evidence['absence.trip']).text).toMatch(/^重要提醒：/)
    expect(voicePromptText('absence.trip', 'red', 'en', evidence['absence.trip']).text).toMatch(/^Important: /)
    expect(voicePromptText('safety.sos', 'red', 'zh-CN', {}).text).toMatch(/^已收到您的求救信号/)
  })

  it('says where the watch went silent differently from a watch taken off', () => {
    expect(voicePromptText('device.removed', 'orange', 'zh-CN', { reason: 'silent' }).text).toContain('没有信号')
  })

  it('falls back to a generic reminder for a rule without its own wording', () => {
    for (const rule of ['device.battery', 'some.future_rule', '__proto__', 'constructor']) {
      expect(voicePromptText(rule, 'yellow', 'zh-CN', {}).text).toBe('温馨提醒：请注意安全，如有疑问请联系家人或社区。')
      expect(voicePromptText(rule, 'red', 'en', {}).text).toBe('Important: Please take care of yourself. If in doubt, please call your family or community.')
    }
  })

  it('cuts a very long venue name so the sentence stays speakable', () => {
    const e = { ...evidence['venue.repeat'], venues: [{ name: '长'.repeat(120) }] }
    expect(voicePromptText('venue.repeat', 'yellow', 'zh-CN', e).text).not.toContain('长'.repeat(31))
  })

  it.each([
    ['zh-CN', 'zh-CN'],
    ['zh', 'zh-CN'],
    ['zh-Hans', 'zh-CN'],
    ['en', 'en'],
    ['en-US', 'en'],
    ['EN-gb', 'en'],
    ['fr', 'zh-CN'],
    ['eng', 'zh-CN'],
    ['', 'zh-CN'],
    [null, 'zh-CN'],
    [undefined, 'zh-CN'],
  ])('language %s → %s', (tag, lang) => {
    expect(resolveVoiceLanguage(tag)).toBe(lang)
  })
})
