import type { RiskLevel } from '../alerts/levels'

/**
 * What a notice says, rendered once at planning time and stored (so every retry sends the
 * identical bytes, and the signature a station verifies is over exactly what we logged).
 * DESIGN §4 requires at least: noticeId, alertId, level, rule, summary,
 * elder {name, address, phone}, location {lat, lon, at}, evidence, sentAt.
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
}

export interface NoticeContent {
  noticeId: string
  tenantId: string
  alertId: string
  elderId: string
  audience: NoticeAudience
  level: RiskLevel
  rule: string
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
