/**
 * Local calendar time for "overnight" and per-day counting (DESIGN §4: EG_TZ, default
 * Asia/Shanghai). Intl.DateTimeFormat is pure — it reads the tz database, not the clock — but
 * slow, so offsets are memoised per 15-minute bucket (every real UTC offset change happens on
 * a quarter hour). The memo is a cache of a pure function, not engine state.
 */
const MIN = 60_000
const DAY = 86_400_000
const BUCKET = 15 * MIN

const formatters = new Map<string, Intl.DateTimeFormat>()
const offsetMemo = new Map<string, Map<number, number>>()

/** One en-US, 24-hour formatter per IANA zone (also the gateway's notices use it: one definition). */
export function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone)
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    })
    formatters.set(timeZone, f)
  }
  return f
}

function computeOffset(ts: number, timeZone: string): number {
  const parts = formatterFor(timeZone).formatToParts(new Date(ts))
  const field = (type: string): number => Number(parts.find((p) => p.type === type)?.value ?? 0)
  const asUtc = Date.UTC(field('year'), field('month') - 1, field('day'), field('hour'), field('minute'), field('second'))
  return asUtc - Math.floor(ts / 1000) * 1000
}

/** Milliseconds to add to a UTC instant to get local wall-clock time. */
export function offsetMs(ts: number, timeZone: string): number {
  let memo = offsetMemo.get(timeZone)
  if (memo === undefined) {
    memo = new Map()
    offsetMemo.set(timeZone, memo)
  }
  const bucket = Math.floor(ts / BUCKET)
  let off = memo.get(bucket)
  if (off === undefined) {
    if (memo.size > 50_000) memo.clear()
    off = computeOffset(bucket * BUCKET, timeZone)
    memo.set(bucket, off)
  }
  return off
}

/** Local day number (days since 1970-01-01 in local time). */
export function localDay(ts: number, timeZone: string): number {
  return Math.floor((ts + offsetMs(ts, timeZone)) / DAY)
}

/** Local hour of day, 0–23. */
export function localHour(ts: number, timeZone: string): number {
  const local = ts + offsetMs(ts, timeZone)
  return Math.floor((((local % DAY) + DAY) % DAY) / 3_600_000)
}

/** UTC instant of local wall-clock time `day` + `hour` (two-pass for DST edges). */
export function localToUtc(day: number, hour: number, timeZone: string): number {
  const local = day * DAY + hour * 3_600_000
  const guess = local - offsetMs(local, timeZone)
  return local - offsetMs(guess, timeZone)
}

/** ISO date (YYYY-MM-DD) of a local day number, for evidence. */
export function dayLabel(day: number): string {
  return new Date(day * DAY).toISOString().slice(0, 10)
}

export function isoTime(ts: number): string {
  return new Date(ts).toISOString()
}
