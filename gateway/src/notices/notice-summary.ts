import type { NoticeLanguage } from '../registry/types'
import { formatLocalTime, isInstant } from './local-time'
import { levelWord } from './notice-words'

/**
 * A notice's `summary`: one or two sentences a duty officer or a son can act on, in the
 * recipient's language, built from the rule and the evidence its finding carries (rules/src:
 * visit-rules.ts, absence.ts, strangers.ts, devices.ts, candidate.ts) — never the rule engine's
 * English sentence with its UTC times. Times are local with their offset (EG_TZ), e.g.
 * `2026-11-28 16:20 (UTC+08:00)`. Wording follows the board (dashboard/src/summaries.ts, i18n.ts)
 * and the voice prompts (voice/templates.ts), in the third person. Evidence that is missing or
 * malformed falls back to the rule's sentence without the detail: a notice is never dropped, and
 * never falls back to English, for want of a field. Pure.
 */
export interface SummaryInput {
  rule: string
  level: string
  evidence: Record<string, unknown>
  elderName: string
  /** The time the alert is about (the event, or the latest finding). */
  eventAt: string
  language: NoticeLanguage
  timeZone: string
  /** Whether the notice's newest watch fix is at home; undefined without a fix. */
  fixAtHome?: boolean | undefined
}

type Evidence = Record<string, unknown>
interface Ctx {
  e: Evidence
  n: string
  zh: boolean
  /** A local time from the evidence, or the event time when the field is unusable. */
  t(at?: unknown): string
  /** A local time from the evidence; null when the field is unusable. */
  known(at: unknown): string | null
  fixAtHome: boolean | undefined
}
type Sentence = (c: Ctx) => string

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null)
const positive = (v: unknown): number | null => {
  const n = num(v)
  return n !== null && n > 0 ? n : null
}
/** Operator-typed names, trimmed and bounded so a sentence stays a sentence. */
const str = (v: unknown): string | null => (typeof v === 'string' && v.trim() !== '' ? v.replace(/\s+/g, ' ').trim().slice(0, 60) : null)
const list = (v: unknown): Evidence[] => (Array.isArray(v) ? v.filter((x): x is Evidence => typeof x === 'object' && x !== null && !Array.isArray(x)) : [])
const obj = (v: unknown): Evidence => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Evidence) : {})
/** Minutes as hours, one decimal at most. */
const hours = (min: number): string => String(Math.round(min / 6) / 10)

const KIND: Record<string, { zh: string; en: string }> = {
  sales: { zh: '保健品推销场所', en: 'sales venues' },
  investment: { zh: '投资理财场所', en: 'investment offices' },
  travel: { zh: '旅游推销场所', en: 'tour operators' },
}
const RISKY = { zh: '高风险场所', en: 'risky venues' }

function venueKind(visits: Evidence[], zh: boolean): string {
  const kinds = new Set(visits.map((v) => str(v.kind)))
  const only = kinds.size === 1 ? [...kinds][0] : null
  const words = (only ? KIND[only] : undefined) ?? RISKY
  return zh ? words.zh : words.en
}

/** 「A」「B」 in Chinese, (A, B) in English; empty without names. */
function venueNames(visits: Evidence[], zh: boolean): string {
  const names = [...new Set(visits.map((v) => str(v.venueName) ?? str(v.name)).filter((x): x is string => x !== null))].slice(0, 5)
  if (names.length === 0) return ''
  return zh ? names.map((x) => `「${x}」`).join('') : ` (${names.join(', ')})`
}

const PLACE: Record<string, { zh: string; en: string }> = {
  home: { zh: '，当时在家', en: ', at home' },
  away: { zh: '，当时不在家', en: ', away from home' },
}
/**
 * Home or away: the rule engine's belief (evidence.place), said only where it agrees with the
 * position the notice gives beside it — one fix far from home does not yet make the engine say
 * "away" (it waits for a confirming fix), and a notice must not say "at home" next to a fix 7 km
 * off. Without the engine's word, the fix's.
 */
