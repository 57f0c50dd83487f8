/**
 * The simulation's virtual clock: event time = start + wall time elapsed × speed. The gateway
 * runs with EG_CLOCK=event, so its rules follow these times and a week passes in minutes.
 * The wall source is injectable so tests drive the clock without sleeping.
 */
export type WallClock = () => number

export class VirtualClock {
  private readonly wallStart: number

  constructor(
    readonly startMs: number,
    readonly speed: number,
    private readonly wall: WallClock = () => performance.now(),
  ) {
    if (!(speed > 0) || !Number.isFinite(speed)) throw new Error(`speed must be a positive number, got ${speed}`)
    if (!Number.isFinite(startMs)) throw new Error('start must be a valid time')
    this.wallStart = wall()
  }

  /** Current event time (epoch ms). */
  now(): number {
    return this.startMs + (this.wall() - this.wallStart) * this.speed
  }

  /** Wall milliseconds until event time `eventMs` is reached (0 if it has passed). */
  wallDelayUntil(eventMs: number): number {
    return Math.max(0, (eventMs - this.now()) / this.speed)
  }

  /** Wall milliseconds an event-time span takes at this speed. */
  wallSpan(eventSpanMs: number): number {
    return eventSpanMs / this.speed
  }
}

/** Shanghai has no daylight saving: a fixed offset is exact (EG_TZ defaults to Asia/Shanghai). */
export const DEFAULT_UTC_OFFSET_MIN = 480
export const DAY_MS = 86_400_000
export const HOUR_MS = 3_600_000
export const MINUTE_MS = 60_000
export const SECOND_MS = 1_000

/** Epoch ms of local midnight at or before `ts`. */
export function localMidnight(ts: number, utcOffsetMin = DEFAULT_UTC_OFFSET_MIN): number {
  const offset = utcOffsetMin * MINUTE_MS
  return Math.floor((ts + offset) / DAY_MS) * DAY_MS - offset
}

/** Local calendar date `YYYY-MM-DD` of `ts`: the label that seeds a day's plan. */
export function localDate(ts: number, utcOffsetMin = DEFAULT_UTC_OFFSET_MIN): string {
  return new Date(ts + utcOffsetMin * MINUTE_MS).toISOString().slice(0, 10)
}

/** ISO time with the local offset, e.g. 2026-11-03T07:30:00+08:00, for readable logs. */
export function localIso(ts: number, utcOffsetMin = DEFAULT_UTC_OFFSET_MIN): string {
  const sign = utcOffsetMin >= 0 ? '+' : '-'
  const abs = Math.abs(utcOffsetMin)
  const zone = `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`
  return new Date(ts + utcOffsetMin * MINUTE_MS).toISOString().slice(0, 19) + zone
}
