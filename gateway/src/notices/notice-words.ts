import type { NoticeLanguage } from '../registry/types'

/**
 * The fixed words of a notice in each recipient language (DESIGN §4): level names, the event a
 * rule names, the CAP headline, restriction and instruction. Rule names follow the board
 * (dashboard/src/i18n.ts) so an officer who opens the board sees the same words. Pure.
 */
type Words = Record<NoticeLanguage, string>

const LEVELS: Record<string, Words> = {
  red: { 'zh-CN': '红色预警', en: 'RED' },
  orange: { 'zh-CN': '橙色预警', en: 'ORANGE' },
  yellow: { 'zh-CN': '黄色提示', en: 'YELLOW' },
  green: { 'zh-CN': '绿色记录', en: 'GREEN' },
}

export function levelWord(level: string, language: NoticeLanguage): string {
  return LEVELS[level]?.[language] ?? level
}

/** CAP <event>: what happened, in words; the rule id travels as a parameter. */
const EVENTS: Record<string, Words> = {
  'venue.repeat': { 'zh-CN': '反复前往高风险推销场所（疑似养老诈骗）', en: 'Repeated visits to risky sales venues (suspected elder fraud)' },
  'absence.long': { 'zh-CN': '长时间离家', en: 'Unusually long absence from home' },
  'absence.overnight': { 'zh-CN': '夜间未归', en: 'Away from home overnight' },
  'absence.trip': { 'zh-CN': '远途或长时间外出（疑似低价游）', en: 'Long or distant trip (suspected tour scam)' },
  'home.strangers': { 'zh-CN': '陌生人多次上门', en: 'Strangers repeatedly at home' },
  'device.removed': { 'zh-CN': '外出时摘下腕表或腕表无信号', en: 'Watch removed or silent away from home' },
  'money.bank_after_venue': { 'zh-CN': '参加推销活动后前往银行（疑似诈骗转账）', en: 'Bank visit after sales venues (suspected fraud)' },
  'safety.sos': { 'zh-CN': '老人按下SOS紧急求救', en: 'SOS pressed by elder' },
  'safety.fall': { 'zh-CN': '检测到老人跌倒', en: 'Fall detected' },
  'venue.candidate': { 'zh-CN': '疑似新销售场所', en: 'Candidate sales venue' },
  'device.battery': { 'zh-CN': '设备电量低', en: 'Low device battery' },
  'device.offline': { 'zh-CN': '设备离线', en: 'Device offline' },
}

export function eventName(rule: string, language: NoticeLanguage): string {
  return EVENTS[rule]?.[language] ?? rule
}

/** CAP <headline> (≤ 160 characters, CAP 1.2 §3.2.2): `<level>: <event> — <elder>`; receivers split on the last " — ". */
export function headline(level: string, rule: string, elderName: string, language: NoticeLanguage): string {
  const sep = language === 'en' ? ': ' : '：'
  const text = `${levelWord(level, language)}${sep}${eventName(rule, language)} — ${elderName}`
  return text.length <= 160 ? text : `${text.slice(0, 159)}…`
}

/** CAP <restriction>: who may read it (personal data of an elder at risk). */
export function restriction(stationName: string | null, language: NoticeLanguage): string {
  if (language === 'en') return stationName ? `For ${stationName} only: personal data of an elder at risk` : 'Police use only: personal data of an elder at risk'
  return stationName ? `仅限${stationName}使用：含风险老人个人信息` : '仅限公安机关使用：含风险老人个人信息'
}

/** CAP <instruction>: what the reader is asked to do. */
export function instruction(rule: string, elderPhone: string | null, language: NoticeLanguage): string {
  const safety = rule === 'safety.sos' || rule === 'safety.fall'
  if (language === 'en') {
    const call = elderPhone ? `Call the elder on ${elderPhone}` : 'Contact the elder'
    return safety
      ? `${call} at once; if there is no answer, send someone to the location given.`
      : `${call} and the family to check; if fraud is suspected, visit and stop any payment.`
  }
  if (safety) return `${elderPhone ? `请立即致电老人（${elderPhone}）` : '请立即联系老人'}；如无人接听，请派员前往所示位置。`
  return `${elderPhone ? `请致电老人（${elderPhone}）` : '请联系老人'}及其家属核实情况；如疑似诈骗，请上门劝阻并阻止转账。`
}

/** Lines of the CAP <description> besides the summary. */
export const LABELS: Record<'location' | 'elder' | 'phone' | 'address' | 'noFix' | 'fixAt' | 'sent', Words> = {
  location: { 'zh-CN': '位置', en: 'Location' },
  elder: { 'zh-CN': '老人', en: 'Elder' },
  phone: { 'zh-CN': '电话', en: 'phone' },
  address: { 'zh-CN': '住址', en: 'address' },
  noFix: { 'zh-CN': '暂无手表定位，所示为登记住址', en: 'no watch fix known: the registered home is shown' },
  fixAt: { 'zh-CN': '定位时间', en: 'fix at' },
  sent: { 'zh-CN': '发出时间', en: 'Sent' },
}
