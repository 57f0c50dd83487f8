import type { Lang } from './i18n'

/**
 * An alert's one-line summary in the operator's language, built from the rule and the evidence
 * the rule put on its finding (rules/src: visit-rules.ts, absence.ts, strangers.ts, devices.ts,
 * candidate.ts). The gateway's `summary` is one English sentence with the elder's name; the
 * board shows the name beside it, so these lines leave it out. When the evidence lacks a field
 * a line needs (an older alert, a rule changed since), the server's sentence is shown as is.
 * Pure: no DOM, no stores — unit-tested in dashboard/test/summaries.test.ts.
 */
export interface Summarisable {
  rule: string
  evidence?: Record<string, unknown> | undefined
  summary?: string | undefined
}

type Evidence = Record<string, unknown>
type Line = (e: Evidence, lang: Lang) => string | null

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null)
const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null)
const list = (v: unknown): Evidence[] =>
  Array.isArray(v) ? v.filter((x): x is Evidence => typeof x === 'object' && x !== null && !Array.isArray(x)) : []

/** Minutes as hours with one decimal (5.5), whole hours without one (12). */
function hours(min: number): string {
  return String(Math.round(min / 6) / 10)
}

/** Distinct venue names in order of first visit. */
function venueNames(visits: Evidence[]): string[] {
  return [...new Set(visits.map((v) => str(v.venueName) ?? str(v.name)).filter((n): n is string => n !== null))]
}

const KIND: Record<string, { zh: string; en: string }> = {
  sales: { zh: '销售场所', en: 'sales venues' },
  investment: { zh: '投资理财场所', en: 'investment offices' },
  travel: { zh: '旅游场所', en: 'travel agencies' },
}
const RISKY = { zh: '高风险场所', en: 'risky venues' }

/** "sales venues" when every visit was to one kind, else "risky venues". */
function venueKind(visits: Evidence[], lang: Lang): string {
  const kinds = new Set(visits.map((v) => str(v.kind)))
  const only = kinds.size === 1 ? [...kinds][0] : null
  return (only !== null && only !== undefined ? KIND[only]?.[lang] : undefined) ?? RISKY[lang]
}

function quoted(names: string[], lang: Lang): string {
  return lang === 'zh' ? names.map((n) => `「${n}」`).join('') : `(${names.join(', ')})`
}

/** 2026-11-29 → 11月29日 (zh); kept as is in English. */
function dayLabel(day: string, lang: Lang): string {
  const m = /^\d{4}-(\d{2})-(\d{2})$/.exec(day)
  if (lang !== 'zh' || m === null) return day
  return `${Number(m[1])}月${Number(m[2])}日`
}

const pad = (h: number) => `${String(h).padStart(2, '0')}:00`

const PLACE: Record<string, { zh: string; en: string }> = {
  home: { zh: '在家', en: 'at home' },
  away: { zh: '不在家', en: 'away from home' },
}

const DEVICE: Record<string, { zh: string; en: string }> = {
  watch: { zh: '腕表', en: 'watch' },
  camera: { zh: '摄像头', en: 'camera' },
}

function deviceName(e: Evidence, lang: Lang): string {
  const kind = str(e.deviceKind)
  return (kind !== null ? DEVICE[kind]?.[lang] : undefined) ?? (lang === 'zh' ? '设备' : 'device')
}

const venueRepeat: Line = (e, lang) => {
  const visits = list(e.visits)
  const n = num(e.visitCount)
  const days = num(e.windowDays)
  if (n === null || days === null) return null
  const names = venueNames(visits.length > 0 ? visits : list(e.venues))
  const run = num(e.consecutiveDays) ?? 0
  const kind = venueKind(visits, lang)
  const where = names.length > 0 ? (lang === 'zh' ? quoted(names, lang) : ` ${quoted(names, lang)}`) : ''
  if (lang === 'zh') return `${days}天内${n}次到访${kind}${where}${run >= 2 ? `，连续${run}天` : ''}`
  return `${n} visits to ${kind} in ${days} days${where}${run >= 2 ? `, ${run} days in a row` : ''}`
}

const bankAfterVenue: Line = (e, lang) => {
  const bank = str((e.venue as Evidence | undefined)?.name) ?? str((e.bankVisit as Evidence | undefined)?.venueName)
  const risky = list(e.riskyVisits)
  const h = num(e.windowHours)
  if (bank === null || risky.length === 0 || h === null) return null
  const names = venueNames(risky)
  if (lang === 'zh') return `${h}小时内${risky.length}次到访${venueKind(risky, lang)}${quoted(names, lang)}后前往「${bank}」`
  return `Went to ${bank} after ${risky.length} visits to ${venueKind(risky, lang)} in ${h} h ${quoted(names, lang)}`
}

