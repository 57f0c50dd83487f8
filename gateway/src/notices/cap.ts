import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser'
import { capDateTime } from './local-time'
import { eventTimeOf, type NoticeContent } from './notice-content'
import { LABELS, eventName, headline, instruction, restriction } from './notice-words'

/**
 * OASIS CAP 1.2 (Common Alerting Protocol) for stations with `format: cap` (DESIGN §4), written
 * for the station that reads it: <language>, <event>, <headline>, <description>,
 * <instruction> and <areaDesc> in the station's language; <sent> and <onset> in local time with
 * the offset (EG_TZ); <areaDesc> says what the <circle> is (the venue, the home, a watch fix N km
 * from home); <contact> is the operating centre (EG_OPERATOR_CONTACT) — CAP's "follow-up and
 * confirmation" contact is the sender's, never the elder's phone, which travels as the
 * `elderPhone` parameter and in the instruction.
 *
 * No <web>: CAP means "a hyperlink to additional information", and the board has no route that
 * opens one alert (it routes /, /notices, /elders/:id …), while the receipt URL answers only a
 * signed POST. The receipt URL stays a parameter.
 *
 * Elements are emitted in the order of the CAP 1.2 schema; validateCap re-parses the XML and
 * checks every element CAP 1.2 requires before the notice is stored, so a rendering bug shows
 * up as a failed notice with the missing element named, not as a station's parser error 24
 * hours of retries later. Tests validate every notice the gateway can render against the
 * OASIS XSD with xmllint (gateway/test/notices/cap-schema.test.ts).
 */
export const CAP_NAMESPACE = 'urn:oasis:names:tc:emergency:cap:1.2'

const SAFETY_CATEGORIES = ['Health', 'Rescue']
const FRAUD_CATEGORIES = ['Security']

/** Smallest circle worth drawing: a watch fix is rarely better than this anyway. */
const MIN_RADIUS_KM = 0.05

function round(value: number, digits: number): string {
  return Number(value.toFixed(digits)).toString()
}

export interface CapOptions {
  /** CAP <sender>: a unique id of the originator, no spaces or commas. */
  sender: string
  /** Radius of the area circle when the location has no accuracy (home geofence). */
  fallbackRadiusM: number
  /** CAP <contact>: the operating centre's number (EG_OPERATOR_CONTACT); omitted when unset. */
  operatorContact?: string | undefined
}

/** The <description>: the summary, where, who. Lines, so a station's screen shows them as such. */
function description(content: NoticeContent): string {
  const lang = content.language
  const zh = lang !== 'en'
  const loc = content.location
  const sep = zh ? '：' : ': '
  const accuracy = loc.accuracyM === null ? '' : zh ? `，精度约${Math.round(loc.accuracyM)}米` : `, accuracy ±${Math.round(loc.accuracyM)} m`
  const where =
    loc.source === 'watch'
      ? `${loc.description}${zh ? '；' : '; '}${LABELS.fixAt[lang]} ${loc.atLocal ?? ''}${accuracy}`
      : `${loc.description}${zh ? `（${LABELS.noFix[lang]}）` : ` (${LABELS.noFix[lang]})`}`
  const elder = [content.elder.name]
  if (content.elder.phone) elder.push(`${LABELS.phone[lang]} ${content.elder.phone}`)
  if (content.elder.address) elder.push(`${LABELS.address[lang]} ${content.elder.address}`)
  return [
    content.summary,
    `${LABELS.location[lang]}${sep}${where}`,
    `${LABELS.elder[lang]}${sep}${elder.join(zh ? '，' : ', ')}`,
    `${LABELS.sent[lang]}${sep}${content.sentAtLocal}`,
  ].join('\n')
}

export function renderCap(content: NoticeContent, opts: CapOptions): string {
  const lang = content.language
  const safety = content.rule.startsWith('safety.')
  const red = content.level === 'red'
  const radiusKm = Math.max(MIN_RADIUS_KM, (content.location.accuracyM ?? opts.fallbackRadiusM) / 1000)
  const parameters: Array<[string, string]> = [
    ['noticeId', content.noticeId],
    ['alertId', content.alertId],
    ['elderId', content.elderId],
    ['elderName', content.elder.name],
    ['rule', content.rule],
    ['level', content.level],
    ['count', String(content.count)],
    ['elderPhone', content.elder.phone ?? ''],
    ['receiptUrl', content.receiptUrl],
    ['eventTime', content.summaryLocalTime],
    ['evidence', JSON.stringify(content.evidence)],
  ]
  const contact = opts.operatorContact?.trim()
  const document = {
    '?xml': { '@_version': '1.0', '@_encoding': 'UTF-8' },
    alert: {
      '@_xmlns': CAP_NAMESPACE,
      identifier: content.noticeId,
      sender: opts.sender,
      sent: capDateTime(content.sentAt, content.timeZone),
      status: 'Actual',
      msgType: 'Alert',
      scope: 'Restricted',
      restriction: restriction(content.station?.name ?? null, lang),
      info: {
        language: lang,
        category: safety ? SAFETY_CATEGORIES : FRAUD_CATEGORIES,
        event: eventName(content.rule, lang),
        // An SOS or fall needs someone now; a fraud pattern needs a visit soon.
        urgency: safety || red ? 'Immediate' : 'Expected',
        severity: red ? 'Severe' : 'Moderate',
        certainty: content.rule === 'safety.sos' ? 'Observed' : 'Likely',
        onset: capDateTime(eventTimeOf(content), content.timeZone),
        senderName: 'eldergate',
        headline: headline(content.level, content.rule, content.elder.name, lang),
        description: description(content),
        instruction: instruction(content.rule, content.elder.phone, lang),
        contact: contact ? contact : undefined,
        parameter: parameters.filter(([, value]) => value !== '').map(([valueName, value]) => ({ valueName, value })),
        area: {
          areaDesc: content.location.description,
          circle: `${round(content.location.lat, 6)},${round(content.location.lon, 6)} ${round(radiusKm, 3)}`,
        },
      },
    },
  }
  return new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_', format: true, suppressEmptyNode: false }).build(document) as string
}

