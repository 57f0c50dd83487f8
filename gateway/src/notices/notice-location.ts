import { distanceM, pointInRing } from '../../../rules/src/geo'
import type { NoticeLanguage } from '../registry/types'

/**
 * Where a notice says the elder is (issue 12 item 4, DESIGN §4). Pure.
 *
 * The position is the NEWEST fix the gateway knows at planning time, by event time, from three
 * places that each lag differently: the alert's evidence (the rule engine's own last fix,
 * `location` or `lastFix`), the intake's in-memory latest fix (intake/latest-fixes.ts: seen
 * before the batched writer stores it) and storage (the newest stored reading — the only one
 * that knows fixes received by other nodes). Reading storage alone put an SOS pressed right
 * after a fix at the home, "no recent watch fix".
 *
 * What the position IS — the venue it lies in, the home, or a fix some distance from home — is
 * said in the recipient's language (CAP <areaDesc>, JSON location.description).
 */
export interface FixCandidate {
  lat: number
  lon: number
  /** Event time, epoch ms. */
  ts: number
  acc: number | null
}

/** The fix the rule engine put in the evidence: `location` (SOS, fall) or `lastFix` (absences, removal). */
export function evidenceFix(evidence: Record<string, unknown>): FixCandidate | null {
  for (const key of ['location', 'lastFix']) {
    const v = evidence[key] as { lat?: unknown; lon?: unknown; at?: unknown } | null | undefined
    if (typeof v !== 'object' || v === null) continue
    const ts = typeof v.at === 'string' || typeof v.at === 'number' ? new Date(v.at).getTime() : Number.NaN
    if (typeof v.lat === 'number' && typeof v.lon === 'number' && Number.isFinite(v.lat) && Number.isFinite(v.lon) && Number.isFinite(ts)) {
      return { lat: v.lat, lon: v.lon, ts, acc: null }
    }
  }
  return null
}

/** The newest by event time; at equal times the one that knows its accuracy (the evidence does not). */
export function newestFix(candidates: ReadonlyArray<FixCandidate | null | undefined>): FixCandidate | null {
  let best: FixCandidate | null = null
  for (const c of candidates) {
    if (!c) continue
    if (best === null || c.ts > best.ts || (c.ts === best.ts && best.acc === null && c.acc !== null)) best = c
  }
  return best
}

/** A registered venue's shape, as storage gives it. */
export interface VenueShape {
  id: string
  name: string
  kind: string
  lat: number | null
  lon: number | null
  radiusM: number | null
  polygon: Array<[number, number]> | null
}

function roughAreaM2(v: VenueShape): number {
  if (v.radiusM !== null) return Math.PI * v.radiusM * v.radiusM
  const ring = v.polygon ?? []
  let twice = 0
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) twice += (ring[j]![1] - ring[i]![1]) * (ring[j]![0] + ring[i]![0])
  // Degrees² to m² at ~111 km per degree: only used to prefer the smaller of nested venues.
  return Math.abs(twice / 2) * 111_000 * 111_000
}

/** The registered venue the point lies in (its geofence, as the rule engine draws it); the smallest when nested. */
export function venueContaining(venues: readonly VenueShape[], lat: number, lon: number): VenueShape | null {
  let best: VenueShape | null = null
  for (const v of venues) {
    let inside = false
    if (v.polygon && v.polygon.length >= 3) inside = pointInRing(Float64Array.from(v.polygon.flat()), lat, lon)
    else if (v.lat !== null && v.lon !== null && v.radiusM !== null) inside = distanceM(lat, lon, v.lat, v.lon) <= v.radiusM
    if (inside && (best === null || roughAreaM2(v) < roughAreaM2(best))) best = v
  }
  return best
}

export interface NoticePlace {
  /** The newest fix; null when none is known (the notice shows the registered home). */
  fix: FixCandidate | null
  venue: { id: string; name: string; kind: string } | null
  /** Metres from the registered home (0 without a fix). */
  distanceFromHomeM: number
  /** Inside the home geofence (always, without a fix). */
  atHome: boolean
}

export function placeOf(fix: FixCandidate | null, home: { lat: number; lon: number; radiusM: number }, venue: VenueShape | null): NoticePlace {
  if (fix === null) return { fix: null, venue: null, distanceFromHomeM: 0, atHome: true }
  const distance = distanceM(fix.lat, fix.lon, home.lat, home.lon)
  return {
    fix,
    venue: venue ? { id: venue.id, name: venue.name, kind: venue.kind } : null,
    distanceFromHomeM: Math.round(distance),
    atHome: distance <= home.radiusM,
  }
}

function distanceText(m: number, zh: boolean): string {
  if (m < 1_000) return zh ? `约${Math.round(m / 10) * 10}米` : `${Math.round(m / 10) * 10} m`
  const km = Math.round(m / 100) / 10
  return zh ? `约${km}公里` : `${km} km`
}

/** What the position is, for CAP <areaDesc>: the venue, the home, or the fix's distance from home. */
export function describePlace(place: NoticePlace, elder: { name: string; address: string | null }, language: NoticeLanguage): string {
  const zh = language !== 'en'
  const address = elder.address?.trim() || null
  if (place.fix === null) {
    if (zh) return `${elder.name}家（登记住址${address ? `：${address}` : ''}）`
    return `Home of ${elder.name} (registered address${address ? `: ${address}` : ''})`
  }
  if (place.venue !== null) {
    return zh ? `${place.venue.name}（${elder.name}的手表定位，距家${distanceText(place.distanceFromHomeM, true)}）` : `${place.venue.name} (watch fix of ${elder.name}, ${distanceText(place.distanceFromHomeM, false)} from home)`
  }
  if (place.atHome) {
    return zh ? `${elder.name}家中${address ? `：${address}` : ''}（手表定位）` : `Home of ${elder.name}${address ? `, ${address}` : ''} (watch fix)`
  }
  return zh ? `${elder.name}的手表定位，距家${distanceText(place.distanceFromHomeM, true)}` : `Watch fix of ${elder.name}, ${distanceText(place.distanceFromHomeM, false)} from home`
}