const placeText = (c: Ctx): string => {
  const engine = str(c.e.place)
  const fix = c.fixAtHome === undefined ? undefined : c.fixAtHome ? 'home' : 'away'
  const place = engine === 'home' || engine === 'away' ? (fix === undefined || fix === engine ? engine : null) : (fix ?? null)
  const p = place === null ? undefined : PLACE[place]
  return p ? (c.zh ? p.zh : p.en) : ''
}

/** 2026-11-28 → 11月28日 (zh); kept as the date in English. */
function nightLabel(v: unknown, zh: boolean): string | null {
  const day = str(v)
  const m = day === null ? null : /^\d{4}-(\d{2})-(\d{2})$/.exec(day)
  if (day === null || m === null) return null
  return zh ? `${Number(m[1])}月${Number(m[2])}日` : day
}

const venueRepeat: Sentence = (c) => {
  const visits = list(c.e.visits)
  const n = positive(c.e.visitCount)
  const days = positive(c.e.windowDays)
  const last = c.t(visits[visits.length - 1]?.start)
  if (n === null || days === null) {
    return c.zh ? `${c.n}近期多次到访高风险场所，疑似遭遇养老诈骗推销（${last}）。` : `${c.n} has repeatedly visited risky venues, latest at ${last}: suspected elder-fraud sales.`
  }
  const run = positive(c.e.consecutiveDays) ?? 0
  const where = venueNames(visits.length > 0 ? visits : list(c.e.venues), c.zh)
  if (c.zh) return `${c.n}近${days}天内${n}次到访${venueKind(visits, true)}${where}${run >= 2 ? `，连续${run}天` : ''}，疑似遭遇养老诈骗推销；最近一次到访 ${last}。`
  return `${c.n} made ${n} visits to ${venueKind(visits, false)} in ${days} days${where}${run >= 2 ? `, ${run} days in a row` : ''}: suspected elder-fraud sales. Latest visit ${last}.`
}

const bankAfterVenue: Sentence = (c) => {
  const bankVisit = obj(c.e.bankVisit)
  const bank = str(obj(c.e.venue).name) ?? str(bankVisit.venueName)
  const risky = list(c.e.riskyVisits)
  const h = positive(c.e.windowHours)
  const at = c.t(bankVisit.start)
  if (bank === null || risky.length === 0 || h === null) {
    return c.zh ? `${c.n}参加推销活动后前往银行（${at}），疑似被骗转账。` : `${c.n} went to a bank at ${at} after sales events: possible payment to fraudsters.`
  }
  if (c.zh) return `${c.n}在${h}小时内${risky.length}次到访${venueKind(risky, true)}${venueNames(risky, true)}后，于 ${at} 前往「${bank}」，疑似被骗转账或购买理财产品。`
  return `${c.n} went to ${bank} at ${at} after ${risky.length} visits to ${venueKind(risky, false)} within ${h} h${venueNames(risky, false)}: possible payment to fraudsters.`
}

/** `（最远离家7.7公里）` / `, up to 7.7 km from home`; empty when unknown or zero. */
function farthest(c: Ctx): string {
  const km = positive(c.e.distanceKm)
  if (km === null) return ''
  return c.zh ? `（最远离家${km}公里）` : `, up to ${km} km from home`
}

/** When the evidence lacks the time a sentence needs: `（截至 T）` / `, as of T` (the alert's time). */
const asOf = (c: Ctx): string => (c.zh ? `（截至 ${c.t()}）` : `, as of ${c.t()}`)

const absenceLong: Sentence = (c) => {
  const away = positive(c.e.awayMin)
  const since = c.known(c.e.awaySince)
  if (away === null) return c.zh ? `${c.n}离家时间明显长于平时${asOf(c)}。` : `${c.n} has been away from home much longer than usual${asOf(c)}.`
  if (c.zh) return `${c.n}${since ? `自 ${since} 离家，` : ''}已约${hours(away)}小时未归${farthest(c)}，超出平时${since ? '' : asOf(c)}。`
  return `${c.n} has been away from home for about ${hours(away)} h${farthest(c)}${since ? `, since ${since}` : asOf(c)}, longer than usual.`
}

