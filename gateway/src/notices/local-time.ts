/**
 * Times as the people who read a notice use them (DESIGN §4 "with local times and their offset
 * (EG_TZ)"): a station in Shanghai reads 16:20, not 08:20Z. Two forms:
 *
 * - for people: `2026-11-28 16:20 (UTC+08:00)` — the offset says which clock, so a reader in
 *   another zone (or a log) can never mistake it;
 * - for CAP 1.2: `2026-11-28T16:20:00+08:00` — the XSD pattern
 *   `\d\d\d\d-\d\d-\d\dT\d\d:\d\d:\d\d[-,+]\d\d:\d\d`: no fractions, no `Z`, and UTC written as
 *   `-00:00` (CAP 1.2 §3.3.2).
 *
 * The offset is the zone's at that instant (a zone with daylight saving changes it), read from
 * Intl; one formatter per zone, made once (the rule engine's: rules/src/local-time.ts).
 */
import { formatterFor } from '../../../rules/src/index'

interface LocalParts {
  year: number
  month: number
  day: number
  hour: number
  minute: number
  second: number
  /** Minutes east of UTC at that instant. */
  offsetMin: number
}


/** An instant as epoch ms; ISO strings as the evidence carries them. NaN when unreadable. */
export function instantOf(at: number | string | Date): number {
  if (typeof at === 'number') return at
  if (at instanceof Date) return at.getTime()
  return Date.parse(at)
}

export function localParts(at: number | string | Date, timeZone: string): LocalParts {
  const ms = Math.floor(instantOf(at) / 1000) * 1000
  const parts: Record<string, number> = {}
  for (const p of formatterFor(timeZone).formatToParts(new Date(ms))) if (p.type !== 'literal') parts[p.type] = Number(p.value)
  const year = parts.year ?? 1970
  const month = parts.month ?? 1
  const day = parts.day ?? 1
  const hour = parts.hour ?? 0
  const minute = parts.minute ?? 0
  const second = parts.second ?? 0
  const offsetMin = Math.round((Date.UTC(year, month - 1, day, hour, minute, second) - ms) / 60_000)
  return { year, month, day, hour, minute, second, offsetMin }
}

const two = (n: number) => String(n).padStart(2, '0')

/** `+08:00`; `utcAs` is how an offset of zero is written (CAP wants `-00:00`). */
function offsetText(offsetMin: number, utcAs: string): string {
  if (offsetMin === 0) return utcAs
  const sign = offsetMin > 0 ? '+' : '-'
  const abs = Math.abs(offsetMin)
  return `${sign}${two(Math.floor(abs / 60))}:${two(abs % 60)}`
}

function datePart(p: LocalParts): string {
  return `${String(p.year).padStart(4, '0')}-${two(p.month)}-${two(p.day)}`
}

/** `2026-11-28 16:20 (UTC+08:00)` */
export function formatLocalTime(at: number | string | Date, timeZone: string): string {
  const p = localParts(at, timeZone)
  return `${datePart(p)} ${two(p.hour)}:${two(p.minute)} (UTC${offsetText(p.offsetMin, '+00:00')})`
}

/** `16:20`, for a time inside a sentence that already names the day. */
export function formatLocalClock(at: number | string | Date, timeZone: string): string {
  const p = localParts(at, timeZone)
  return `${two(p.hour)}:${two(p.minute)}`
}

/** CAP 1.2 dateTime in the local zone: `2026-11-28T16:20:00+08:00` (UTC: `…-00:00`). */
export function capDateTime(at: number | string | Date, timeZone: string): string {
  const p = localParts(at, timeZone)
  return `${datePart(p)}T${two(p.hour)}:${two(p.minute)}:${two(p.second)}${offsetText(p.offsetMin, '-00:00')}`
}

/** Whether a value is a time the notice can show (evidence is read defensively). */
export function isInstant(at: unknown): at is string | number {
  return (typeof at === 'string' || typeof at === 'number') && Number.isFinite(instantOf(at))
}
