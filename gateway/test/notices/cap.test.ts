import { XMLParser } from 'fast-xml-parser'
import { describe, expect, it } from 'vitest'
import { CAP_NAMESPACE, renderCap, validateCap } from '../../src/notices/cap'
import { capDateTime } from '../../src/notices/local-time'
import { composeNotice, type NoticeContent, type NoticeDraft } from '../../src/notices/notice-content'
import { placeOf, type FixCandidate } from '../../src/notices/notice-location'

const HOME = { lat: 31.2304, lon: 121.4737, radiusM: 150 }
const FIX: FixCandidate = { lat: 31.2304123, lon: 121.4737456, ts: Date.parse('2026-03-01T08:59:00.000Z'), acc: 25 }

const draft = (over: Partial<NoticeDraft> = {}): NoticeDraft => ({
  noticeId: '5b7e3c1e-0000-4000-8000-000000000001',
  tenantId: 'county-a',
  alertId: 'alert-1',
  elderId: 'elder-1',
  audience: 'police',
  level: 'red',
  rule: 'money.bank_after_venue',
  count: 1,
  firstAt: '2026-03-01T09:00:00.000Z',
  lastAt: '2026-03-01T09:00:00.000Z',
  elder: { name: '王秀英 <& "quoted">', address: '城关镇幸福路 12 号', phone: '+86 138 0000 0000' },
  evidence: { visits: 3, bank: 'ICBC 城关支行' },
  sentAt: '2026-03-01T09:00:01.234Z',
  receiptUrl: 'https://gw.example/api/v1/notices/5b7e3c1e-0000-4000-8000-000000000001/receipt',
  station: { id: 's1', name: '城关派出所' },
  ...over,
})

const content = (over: Partial<NoticeDraft> = {}, opts: { fix?: FixCandidate | null; language?: 'zh-CN' | 'en' } = {}): NoticeContent =>
  composeNotice(draft(over), placeOf(opts.fix === undefined ? FIX : opts.fix, HOME, null), HOME, opts.language ?? 'en', 'Asia/Shanghai')

const parse = (xml: string) =>
  new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_', parseTagValue: false, isArray: (n) => ['info', 'category', 'area', 'circle'].includes(n) }).parse(xml) as {
    alert: Record<string, unknown> & { info: Array<Record<string, unknown> & { area: Array<Record<string, unknown>> }> }
  }

