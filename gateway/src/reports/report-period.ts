import { EgError } from '../errors'

/**
 * The local-date range of a report (issue 6). Dates are calendar dates in the gateway's time
 * zone (EG_TZ), both ends inclusive, carried as 'YYYY-MM-DD' strings: the database turns them
 * into instants with AT TIME ZONE, so daylight-saving zones get their real day lengths.
 */
export const reportPeriods = ['day', 'week'] as const
export type ReportPeriod = (typeof reportPeriods)[number]

export interface ReportRange {
  period: ReportPeriod
  from: string
  to: string
  timeZone: string
}

/** Longest range a report may span, in days (both ends counted): a year plus slack. */
export const MAX_REPORT_DAYS = 400

const DAY_MS = 86_400_000
const DATE_SHAPE = /^\d{4}-\d{2}-\d{2}$/

/** Days since the epoch of a 'YYYY-MM-DD' date; NaN unless it is a real calendar date. */
function dayNumber(date: string): number {
  if (!DATE_SHAPE.test(date)) return Number.NaN
  const ms = Date.parse(`${date}T00:00:00Z`)
  // Date.parse rolls 2026-02-30 over to March; a round trip catches it.
  return Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== date ? Number.NaN : ms / DAY_MS
}

export const isCalendarDate = (date: string): boolean => !Number.isNaN(dayNumber(date))

const dateOf = (day: number): string => new Date(day * DAY_MS).toISOString().slice(0, 10)

/** Today's date in the time zone ('en-CA' formats as YYYY-MM-DD). */
export function localToday(now: number, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now)
}

/** Monday of the ISO week containing the date. */
export function mondayOf(date: string): string {
  const day = dayNumber(date)
  // 1970-01-01 was a Thursday: (day + 3) mod 7 is 0 on Mondays.
  return dateOf(day - (((day + 3) % 7) + 7) % 7)
}

/**
 * Resolves the requested range. `to` defaults to today; `from` to the last 7 days (period day)
 * or the last 8 ISO weeks, starting on a Monday (period week).
 */
export function resolveRange(q: { period: ReportPeriod; from?: string | undefined; to?: string | undefined }, timeZone: string, now: number): ReportRange {
  const to = q.to ?? localToday(now, timeZone)
  const from = q.from ?? (q.period === 'day' ? dateOf(dayNumber(to) - 6) : dateOf(dayNumber(mondayOf(to)) - 7 * 7))
  const days = dayNumber(to) - dayNumber(from) + 1
  if (days < 1) throw new EgError('VALIDATION_FAILED', 'to must not be before from', { fields: [{ path: 'to', message: 'to must not be before from' }] })
  if (days > MAX_REPORT_DAYS) {
    const message = `a report spans at most ${MAX_REPORT_DAYS} days`
    throw new EgError('VALIDATION_FAILED', message, { fields: [{ path: 'to', message }] })
  }
  return { period: q.period, from, to, timeZone }
}