const absenceOvernight: Sentence = (c) => {
  const night = nightLabel(c.e.night, c.zh)
  const from = num(c.e.nightFromHour)
  const to = num(c.e.nightToHour)
  const span = from !== null && to !== null ? `${String(from).padStart(2, '0')}:00–${String(to).padStart(2, '0')}:00` : null
  const since = c.known(c.e.awaySince)
  if (c.zh) return `${c.n}${night ? `在${night}` : ''}夜间${span ? `（${span}）` : ''}未回家${farthest(c)}${since ? `，自 ${since} 离家` : asOf(c)}。`
  return `${c.n} was away from home during the night${night ? ` of ${night}` : ''}${span ? ` (${span} local time)` : ''}${farthest(c)}${since ? `, away since ${since}` : asOf(c)}.`
}

const absenceTrip: Sentence = (c) => {
  const away = positive(c.e.awayMin)
  const km = positive(c.e.distanceKm)
  const h = away === null ? null : hours(away)
  const since = c.known(c.e.awaySince)
  if (c.e.reason === 'far' && km !== null) {
    if (c.zh) return `${c.n}${since ? `自 ${since} 离家，` : ''}最远离家${km}公里${h ? `，已外出约${h}小时` : ''}，疑似参加低价游（旅游购物骗局）${since ? '' : asOf(c)}。`
    return `${c.n} has been up to ${km} km from home${h ? ` for about ${h} h` : ''}${since ? `, away since ${since}` : asOf(c)}: possibly on a cheap tour (tour scam).`
  }
  if (c.zh) return `${c.n}${since ? `自 ${since} 离家，` : ''}${h ? `已约${h}小时未归` : '长时间未归'}${farthest(c)}，疑似远途出行${since ? '' : asOf(c)}。`
  return `${c.n} has been away from home${h ? ` for about ${h} h` : ' for a long time'}${farthest(c)}${since ? `, since ${since}` : asOf(c)}: possibly on a long trip.`
}

const homeStrangers: Sentence = (c) => {
  const d = positive(c.e.dayCount)
  const w = positive(c.e.windowDays)
  const now = positive(c.e.strangersNow)
  const at = c.t()
  if (d === null || w === null) return c.zh ? `${c.n}家中近期多次出现陌生人，疑似上门推销或诈骗（${at}）。` : `Strangers have repeatedly been seen at ${c.n}'s home, latest at ${at}: possible door-to-door sellers or scammers.`
  if (c.zh) return `近${w}天内有${d}天在${c.n}家中发现陌生人${now ? `（最近一次${now}人）` : ''}，疑似上门推销或诈骗；最近一次 ${at}。`
  return `Strangers were seen at ${c.n}'s home on ${d} of the last ${w} days${now ? ` (${now} at the latest visit)` : ''}: possible door-to-door sellers or scammers. Latest ${at}.`
}

const deviceRemoved: Sentence = (c) => {
  const min = positive(c.e.silentMin)
  if (c.e.reason === 'silent') {
    const last = c.known(c.e.lastSeen)
    if (c.zh) return `${c.n}外出时腕表${min ? `已${min}分钟` : '长时间'}无数据${last ? `（最后数据 ${last}）` : asOf(c)}，无法确认其位置。`
    return `${c.n}'s watch has been silent${min ? ` for ${min} min` : ''} while away from home${last ? `, last data at ${last}` : asOf(c)}; the position cannot be confirmed.`
  }
  const at = c.known(c.e.removedAt)
  if (c.zh) return `${c.n}外出时摘下了腕表${at ? `（${at}）` : asOf(c)}，无法再确认其位置。`
  return `${c.n} took the watch off${at ? ` at ${at}` : ''} while away from home${at ? '' : asOf(c)}; the position can no longer be followed.`
}

const DEVICE: Record<string, { zh: string; en: string }> = { watch: { zh: '腕表', en: 'watch' }, camera: { zh: '摄像头', en: 'camera' } }
const deviceName = (c: Ctx): string => {
  const d = DEVICE[str(c.e.deviceKind) ?? '']
  return d ? (c.zh ? d.zh : d.en) : c.zh ? '设备' : 'device'
}