describe('CAP 1.2 notices', () => {
  it('carries every element CAP 1.2 requires, read back from the XML', () => {
    const xml = renderCap(content(), { sender: 'eldergate.county-a', fallbackRadiusM: 150 })
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>')).toBe(true)
    const { alert } = parse(xml)
    expect(alert['@_xmlns']).toBe(CAP_NAMESPACE)
    expect(alert).toMatchObject({
      identifier: '5b7e3c1e-0000-4000-8000-000000000001',
      sender: 'eldergate.county-a',
      // Local time with its offset (EG_TZ), never Z.
      sent: '2026-03-01T17:00:01+08:00',
      status: 'Actual',
      msgType: 'Alert',
      scope: 'Restricted',
    })
    expect(String(alert.restriction)).toContain('城关派出所')
    const info = alert.info[0]
    expect(info).toBeDefined()
    expect(info).toMatchObject({
      language: 'en',
      category: ['Security'],
      event: 'Bank visit after sales venues (suspected fraud)',
      urgency: 'Immediate',
      severity: 'Severe',
      certainty: 'Likely',
      onset: '2026-03-01T17:00:00+08:00',
    })
    expect(String(info?.headline)).toContain('王秀英 <& "quoted">')
    expect(String(info?.description)).toContain('went to a bank at 2026-03-01 17:00 (UTC+08:00) after sales events')
    // The fix is at the home (inside its geofence): the area says so.
    expect(info?.area[0]).toMatchObject({ areaDesc: 'Home of 王秀英 <& "quoted">, 城关镇幸福路 12 号 (watch fix)', circle: ['31.230412,121.473746 0.05'] })
    // Without EG_OPERATOR_CONTACT there is no <contact> — never the elder's phone; no <web> (the board has no alert route).
    expect(info?.contact).toBeUndefined()
    expect(info?.web).toBeUndefined()
    expect(validateCap(xml)).toEqual([])
  })

  it('files SOS and falls under Health and Rescue, and uses the home geofence without a fix', () => {
    const xml = renderCap(content({ rule: 'safety.sos', elder: { name: '李', address: null, phone: null } }, { fix: null }), {
      sender: 'eldergate.county-a',
      fallbackRadiusM: 300,
    })
    const info = parse(xml).alert.info[0]
    expect(info?.category).toEqual(['Health', 'Rescue'])
    expect(info?.certainty).toBe('Observed')
    expect(info?.area[0]).toMatchObject({ areaDesc: 'Home of 李 (registered address)', circle: ['31.2304,121.4737 0.3'] })
    expect(validateCap(xml)).toEqual([])
  })

  it("speaks the station's language, names the operating centre as <contact>", () => {
    const xml = renderCap(content({ rule: 'safety.fall', evidence: { at: '2026-11-28T08:20:00.000Z', place: 'away' } }, { fix: { lat: 31.3, lon: 121.5, ts: Date.parse('2026-11-28T08:19:30Z'), acc: 20 }, language: 'zh-CN' }), {
      sender: 'eldergate.county-a',
      fallbackRadiusM: 150,
      operatorContact: '城关智慧养老服务中心 0571-88880000',
    })
    const info = parse(xml).alert.info[0]
    expect(info).toMatchObject({ language: 'zh-CN', event: '检测到老人跌倒', onset: '2026-11-28T16:20:00+08:00', contact: '城关智慧养老服务中心 0571-88880000' })
    expect(String(info?.headline)).toBe('红色预警：检测到老人跌倒 — 王秀英 <& "quoted">')
    expect(String(info?.description)).toContain('可能摔倒（腕表检测到跌倒），时间 2026-11-28 16:20 (UTC+08:00)，当时不在家。')
    expect(String(info?.area[0]?.areaDesc)).toMatch(/^王秀英 <& "quoted">的手表定位，距家约\d+(\.\d)?公里$/)
    expect(validateCap(xml)).toEqual([])
  })

  it.each([
    ['identifier', /<identifier>[^<]*<\/identifier>/, 'alert.identifier missing'],
    ['sent', /<sent>[^<]*<\/sent>/, 'alert.sent missing'],
    ['scope', /<scope>[^<]*<\/scope>/, 'alert.scope missing'],
    ['restriction', /<restriction>[^<]*<\/restriction>/, 'alert.restriction missing (scope Restricted)'],
    ['category', /<category>[^<]*<\/category>/, 'alert.info[0].category missing'],
    ['urgency', /<urgency>[^<]*<\/urgency>/, 'alert.info[0].urgency missing'],
    ['certainty', /<certainty>[^<]*<\/certainty>/, 'alert.info[0].certainty missing'],
    ['areaDesc', /<areaDesc>[^<]*<\/areaDesc>/, 'alert.info[0].area[0].areaDesc missing'],
  ])('validateCap names a missing %s', (_name, element, problem) => {
    const xml = renderCap(content(), { sender: 'eldergate.county-a', fallbackRadiusM: 150 })
    expect(validateCap(xml.replace(element, ''))).toContain(problem)
  })

  it('validateCap refuses bad values, Z times and broken XML', () => {
    const xml = renderCap(content(), { sender: 'eldergate.county-a', fallbackRadiusM: 150 })
    expect(validateCap(xml.replace('<severity>Severe</severity>', '<severity>Bad</severity>'))).toContain("alert.info[0].severity: 'Bad' is not a CAP 1.2 value")
    expect(validateCap(xml.replace('2026-03-01T17:00:01+08:00', '2026-03-01T09:00:01Z'))).toContain('alert.sent: not a CAP dateTime')
    expect(validateCap(xml.replace('<alert xmlns', '<alert xmlnz'))).toContain(`alert: namespace must be ${CAP_NAMESPACE}`)
    expect(validateCap(xml.replace('</alert>', ''))[0]).toMatch(/^not well-formed XML/)
    expect(capDateTime('2026-03-01T09:00:01.999Z', 'UTC')).toBe('2026-03-01T09:00:01-00:00')
    expect(capDateTime('2026-03-01T09:00:01.999Z', 'Asia/Shanghai')).toBe('2026-03-01T17:00:01+08:00')
  })
})
