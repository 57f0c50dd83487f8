import type { JSX } from 'preact'
import { useMemo } from 'preact/hooks'
import { useT } from '../i18n'
import { lazyPage } from '../lazy-page'
import type { TrailFix } from '../map/trail-layer'
import type { Elder, Reading } from '../types'

/**
 * The elder's last day: the location trail on the board's map (Leaflet, the base map in its
 * datum; pages/elder-trail.tsx, loaded on first use as the map pages are — lazy-page.tsx says
 * why), and a heart-rate sparkline.
 */
const TrailMap = lazyPage(async () => (await import('./elder-trail')).TrailMap)

export function LocationTrail(props: { elder: Elder; readings: readonly Reading[] }): JSX.Element {
  const { t } = useT()
  const fixes = useMemo(
    () => props.readings.flatMap((r): TrailFix[] => (r.lat !== undefined && r.lon !== undefined ? [{ ts: r.ts, lat: r.lat, lon: r.lon }] : [])),
    [props.readings],
  )
  return (
    <figure class="chart" data-testid="trail" data-fixes={fixes.length}>
      <figcaption>
        {t('trail')} · {fixes.length}
      </figcaption>
      <div class="trail-map">
        {/* Another elder, a new map: fitted to them, whatever the operator did with the last one's view. */}
        <TrailMap key={props.elder.id} home={props.elder.home} fixes={fixes} />
      </div>
      {fixes.length === 0 ? <p class="muted">{t('noTelemetry')}</p> : <p class="muted trail-note">{t('trail_note')}</p>}
    </figure>
  )
}

export function HeartRateSparkline(props: { readings: readonly Reading[] }): JSX.Element {
  const { t } = useT()
  const hr = props.readings.filter((r): r is Reading & { hr: number } => r.hr !== undefined)
  const sw = 480
  const sh = 120
  if (hr.length === 0) {
    return (
      <figure class="chart" data-testid="sparkline">
        <figcaption>{t('heartRate')}</figcaption>
        <p class="muted">{t('noTelemetry')}</p>
      </figure>
    )
  }
  const t0 = hr[0]?.ts ?? 0
  const t1 = Math.max(t0 + 1, hr[hr.length - 1]?.ts ?? 1)
  const lo = Math.min(...hr.map((r) => r.hr)) - 5
  const hi = Math.max(...hr.map((r) => r.hr)) + 5
  const x = (ts: number) => 8 + ((ts - t0) / (t1 - t0)) * (sw - 16)
  const y = (v: number) => sh - 8 - ((v - lo) / (hi - lo)) * (sh - 16)
  const latest = hr[hr.length - 1]
  return (
    <figure class="chart" data-testid="sparkline">
      <figcaption>
        {t('heartRate')} · {latest?.hr} bpm <span class="muted">({Math.round(lo + 5)}–{Math.round(hi - 5)})</span>
      </figcaption>
      <svg viewBox={`0 0 ${sw} ${sh}`} role="img" aria-label={t('heartRate')}>
        <rect x="0" y="0" width={sw} height={sh} class="chart-bg" />
        <polyline points={hr.map((r) => `${x(r.ts).toFixed(1)},${y(r.hr).toFixed(1)}`).join(' ')} class="spark-line" />
      </svg>
    </figure>
  )
}