const absenceLong: Line = (e, lang) => {
  const away = num(e.awayMin)
  if (away === null) return null
  const km = num(e.distanceKm)
  if (lang === 'zh') return `离家已${hours(away)}小时${km !== null ? `（最远${km}公里）` : ''}，超出平时`
  return `Away from home for ${hours(away)} h${km !== null ? ` (up to ${km} km)` : ''}, longer than usual`
}

const absenceOvernight: Line = (e, lang) => {
  const night = str(e.night)
  if (night === null) return null
  const from = num(e.nightFromHour)
  const to = num(e.nightToHour)
  const hoursSpan = from !== null && to !== null ? `${pad(from)}–${pad(to)}` : null
  const km = num(e.distanceKm)
  if (lang === 'zh') return `${dayLabel(night, lang)}夜间${hoursSpan !== null ? `（${hoursSpan}）` : ''}未归${km !== null ? `，离家最远${km}公里` : ''}`
  return `Away from home on the night of ${night}${hoursSpan !== null ? ` (${hoursSpan})` : ''}${km !== null ? `, up to ${km} km` : ''}`
}

const absenceTrip: Line = (e, lang) => {
  const away = num(e.awayMin)
  const km = num(e.distanceKm)
  if (away === null) return null
  if (e.reason === 'far' && km !== null) {
    if (lang === 'zh') return `离家最远${km}公里，已外出${hours(away)}小时，疑似参加低价游`
    return `Up to ${km} km from home for ${hours(away)} h, possibly on a tour`
  }
  if (lang === 'zh') return `已离家${hours(away)}小时，疑似远途出行${km !== null ? `（最远${km}公里）` : ''}`
  return `Away from home for ${hours(away)} h, possibly on a trip${km !== null ? ` (up to ${km} km)` : ''}`
}

const homeStrangers: Line = (e, lang) => {
  const days = num(e.dayCount)
  const windowDays = num(e.windowDays)
  if (days === null || windowDays === null) return null
  if (lang === 'zh') return `${windowDays}天内有${days}天家中出现陌生人`
  return `Strangers at home on ${days} of ${windowDays} days`
}

const deviceRemoved: Line = (e, lang) => {
  if (e.reason === 'removed') return lang === 'zh' ? '外出时摘下腕表' : 'Watch taken off away from home'
  const min = num(e.silentMin)
  if (e.reason !== 'silent' || min === null) return null
  return lang === 'zh' ? `外出时腕表已${min}分钟无数据` : `Watch silent for ${min} min away from home`
}

const deviceBattery: Line = (e, lang) => {
  if (str(e.deviceKind) === null) return null
  const pct = num(e.batteryPercent)
  const level = pct === null ? '' : lang === 'zh' ? `（${pct}%）` : ` (${pct} %)`
  return lang === 'zh' ? `${deviceName(e, lang)}电量低${level}` : `Low ${deviceName(e, lang)} battery${level}`
}

const deviceOffline: Line = (e, lang) => {
  const min = num(e.silentMin)
  if (str(e.deviceKind) === null || min === null) return null
  return lang === 'zh' ? `${deviceName(e, lang)}已${min}分钟无数据` : `No data from the ${deviceName(e, lang)} for ${min} min`
}

function safety(what: { zh: string; en: string }): Line {
  return (e, lang) => {
    const place = str(e.place)
    if (place === null) return null
    const where = PLACE[place]?.[lang]
    if (where === undefined) return what[lang]
    return lang === 'zh' ? `${what.zh}（${where}）` : `${what.en} (${where})`
  }
}

const venueCandidate: Line = (e, lang) => {
  const elders = Array.isArray(e.elderIds) ? e.elderIds.length : null
  const days = Array.isArray(e.days) ? e.days.length : null
  if (elders === null || days === null) return null
  if (lang === 'zh') return `${elders}位老人在未登记地点聚集30分钟以上，共${days}天，疑似新销售场所`
  return `${elders} elders gathered 30+ min at an unregistered place on ${days} days: a candidate venue`
}

const LINES: Record<string, Line> = {
  'venue.repeat': venueRepeat,
  'money.bank_after_venue': bankAfterVenue,
  'absence.long': absenceLong,
  'absence.overnight': absenceOvernight,
  'absence.trip': absenceTrip,
  'home.strangers': homeStrangers,
  'device.removed': deviceRemoved,
  'device.battery': deviceBattery,
  'device.offline': deviceOffline,
  'safety.sos': safety({ zh: '按下 SOS 紧急求救', en: 'SOS pressed' }),
  'safety.fall': safety({ zh: '检测到跌倒', en: 'Fall detected' }),
  'venue.candidate': venueCandidate,
}

/** The localised line, or the server's sentence when the evidence does not carry enough. */
export function alertSummary(alert: Summarisable, lang: Lang): string | undefined {
  const line = LINES[alert.rule]
  const evidence = alert.evidence
  const localised = line !== undefined && evidence !== undefined && evidence !== null ? line(evidence, lang) : null
  return localised ?? (alert.summary || undefined)
}