const deviceBattery: Sentence = (c) => {
  const pct = num(c.e.batteryPercent)
  const since = c.known(c.e.since)
  if (c.zh) return `${c.n}的${deviceName(c)}电量低${pct !== null ? `（${pct}%）` : ''}${since ? `，自 ${since} 起` : asOf(c)}，请及时充电。`
  return `${c.n}'s ${deviceName(c)} battery is low${pct !== null ? ` (${pct} %)` : ''}${since ? ` since ${since}` : asOf(c)}; it needs charging.`
}

const deviceOffline: Sentence = (c) => {
  const min = positive(c.e.silentMin)
  const last = c.known(c.e.lastSeen)
  if (c.zh) return `${c.n}的${deviceName(c)}${min ? `已${min}分钟` : '长时间'}无数据${last ? `（最后数据 ${last}）` : asOf(c)}。`
  return `No data from ${c.n}'s ${deviceName(c)}${min ? ` for ${min} min` : ''}${last ? `, last data at ${last}` : asOf(c)}.`
}

const safetySos: Sentence = (c) => (c.zh ? `${c.n}于 ${c.t(c.e.at)} 按下SOS紧急求救${placeText(c)}。` : `${c.n} pressed SOS at ${c.t(c.e.at)}${placeText(c)}.`)

const safetyFall: Sentence = (c) =>
  c.zh ? `${c.n}可能摔倒（腕表检测到跌倒），时间 ${c.t(c.e.at)}${placeText(c)}。` : `${c.n} may have fallen (fall detected) at ${c.t(c.e.at)}${placeText(c)}.`

const venueCandidate: Sentence = (c) => {
  const elders = Array.isArray(c.e.elderIds) ? c.e.elderIds.length : null
  const days = Array.isArray(c.e.days) ? c.e.days.length : null
  if (elders === null || days === null) return c.zh ? `多位老人在未登记地点聚集，疑似新销售场所（${c.t()}）。` : `Several elders gathered at an unregistered place, latest at ${c.t()}: a candidate sales venue.`
  if (c.zh) return `${elders}位老人在未登记地点聚集30分钟以上，共${days}天，疑似新销售场所（${c.t()}）。`
  return `${elders} elders gathered for 30+ min at an unregistered place on ${days} days, latest at ${c.t()}: a candidate sales venue.`
}

/** Every rule of DESIGN §5. */
export const SUMMARY_RULES: Readonly<Record<string, Sentence>> = {
  'venue.repeat': venueRepeat,
  'absence.long': absenceLong,
  'absence.overnight': absenceOvernight,
  'absence.trip': absenceTrip,
  'home.strangers': homeStrangers,
  'device.removed': deviceRemoved,
  'money.bank_after_venue': bankAfterVenue,
  'safety.sos': safetySos,
  'safety.fall': safetyFall,
  'venue.candidate': venueCandidate,
  'device.battery': deviceBattery,
  'device.offline': deviceOffline,
}

export function noticeSummary(input: SummaryInput): string {
  const zh = input.language !== 'en'
  const ctx: Ctx = {
    e: input.evidence,
    n: input.elderName,
    zh,
    t: (at) => formatLocalTime(isInstant(at) ? at : input.eventAt, input.timeZone),
    known: (at) => (isInstant(at) ? formatLocalTime(at, input.timeZone) : null),
    fixAtHome: input.fixAtHome,
  }
  const sentence = Object.hasOwn(SUMMARY_RULES, input.rule) ? SUMMARY_RULES[input.rule] : undefined
  if (sentence) return sentence(ctx)
  // A rule added later: still the recipient's language, with the level and the time.
  const level = levelWord(input.level, input.language)
  return zh ? `${input.elderName}：${input.rule}（${level}），时间 ${ctx.t()}。` : `${input.elderName}: ${input.rule} (${level}) at ${ctx.t()}.`
}
