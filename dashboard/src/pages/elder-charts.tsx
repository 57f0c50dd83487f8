import type { JSX } from 'preact'
import { useT } from '../i18n'
import { ScaleBar } from '../map/scale-bar'
import type { Elder, Reading } from '../types'

/**
 * The elder's last day drawn without map tiles: positions projected around home on an SVG
 * (equirectangular, metres), the home geofence as a circle; and a heart-rate sparkline.
 */
const W = 480
const H = 320
const PAD = 24
const M_PER_DEG = 111_320

export function LocationTrail(props: { elder: Elder; readings: readonly Reading[] }): JSX.Element {
  const { t } = useT()
  const fixes = props.readings.filter((r): r is Reading & { lat: number; lon: number } => r.lat !== undefined && r.lon !== undefined)
  const { home } = props.elder
  const cos = Math.cos((home.lat * Math.PI) / 180)
  const toM = (lat: number, lon: number) => ({ x: (lon - home.lon) * M_PER_DEG * cos, y: (lat - home.lat) * M_PER_DEG })
  const pts = fixes.map((f) => toM(f.lat, f.lon))
  // Half-extent in metres: everything in view, never tighter than twice the home radius.
  const extent = Math.max(home.radiusM * 2, ...pts.map((p) => Math.max(Math.abs(p.x), Math.abs(p.y)))) * 1.1
  const scale = Math.min(W - 2 * PAD, H - 2 * PAD) / (2 * extent)
  const sx = (x: number) => W / 2 + x * scale
  const sy = (y: number) => H / 2 - y * scale
  const path = pts.map((p) => `${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(' ')
  const lastPoint = pts[pts.length - 1]
  return (
    <figure class="chart" data-testid="trail">
      <figcaption>
        {t('trail')} · {fixes.length}
      </figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={t('trail')}>
        <rect x="0" y="0" width={W} height={H} class="chart-bg" />
        <circle cx={sx(0)} cy={sy(0)} r={Math.max(4, home.radiusM * scale)} class="home-zone" />
        <text x={sx(0) + 8} y={sy(0) - 8} class="chart-label">
          ⌂ {t('home')}
        </text>
        {pts.length > 1 && <polyline points={path} class="trail-line" />}
        {pts.map((p, i) => (
          <circle key={i} cx={sx(p.x)} cy={sy(p.y)} r="3" class="trail-dot" />
        ))}
        {lastPoint !== undefined && <circle cx={sx(lastPoint.x)} cy={sy(lastPoint.y)} r="8" class="trail-last" />}
        {/* A round length, at most half the view. */}
        <ScaleBar x={PAD} y={H - 14} metresPerPixel={1 / scale} maxPx={extent * scale} />
      </svg>
      {fixes.length === 0 && <p class="muted">{t('noTelemetry')}</p>}
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
