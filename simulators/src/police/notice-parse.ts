import { XMLParser, XMLValidator } from 'fast-xml-parser'

/**
 * A notice as the station reads it, from the JSON body (format json) or an OASIS CAP 1.2
 * alert (format cap, application/cap+xml). CAP carries the eldergate fields as
 * <parameter> valueName/value pairs and the words in <headline>/<description>, in the
 * language <language> names; <areaDesc> says what the <circle> is (a venue, the home, a watch
 * fix N km from home); <contact> is the operating centre to call back, not the elder.
 */
export interface ReceivedNotice {
  noticeId: string
  format: 'json' | 'cap'
  level: string
  rule: string
  elderName: string
  elderId?: string
  summary: string
  receiptUrl?: string
  location?: { lat: number; lon: number }
  sentAt?: string
  /** The language the words are in (JSON `language`, CAP <language>). */
  language?: string
  /** The time the notice is about, local with its offset (JSON `summaryLocalTime`, CAP parameter `eventTime`). */
  localTime?: string
  /** What the position is (JSON `location.description`, CAP <areaDesc>). */
  place?: string
  /** Who to call back about the notice (CAP <contact>: the operating centre). */
  contact?: string
}

export class NoticeParseError extends Error {}

type Json = Record<string, unknown>

const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined)

export function parseJsonNotice(body: string): ReceivedNotice {
  let doc: Json
  try {
    doc = JSON.parse(body) as Json
  } catch {
    throw new NoticeParseError('body is not JSON')
  }
  if (typeof doc !== 'object' || doc === null) throw new NoticeParseError('body is not a JSON object')
  const elder = (doc.elder ?? {}) as Json
  const location = (doc.location ?? {}) as Json
  const noticeId = text(doc.noticeId)
  if (!noticeId) throw new NoticeParseError('noticeId missing')
  const receiptUrl = text(doc.receiptUrl)
  const sentAt = text(doc.sentAt)
  const elderId = text(doc.elderId)
  const language = text(doc.language)
  const localTime = text(doc.summaryLocalTime)
  const place = text(location.description)
  return {
    noticeId, format: 'json',
    level: text(doc.level) ?? '?', rule: text(doc.rule) ?? '?',
    elderName: text(elder.name) ?? '?', summary: text(doc.summary) ?? '',
    ...(elderId ? { elderId } : {}),
    ...(receiptUrl ? { receiptUrl } : {}),
    ...(sentAt ? { sentAt } : {}),
    ...(language ? { language } : {}),
    ...(localTime ? { localTime } : {}),
    ...(place ? { place } : {}),
    ...(typeof location.lat === 'number' && typeof location.lon === 'number' ? { location: { lat: location.lat, lon: location.lon } } : {}),
  }
}

const CAP_NAMESPACE = 'urn:oasis:names:tc:emergency:cap:1.2'

export function parseCapNotice(body: string): ReceivedNotice {
  const wellFormed = XMLValidator.validate(body)
  if (wellFormed !== true) throw new NoticeParseError(`not well-formed XML: ${wellFormed.err.msg}`)
  const doc = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '@_',
    parseTagValue: false,
    isArray: (name) => ['info', 'parameter', 'area', 'circle'].includes(name),
  }).parse(body) as Json
  const alert = doc.alert as Json | undefined
  if (!alert) throw new NoticeParseError('no CAP <alert> element')
  if (alert['@_xmlns'] !== CAP_NAMESPACE) throw new NoticeParseError(`not CAP 1.2 (namespace ${String(alert['@_xmlns'])})`)
  const identifier = text(alert.identifier)
  if (!identifier) throw new NoticeParseError('CAP <identifier> missing')
  const info = ((alert.info as Json[] | undefined) ?? [])[0]
  if (!info) throw new NoticeParseError('CAP <info> missing')
  const params = new Map<string, string>()
  for (const p of (info.parameter as Json[] | undefined) ?? []) {
    const name = text(p.valueName)
    if (name) params.set(name, text(p.value) ?? '')
  }
  const headline = text(info.headline) ?? ''
  // The elderName parameter; older gateways only had it in the headline, after the last " — ".
  const elderName = params.get('elderName') || (headline.includes(' — ') ? headline.slice(headline.lastIndexOf(' — ') + 3) : '?')
  const description = text(info.description) ?? ''
  const area = ((info.area as Json[] | undefined) ?? [])[0]
  const circle = text(((area?.circle as unknown[] | undefined) ?? [])[0])
  const [latLon] = circle?.split(' ') ?? []
  const [lat, lon] = latLon?.split(',').map(Number) ?? []
  // <web> is for people (the board), not the receipt; older gateways put the receipt URL there.
  const web = text(info.web)
  const receiptUrl = params.get('receiptUrl') || (web?.endsWith('/receipt') ? web : undefined)
  const elderId = params.get('elderId')
  const sentAt = text(alert.sent)
  const language = text(info.language)
  const localTime = params.get('eventTime')
  const place = text(area?.areaDesc)
  const contact = text(info.contact)
  return {
    noticeId: params.get('noticeId') || identifier, format: 'cap',
    level: params.get('level') || text(info.severity) || '?',
    rule: params.get('rule') || text(info.event) || '?',
    elderName, summary: description.split('\n')[0] ?? headline,
    ...(elderId ? { elderId } : {}),
    ...(receiptUrl ? { receiptUrl } : {}),
    ...(sentAt ? { sentAt } : {}),
    ...(language ? { language } : {}),
    ...(localTime ? { localTime } : {}),
    ...(place ? { place } : {}),
    ...(contact ? { contact } : {}),
    ...(lat !== undefined && lon !== undefined && Number.isFinite(lat) && Number.isFinite(lon) ? { location: { lat, lon } } : {}),
  }
}

export function parseNotice(body: string, contentType: string | undefined): ReceivedNotice {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? ''
  if (type === 'application/cap+xml' || type.endsWith('/xml') || (type === '' && body.trimStart().startsWith('<'))) return parseCapNotice(body)
  return parseJsonNotice(body)
}
