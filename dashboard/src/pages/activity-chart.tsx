import type { JSX } from 'preact'
import { useEffect, useState } from 'preact/hooks'
import { api } from '../api'
import { formatTime, useT, type MessageKey } from '../i18n'
import type { ActivityHour, ElderActivity } from '../types'

/**
 * One elder's activity per hour from the gateway's hourly aggregate (GET /elders/:id/activity):
 * steps per hour as bars above, the mean heart rate as a line over its min–max band below, on
 * one time axis. A week is 168 rows from the aggregate instead of tens of thousands of raw
 * readings, which is why the long range reads it rather than /telemetry.
 */
const HOUR_MS = 3_600_000
const RANGES = { '24h': 24 * HOUR_MS, '7d': 7 * 24 * HOUR_MS } as const
type RangeKey = keyof typeof RANGES
const RANGE_LABEL: Record<RangeKey, MessageKey> = { '24h': 'act_24h', '7d': 'act_7d' }

const W = 480
const PAD = 8
const STEPS_TOP = 8
const STEPS_H = 90
const HR_TOP = STEPS_TOP + STEPS_H + 14
const HR_H = 90
const AXIS_Y = HR_TOP + HR_H + 18
const H = AXIS_Y + 6

type Loaded = { range: RangeKey; activity: ElderActivity } | { range: RangeKey; failed: true }

export function ActivityChart(props: { elderId: string }): JSX.Element {
  const { t } = useT()
  const [range, setRange] = useState<RangeKey>('24h')
  const [loaded, setLoaded] = useState<Loaded | null>(null)

  useEffect(() => {
    let current = true
    // Whole hours: the current hour is the last bar, still filling up.
    const to = Math.ceil(Date.now() / HOUR_MS) * HOUR_MS
    api<ElderActivity>('GET', `/elders/${encodeURIComponent(props.elderId)}/activity?from=${to - RANGES[range]}&to=${to}`).then(
      (activity) => current && setLoaded({ range, activity }),
      () => current && setLoaded({ range, failed: true }),
    )
    // A switch clicked before the previous answer arrived must not show the older range.
    return () => {
      current = false
    }
  }, [props.elderId, range])

  const shown = loaded !== null && loaded.range === range ? loaded : null
  return (
    <figure class="chart" data-testid="activity-chart" data-range={range} aria-busy={shown === null}>
      <figcaption class="chart-head">
        <span>{t('act_title')}</span>
        <span class="segmented" role="group" aria-label={t('act_range')}>
          {(Object.keys(RANGES) as RangeKey[]).map((key) => (
            <button type="button" key={key} class={key === range ? 'primary' : ''} aria-pressed={key === range} onClick={() => setRange(key)}>
              {t(RANGE_LABEL[key])}
            </button>
          ))}
        </span>
      </figcaption>
      {shown === null ? <p class="muted">…</p> : 'failed' in shown ? <p class="muted">{t('loadFailed')}</p> : <ActivityPlot activity={shown.activity} />}
    </figure>
  )
}