const ALERT_REQUIRED = ['identifier', 'sender', 'sent', 'status', 'msgType', 'scope'] as const
const INFO_REQUIRED = ['category', 'event', 'urgency', 'severity', 'certainty'] as const
const ENUMS: Record<string, readonly string[]> = {
  status: ['Actual', 'Exercise', 'System', 'Test', 'Draft'],
  msgType: ['Alert', 'Update', 'Cancel', 'Ack', 'Error'],
  scope: ['Public', 'Restricted', 'Private'],
  category: ['Geo', 'Met', 'Safety', 'Security', 'Rescue', 'Fire', 'Health', 'Env', 'Transport', 'Infra', 'CBRNE', 'Other'],
  urgency: ['Immediate', 'Expected', 'Future', 'Past', 'Unknown'],
  severity: ['Extreme', 'Severe', 'Moderate', 'Minor', 'Unknown'],
  certainty: ['Observed', 'Likely', 'Possible', 'Unlikely', 'Unknown'],
}
const CAP_DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[-+]\d{2}:\d{2}$/
const CIRCLE = /^-?\d+(\.\d+)?,-?\d+(\.\d+)? \d+(\.\d+)?$/

type XmlNode = Record<string, unknown>

function present(value: unknown): boolean {
  return value !== undefined && value !== null && value !== ''
}

function checkEnum(problems: string[], path: string, name: string, value: unknown): void {
  const values = Array.isArray(value) ? value : [value]
  for (const v of values) if (present(v) && !ENUMS[name]?.includes(String(v))) problems.push(`${path}.${name}: '${String(v)}' is not a CAP 1.2 value`)
}

/** Parses a CAP document; the problems found (empty when every required element is there). */
export function validateCap(xml: string): string[] {
  const wellFormed = XMLValidator.validate(xml)
  if (wellFormed !== true) return [`not well-formed XML: ${wellFormed.err.msg}`]
  const parsed = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '@_',
    // Keep text as text: an identifier of digits is still an identifier.
    parseTagValue: false,
    isArray: (name) => ['info', 'category', 'area', 'parameter', 'circle'].includes(name),
  }).parse(xml) as XmlNode
  const alert = parsed.alert as XmlNode | undefined
  if (!alert) return ['root element <alert> missing']
  const problems: string[] = []
  if (alert['@_xmlns'] !== CAP_NAMESPACE) problems.push(`alert: namespace must be ${CAP_NAMESPACE}`)
  for (const name of ALERT_REQUIRED) if (!present(alert[name])) problems.push(`alert.${name} missing`)
  for (const name of ['status', 'msgType', 'scope']) checkEnum(problems, 'alert', name, alert[name])
  if (present(alert.sent) && !CAP_DATETIME.test(String(alert.sent))) problems.push('alert.sent: not a CAP dateTime')
  if (alert.scope === 'Restricted' && !present(alert.restriction)) problems.push('alert.restriction missing (scope Restricted)')
  if (alert.scope === 'Private' && !present(alert.addresses)) problems.push('alert.addresses missing (scope Private)')
  if (/[\s,&<]/.test(String(alert.sender ?? ''))) problems.push('alert.sender: must not contain spaces, commas or < &')
  const infos = (alert.info as XmlNode[] | undefined) ?? []
  // CAP allows an alert without info, but a notice without one tells the station nothing.
  if (infos.length === 0) problems.push('alert.info missing')
  infos.forEach((info, i) => {
    const path = `alert.info[${i}]`
    for (const name of INFO_REQUIRED) if (!present(info[name]) || (Array.isArray(info[name]) && (info[name] as unknown[]).length === 0)) problems.push(`${path}.${name} missing`)
    for (const name of ['category', 'urgency', 'severity', 'certainty']) checkEnum(problems, path, name, info[name])
    for (const name of ['effective', 'onset', 'expires']) if (present(info[name]) && !CAP_DATETIME.test(String(info[name]))) problems.push(`${path}.${name}: not a CAP dateTime`)
    const areas = (info.area as XmlNode[] | undefined) ?? []
    if (areas.length === 0) problems.push(`${path}.area missing`)
    areas.forEach((area, j) => {
      if (!present(area.areaDesc)) problems.push(`${path}.area[${j}].areaDesc missing`)
      for (const circle of (area.circle as unknown[] | undefined) ?? []) {
        if (!CIRCLE.test(String(circle))) problems.push(`${path}.area[${j}].circle: '${String(circle)}' is not "lat,lon radiusKm"`)
      }
    })
  })
  return problems
}
