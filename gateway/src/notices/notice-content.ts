import type { RiskLevel } from '../../../contract/levels'
import type { NoticeLanguage } from '../registry/types'
import { formatLocalTime, isInstant } from './local-time'
import { describePlace, type NoticePlace } from './notice-location'
import { noticeSummary } from './notice-summary'

/**
 * What a notice says, rendered once at planning time and stored (so every retry sends the
 * identical bytes, and the signature a station verifies is over exactly what we logged).
 * DESIGN §4 requires at least: noticeId, alertId, level, rule, summary,
 * elder {name, address, phone}, location {lat, lon, at}, evidence, sentAt — machine fields, kept
 * exactly (ISO times in UTC). The words are for the reader: `summary` and `location.description`
 * in the recipient's `language`, and every time a person reads given again in local time with
 * its offset (EG_TZ): `summaryLocalTime`, `sentAtLocal`, `location.atLocal`.
 */
export type NoticeAudience = 'police' | 'family'
export type NoticeFormat = 'json' | 'cap'

export interface NoticeLocation {
  lat: number
  lon: number
  /** Time of the watch fix; null when the location is the registered home (no fix known). */
  at: string | null
  source: 'watch' | 'home'
  accuracyM: number | null
  /** `at` as local time with its offset, e.g. `2026-11-28 16:20 (UTC+08:00)`; null with `at`. */
  atLocal: string | null
  /** What the position is, in the notice's language: the venue, the home, or a fix N km from home (CAP <areaDesc>). */
  description: string
  /** The registered venue the fix lies in. */
  venue: { id: string; name: string; kind: string } | null
  /** Metres from the registered home (0 for the home itself). */
  distanceFromHomeM: number
}

export interface NoticeContent {
  noticeId: string
  tenantId: string
  alertId: string
  elderId: string
  audience: NoticeAudience
  level: RiskLevel
  rule: string
  /** In `language`, with local times. */
  summary: string
  count: number
  firstAt: string
  lastAt: string
  elder: { name: string; address: string | null; phone: string | null }
  location: NoticeLocation
  evidence: Record<string, unknown>
  /** Planning time: when the gateway decided to send (retries keep it). */
  sentAt: string
  receiptUrl: string
  /** Police notices: the station addressed. */
  station?: { id: string; name: string }
  /** Family notices: the contact addressed. */
  recipient?: { name: string; relation: string | null }
  /** The recipient's language, which the words are in. */
  language: NoticeLanguage
  /** EG_TZ: the zone of every local time in the notice. */
  timeZone: string
  /** The time the alert is about (the event, or the latest finding), local with its offset. */
  summaryLocalTime: string
  sentAtLocal: string
}

/** The fields of a notice that do not depend on who reads it. */
export type NoticeDraft = Omit<NoticeContent, 'summary' | 'location' | 'language' | 'timeZone' | 'summaryLocalTime' | 'sentAtLocal'>

/** The time the alert is about: the event's own (SOS, fall) when the evidence has it, else the latest finding's. */
export function eventTimeOf(draft: Pick<NoticeDraft, 'evidence' | 'lastAt'>): string {
  const at = draft.evidence.at
  return isInstant(at) ? new Date(at).toISOString() : draft.lastAt
}

/** The notice for one recipient: the draft in their language, at the place chosen for all of them. */
export function composeNotice(
  draft: NoticeDraft,
  place: NoticePlace,
  home: { lat: number; lon: number },
  language: NoticeLanguage,
  timeZone: string,
): NoticeContent {
  const fix = place.fix
  const eventAt = eventTimeOf(draft)
  const at = fix ? new Date(fix.ts).toISOString() : null
  const { station, recipient, ...fields } = draft
  return {
    ...fields,
    summary: noticeSummary({
      rule: draft.rule,
      level: draft.level,
      evidence: draft.evidence,
      elderName: draft.elder.name,
      eventAt,
      language,
      timeZone,
      fixAtHome: fix ? place.atHome : undefined,
    }),
    location: {
      lat: fix?.lat ?? home.lat,
      lon: fix?.lon ?? home.lon,
      at,
      source: fix ? 'watch' : 'home',
      accuracyM: fix?.acc ?? null,
      atLocal: at === null ? null : formatLocalTime(at, timeZone),
      description: describePlace(place, draft.elder, language),
      venue: place.venue,
      distanceFromHomeM: place.distanceFromHomeM,
    },
    ...(station ? { station } : {}),
    ...(recipient ? { recipient } : {}),
    language,
    timeZone,
    summaryLocalTime: formatLocalTime(eventAt, timeZone),
    sentAtLocal: formatLocalTime(draft.sentAt, timeZone),
  }
}

export const CONTENT_TYPES: Record<NoticeFormat, string> = {
  json: 'application/json',
  cap: 'application/cap+xml',
}

export function renderJsonNotice(content: NoticeContent): string {
  return JSON.stringify(content)
}

/** The receipt route of receipt-routes.ts, as a station should call it. */
export function receiptUrlFor(baseUrl: string | undefined, noticeId: string): string {
  const path = `/api/v1/notices/${encodeURIComponent(noticeId)}/receipt`
  return baseUrl ? `${baseUrl.replace(/\/+$/, '')}${path}` : path
}