function ActivityPlot(props: { activity: ElderActivity }): JSX.Element {
  const { t, lang } = useT()
  const { hours } = props.activity
  if (hours.length === 0) return <p class="muted">{t('act_none')}</p>
  const from = Math.floor(Date.parse(props.activity.from) / HOUR_MS) * HOUR_MS
  const slots = Math.max(1, Math.round((Date.parse(props.activity.to) - from) / HOUR_MS))
  const slotW = (W - 2 * PAD) / slots
  const xOf = (at: number) => PAD + ((at - from) / HOUR_MS) * slotW
  const withAt = hours.map((h) => ({ ...h, x: xOf(Date.parse(h.at)) }))

  const maxSteps = Math.max(1, ...hours.map((h) => h.steps ?? 0))
  const totalSteps = hours.reduce((sum, h) => sum + (h.steps ?? 0), 0)
  const hrHours = withAt.filter((h): h is typeof h & { hrMean: number; hrMin: number; hrMax: number } => h.hrMean !== null && h.hrMin !== null && h.hrMax !== null)
  const hrLo = Math.min(...hrHours.map((h) => h.hrMin)) - 5
  const hrHi = Math.max(...hrHours.map((h) => h.hrMax)) + 5
  const yHr = (bpm: number) => HR_TOP + HR_H - ((bpm - hrLo) / (hrHi - hrLo)) * HR_H
  const barW = Math.max(1, slotW - 1)

  return (
    <>
      <p class="muted">
        {t('act_steps')} · {t('act_totalSteps').replace('{n}', totalSteps.toLocaleString())} · {t('act_hr')}
      </p>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={t('act_title')}>
        <rect x="0" y="0" width={W} height={H} class="chart-bg" />
        {withAt.map((h) => {
          const height = ((h.steps ?? 0) / maxSteps) * STEPS_H
          return (
            <rect key={h.at} class="activity-bar" data-at={h.at} data-steps={h.steps ?? 0} x={h.x} y={STEPS_TOP + STEPS_H - height} width={barW} height={height}>
              <title>{`${formatTime(lang, h.at)} · ${h.steps ?? 0} · ${h.readings} ${t('act_readings')}`}</title>
            </rect>
          )
        })}
        {hrHours.map((h) => (
          <rect key={h.at} class="hr-band" x={h.x} y={yHr(h.hrMax)} width={barW} height={Math.max(1, yHr(h.hrMin) - yHr(h.hrMax))}>
            <title>{`${formatTime(lang, h.at)} · ${Math.round(h.hrMean)} bpm (${h.hrMin}–${h.hrMax})`}</title>
          </rect>
        ))}
        {meanSegments(hrHours).map((segment, i) => (
          <polyline key={i} class="spark-line" data-testid="hr-mean" points={segment.map((h) => `${(h.x + barW / 2).toFixed(1)},${yHr(h.hrMean).toFixed(1)}`).join(' ')} />
        ))}
        {/* Scales: the busiest hour's steps; the highest and lowest heart rate drawn. */}
        <text x={PAD} y={STEPS_TOP + 14} class="chart-label">
          {maxSteps}
        </text>
        {hrHours.length > 0 && (
          <>
            <text x={PAD} y={HR_TOP + 14} class="chart-label">
              {Math.round(hrHi - 5)} bpm
            </text>
            <text x={PAD} y={HR_TOP + HR_H} class="chart-label">
              {Math.round(hrLo + 5)} bpm
            </text>
          </>
        )}
        {ticks(from, slots).map((at) => (
          <text key={at} x={xOf(at)} y={AXIS_Y} class="chart-label">
            {slots > 48 ? new Date(at).toLocaleDateString(lang === 'zh' ? 'zh-CN' : 'en-GB', { month: '2-digit', day: '2-digit' }) : `${String(new Date(at).getHours()).padStart(2, '0')}:00`}
          </text>
        ))}
      </svg>
    </>
  )
}

/** The mean line breaks where an hour has no heart rate, so a gap is never drawn as a trend. */
function meanSegments<T extends ActivityHour & { x: number }>(hours: readonly T[]): T[][] {
  const segments: T[][] = []
  let previousAt = Number.NaN
  for (const h of hours) {
    const at = Date.parse(h.at)
    if (at - previousAt === HOUR_MS) segments[segments.length - 1]?.push(h)
    else segments.push([h])
    previousAt = at
  }
  return segments
}

/** Axis labels: every 6 hours on a day, every local midnight on a week. */
function ticks(from: number, slots: number): number[] {
  const every = slots > 48 ? 24 : 6
  const out: number[] = []
  for (let i = 0; i < slots; i++) {
    const at = from + i * HOUR_MS
    if (new Date(at).getHours() % every === 0 && i < slots - 2) out.push(at)
  }
  return out
}
