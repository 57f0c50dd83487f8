import type { RiskLevel } from '../../../contract/levels'

/**
 * The words an elder hears from the watch or camera speaker (喊话, DESIGN §1 and §5: "on an
 * anomaly, warn the elder by voice"). Pure: (rule, level, language, evidence) → text.
 *
 * Written to be spoken: one or two short sentences, no symbols or ids a speech engine would
 * spell out, numbers as digits (every TTS reads them), a respectful 您 in Chinese. Each rule
 * has its own wording, filled from the finding's evidence (venue name, visit count, hours
 * away…); evidence that is missing or malformed falls back to the rule's wording without the
 * number, and an unknown rule to a generic reminder — a prompt is never dropped for want of
 * a detail.
 */
export const voiceLanguages = ['zh-CN', 'en'] as const
export type VoiceLanguage = (typeof voiceLanguages)[number]

/**
 * The elder's `language` column picks the language: any `en…` tag → English, anything else
 * (including `zh`, `zh-Hans`, unknown or missing) → Chinese, the product's first language.
 */
export function resolveVoiceLanguage(tag: string | null | undefined): VoiceLanguage {
  return typeof tag === 'string' && /^en(-|$)/i.test(tag.trim()) ? 'en' : 'zh-CN'
}

type Evidence = Record<string, unknown>
type Phrase = Record<VoiceLanguage, string>
/** A rule's wording, filled from whatever evidence is usable. */
type RuleTemplate = (e: Evidence, lang: VoiceLanguage) => string

/** How the prompt opens, by level: a gentle reminder, a warning, an urgent warning. */
const OPENING: Record<RiskLevel, Phrase> = {
  green: { 'zh-CN': '温馨提醒：', en: 'A gentle reminder: ' },
  yellow: { 'zh-CN': '温馨提醒：', en: 'A gentle reminder: ' },
  orange: { 'zh-CN': '请注意：', en: 'Please take care: ' },
  red: { 'zh-CN': '重要提醒：', en: 'Important: ' },
}

const ASK_FAMILY: Phrase = {
  'zh-CN': '如有疑问请联系家人或社区。',
  en: 'If in doubt, please call your family or community.',
}

const GENERIC: Phrase = {
  'zh-CN': `请注意安全，${ASK_FAMILY['zh-CN']}`,
  en: `Please take care of yourself. ${ASK_FAMILY.en}`,
}

// ---- evidence readers: tolerate anything, return undefined when the detail is not usable ----

function count(e: Evidence, key: string): number | undefined {
  const v = e[key]
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.round(v) : undefined
}

/** Venue names are typed by operators: trimmed and cut so the sentence stays speakable. */
function spokenName(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined
  const name = v.replace(/\s+/g, ' ').trim()
  return name === '' ? undefined : name.slice(0, 30)
}

function lastVenueName(e: Evidence): string | undefined {
  const venues = Array.isArray(e.venues) ? e.venues : []
  for (let i = venues.length - 1; i >= 0; i--) {
    const v = venues[i] as { name?: unknown } | null
    const name = spokenName(v?.name)
    if (name) return name
  }
  return undefined
}

/** The kind of the latest risky visit decides which scam the prompt names. */
function lastVisitKind(e: Evidence): string | undefined {
  const visits = Array.isArray(e.visits) ? e.visits : []
  const last = visits[visits.length - 1] as { kind?: unknown } | undefined
  return typeof last?.kind === 'string' ? last.kind : undefined
}

function hoursAway(e: Evidence): number | undefined {
  const min = count(e, 'awayMin')
  return min === undefined ? undefined : Math.max(1, Math.round(min / 60))
}

// ---- per rule ----

const SCAM_BY_VENUE_KIND: Record<string, Phrase> = {
  sales: { 'zh-CN': '请警惕以免费讲座、赠送礼品为名的保健品推销，', en: 'please beware of health products sold with free lectures or free gifts. ' },
  investment: { 'zh-CN': '请警惕高回报的“养老项目”投资，不要轻易转账，', en: 'please beware of high-return "pension project" investments, and do not transfer money. ' },
  travel: { 'zh-CN': '请警惕低价旅游中的强制购物和推销，', en: 'please beware of cheap tours that push you to buy things. ' },
}

const venueRepeat: RuleTemplate = (e, lang) => {
  const scam = SCAM_BY_VENUE_KIND[lastVisitKind(e) ?? 'sales'] ?? (SCAM_BY_VENUE_KIND.sales as Phrase)
  const n = count(e, 'visitCount')
  const days = count(e, 'windowDays')
  const venue = lastVenueName(e)
  if (lang === 'en') {
    const where = venue ?? 'sales venues'
    const visited = n && days ? `You have been to ${where} ${n} times in the last ${days} days; ` : `You have been to ${where} several times recently; `
    return `${visited}${scam.en}${ASK_FAMILY.en}`
  }
  const where = venue ?? '推销场所'
  const visited = n && days ? `您近${days}天内已${n}次前往${where}，` : `您近期多次前往${where}，`
  return `${visited}${scam['zh-CN']}${ASK_FAMILY['zh-CN']}`
}

