import { MIN_TS } from './limits'
import type { Rejection } from './types'

/**
 * ISO-8601 date-time with a mandatory zone (DESIGN §3: `ts` is epoch ms or an ISO-8601 string).
 * Parsed by hand rather than with Date.parse: Date.parse also accepts zone-less strings (read
 * as the server's local time, so the same reading would land hours apart on two servers) and
 * free-form dates like "Nov 23 2026".
 * Groups: year, month, day, hour, minute, second?, fraction?, zone (Z or ±hh[:]mm).
 */
const ISO_TS = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(?:([Zz])|([+-])(\d{2}):?(\d{2}))$/

/** 10-digit numbers are epoch seconds for any date between 2001 and 2286. */
const SECONDS_MIN = 1e9
const SECONDS_MAX = 1e10

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate()
}

/** Epoch ms of an ISO-8601 string with a zone, or NaN when it is not one or names no real instant. */
export function parseIsoTs(text: string): number {
  const m = ISO_TS.exec(text)
  if (m === null) return NaN
  const year = Number(m[1])
  const month = Number(m[2])
  const day = Number(m[3])
  const hour = Number(m[4])
  const minute = Number(m[5])
  const second = m[6] === undefined ? 0 : Number(m[6])
  // Only milliseconds matter for event time; extra fraction digits (µs from Python) are cut.
  const ms = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, '0'))
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return NaN
  // Leap second 60 and ISO's "24:00" are legal ISO but no device we support emits them.
  if (hour > 23 || minute > 59 || second > 59) return NaN
  let offsetMin = 0
  if (m[8] === undefined) {
    const offH = Number(m[10])
    const offM = Number(m[11])
    // Real zones span UTC-12 to UTC+14.
    if (offH > 14 || offM > 59) return NaN
    offsetMin = (m[9] === '-' ? -1 : 1) * (offH * 60 + offM)
  }
  return Date.UTC(year, month - 1, day, hour, minute, second, ms) - offsetMin * 60_000
}

/**
 * Event time of one record as epoch ms, or the rejection. Rejections are only built on failure
 * (hot path: valid input allocates nothing here).
 */
export function decodeTs(value: unknown, receivedAt: number, maxFutureSkewMs: number): number | Rejection {
  let ts: number
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return { reason: 'bad_ts', message: 'ts: must be a finite number of epoch ms' }
    if (value >= SECONDS_MIN && value < SECONDS_MAX) {
      return { reason: 'bad_ts', message: 'ts: looks like epoch seconds; epoch milliseconds expected' }
    }
    // Python's time.time() * 1000 sends fractions of a millisecond; event time is whole ms.
    ts = Math.floor(value)
  } else if (typeof value === 'string') {
    ts = parseIsoTs(value)
    if (Number.isNaN(ts)) return { reason: 'bad_ts', message: 'ts: not an ISO-8601 date-time with a zone' }
  } else if (value === undefined) {
    return { reason: 'bad_shape', message: 'ts: required (epoch ms or ISO-8601 string)' }
  } else {
    return { reason: 'bad_shape', message: 'ts: expected epoch ms or an ISO-8601 string' }
  }
  if (ts < MIN_TS) return { reason: 'bad_ts', message: 'ts: before 2015-01-01 (device clock not set?)' }
  if (ts > receivedAt + maxFutureSkewMs) {
    return { reason: 'future_ts', message: `ts: ${ts - receivedAt} ms ahead of the gateway clock` }
  }
  return ts
}
