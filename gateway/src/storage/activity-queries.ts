import { EgError } from '../errors'
import type { Queryable } from './db'

/**
 * Reads of the issue-6 aggregates of migration 011 for the board's charts: each elder's
 * activity per hour (`elder_activity_hourly`: a TimescaleDB continuous aggregate with
 * real-time aggregation, or an ordinary view on PostgreSQL/PGlite — same columns, same
 * answers) and alerts per UTC day (`alert_daily_counts`).
 */
export const HOUR_MS = 3_600_000
/** Longest activity range: a month of hours (744 rows) is what one chart can show. */
export const MAX_ACTIVITY_RANGE_MS = 31 * 86_400_000

export interface ActivityHour {
  /** Start of the hour, epoch ms (UTC hour boundary). */
  at: number
  readings: number
  /** Steps taken in the hour (max − min of the cumulative counter); null without step data. */
  steps: number | null
  /** The counter's highest value in the hour, to difference consecutive hours exactly. */
  stepsMax: number | null
  hrMean: number | null
  hrMin: number | null
  hrMax: number | null
  /** Readings carrying a position. */
  fixes: number
}

interface ActivityRow {
  at: number
  readings: number
  steps: number | null
  steps_max: number | null
  hr_mean: number | null
  hr_min: number | null
  hr_max: number | null
  fixes: number
}

/**
 * One elder's hours overlapping [from, to) (epoch ms), oldest first; hours without readings
 * are absent. Hours are whole: `from` is floored to its hour, so the first hour also counts
 * the readings before `from` in it. The range is bounded so a request cannot scan months of
 * raw readings where the view is not materialised.
 */
export async function elderActivityHourly(db: Queryable, tenantId: string, elderId: string, from: number, to: number): Promise<ActivityHour[]> {
  if (!(to > from) || to - from > MAX_ACTIVITY_RANGE_MS) {
    throw new EgError('VALIDATION_FAILED', 'activity range must be positive and at most 31 days', { fields: [{ path: 'to', message: 'range must be positive and at most 31 days' }] })
  }
  const rows = await db.query<ActivityRow>(
    `SELECT (extract(epoch FROM bucket) * 1000)::int8 AS at, readings, steps, steps_max, hr_mean, hr_min, hr_max, fixes
     FROM elder_activity_hourly
     WHERE tenant_id = $1 AND elder_id = $2
       AND bucket >= timestamptz 'epoch' + $3::float8 * interval '1 millisecond'
       AND bucket < timestamptz 'epoch' + $4::float8 * interval '1 millisecond'
     ORDER BY bucket`,
    [tenantId, elderId, Math.floor(from / HOUR_MS) * HOUR_MS, to],
  )
  return rows.map((r) => ({
    at: r.at,
    readings: r.readings,
    steps: r.steps,
    stepsMax: r.steps_max,
    hrMean: r.hr_mean,
    hrMin: r.hr_min,
    hrMax: r.hr_max,
    fixes: r.fixes,
  }))
}

export interface AlertDayCount {
  /** UTC day, 'YYYY-MM-DD'. */
  day: string
  rule: string
  level: string
  count: number
}

/** A tenant's alerts per UTC day (first_at), rule and level, for days fromDay..toDay inclusive. */
export async function alertDailyCounts(db: Queryable, tenantId: string, fromDay: string, toDay: string): Promise<AlertDayCount[]> {
  return db.query<AlertDayCount>(
    `SELECT to_char(day, 'YYYY-MM-DD') AS day, rule, level, alerts AS count
     FROM alert_daily_counts
     WHERE tenant_id = $1 AND day >= $2::date AND day <= $3::date
     ORDER BY day, rule, level`,
    [tenantId, fromDay, toDay],
  )
}