const absenceLong: RuleTemplate = (e, lang) => {
  const h = hoursAway(e)
  if (lang === 'en') {
    const away = h ? `You have been away from home for about ${h} hours.` : 'You have been away from home for a long time.'
    return `${away} Is everything all right? If you need help, press the SOS button, and please let your family know where you are.`
  }
  const away = h ? `您已离家约${h}小时，` : '您已离家较长时间，'
  return `${away}一切还好吗？如需帮助请按求救键，也请告诉家人您在哪里。`
}

const absenceOvernight: RuleTemplate = (_e, lang) =>
  lang === 'en'
    ? 'It is late at night and you are not at home. Please stay safe and go home soon; press the SOS button if you need help.'
    : '夜深了，您还没有回家，请注意安全，尽早回家，需要帮助请按求救键。'

const absenceTrip: RuleTemplate = (e, lang) => {
  const km = count(e, 'distanceKm')
  const h = hoursAway(e)
  const far = e.reason === 'far' && km !== undefined
  if (lang === 'en') {
    const away = far ? `You are more than ${km} kilometres from home.` : h ? `You have been away from home for about ${h} hours.` : 'You have been away from home for a long time.'
    return `${away} Please beware of sales pitches on cheap tours, do not pay for anything in a hurry, and call your family if anything is wrong.`
  }
  const away = far ? `您已离家${km}公里以上，` : h ? `您已离家约${h}小时，` : '您已离家较长时间，'
  return `${away}请警惕低价旅游中的推销和购物陷阱，不要轻易付款，有事请及时联系家人。`
}

const homeStrangers: RuleTemplate = (e, lang) => {
  const n = count(e, 'dayCount')
  const days = count(e, 'windowDays')
  if (lang === 'en') {
    const seen = n && days ? `Strangers have come to your home on ${n} of the last ${days} days.` : 'Strangers have come to your home several times recently.'
    return `${seen} Please do not open the door to strangers or door-to-door sellers. ${ASK_FAMILY.en}`
  }
  const seen = n && days ? `近${days}天内有${n}天家中来过陌生人，` : '近期家中多次来过陌生人，'
  return `${seen}请不要随便给陌生人开门，警惕上门推销和冒充“养老服务”的骗局，${ASK_FAMILY['zh-CN']}`
}

const deviceRemoved: RuleTemplate = (e, lang) => {
  if (e.reason === 'silent') {
    return lang === 'en'
      ? 'Your watch has had no signal for a while. Please check that you are wearing it and that it is charged.'
      : '您的手表有一段时间没有信号了，请检查手表是否戴好、电量是否充足。'
  }
  return lang === 'en'
    ? 'Your watch has been taken off while you are out. For your safety, please put it back on.'
    : '您在外出时摘下了手表，为了您的安全，请把手表戴好。'
}

const bankAfterVenue: RuleTemplate = (e, lang) => {
  const bank = spokenName((e.venue as { name?: unknown } | undefined)?.name)
  if (lang === 'en') {
    const where = bank ? `You have just been to ${bank} after several sales events.` : 'You have just been to a bank after several sales events.'
    return `${where} Please do not transfer money to strangers or buy investment products; talk to your family before any transfer.`
  }
  const where = bank ? `您在参加推销活动后去了${bank}，` : '您在参加推销活动后去了银行，'
  return `${where}请不要给陌生人转账或购买理财产品，转账前请先和家人商量。`
}

/** SOS and falls are answered, not warned about: the elder needs to hear that help is coming. */
const safetySos: RuleTemplate = (_e, lang) =>
  lang === 'en'
    ? 'We have received your SOS call and are contacting your family and community now. Please stay calm and stay where you are.'
    : '已收到您的求救信号，正在联系您的家人和社区，请保持冷静，尽量留在原地。'

const safetyFall: RuleTemplate = (_e, lang) =>
  lang === 'en'
    ? 'It looks like you may have fallen. If you need help, press the SOS button or call out; we are contacting your family.'
    : '检测到您可能摔倒了，如需帮助请按求救键或大声呼救，我们正在联系您的家人。'

const RULE_TEMPLATES: Record<string, RuleTemplate> = {
  'venue.repeat': venueRepeat,
  'absence.long': absenceLong,
  'absence.overnight': absenceOvernight,
  'absence.trip': absenceTrip,
  'home.strangers': homeStrangers,
  'device.removed': deviceRemoved,
  'money.bank_after_venue': bankAfterVenue,
  'safety.sos': safetySos,
  'safety.fall': safetyFall,
}

/** Rules whose prompt is an answer to the elder's own call: no warning opener. */
const NO_OPENING = new Set(['safety.sos', 'safety.fall'])

export interface VoicePromptText {
  text: string
  lang: VoiceLanguage
}

/** The prompt for an alert of `rule` at `level`, in the elder's language. */
export function voicePromptText(rule: string, level: RiskLevel, language: string | null | undefined, evidence: unknown): VoicePromptText {
  const lang = resolveVoiceLanguage(language)
  const e: Evidence = typeof evidence === 'object' && evidence !== null && !Array.isArray(evidence) ? (evidence as Evidence) : {}
  const template = Object.hasOwn(RULE_TEMPLATES, rule) ? RULE_TEMPLATES[rule] : undefined
  const body = template ? template(e, lang) : GENERIC[lang]
  const opening = NO_OPENING.has(rule) ? '' : OPENING[level][lang]
  return { text: opening + body, lang }
}
