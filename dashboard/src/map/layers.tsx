import type { JSX } from 'preact'
import { LEVEL_RANK } from '../alert-board'
import { useT } from '../i18n'
import type { Elder, RiskLevel, Venue, VenueCandidate } from '../types'
import type { Projector } from './map-view'
import type { LatLon } from './projection'

/**
 * The map's layers, each an SVG group drawn with the map's projector. Colour is never alone:
 * labels carry the name and, for venues, the kind; risky kinds have a heavy outline and ⚠.
 */
export interface ElderMark {
  elder: Elder
  level: RiskLevel
  /** Last known position (watch fix), when one was found. */
  last?: LatLon & { ts: number }
}

/** Geofences never shrink to nothing: a dot stays clickable when zoomed out. */
const MIN_RADIUS_PX = 6

function stop(handler: () => void) {
  return (e: MouseEvent) => {
    e.stopPropagation()
    handler()
  }
}

function Label(props: { at: { x: number; y: number }; text: string; class?: string }): JSX.Element {
  return (
    <text x={props.at.x + 10} y={props.at.y - 10} class={`map-label${props.class === undefined ? '' : ` ${props.class}`}`}>
      {props.text}
    </text>
  )
}

/**
 * Labels of what needs no attention (green elders, venues that are not risky) appear only when
 * zoomed in to a few streets: at town scale fifty names overlap into noise, and the names an
 * operator must find at a glance are the elders at risk and the risky venues.
 */
const QUIET_LABEL_ZOOM = 15

export function ElderLayer(props: { proj: Projector; marks: readonly ElderMark[]; onOpen(elder: Elder): void }): JSX.Element {
  const { t } = useT()
  const { proj } = props
  // Green first, red last: the riskiest elders are drawn on top.
  const sorted = [...props.marks].sort((a, b) => LEVEL_RANK[a.level] - LEVEL_RANK[b.level])
  return (
    <g class="map-elders">
      {sorted.map(({ elder, level, last }) => {
        const home = proj.point(elder.home)
        const r = Math.max(MIN_RADIUS_PX, proj.metres(elder.home.radiusM, elder.home.lat))
        const pos = last === undefined ? null : proj.point(last)
        const open = stop(() => props.onOpen(elder))
        return (
          <g key={elder.id} class={`map-elder risk-${level}`} data-testid="map-elder" data-elder-id={elder.id} data-level={level} onClick={open}>
            <title>{`${elder.name} · ${t(`level_${level}`)}`}</title>
            <circle cx={home.x} cy={home.y} r={r} class="map-home" data-testid="map-geofence" />
            <circle cx={home.x} cy={home.y} r={4} class="map-home-dot" />
            {pos !== null && (
              <>
                <line x1={home.x} y1={home.y} x2={pos.x} y2={pos.y} class="map-elder-tether" />
                <circle cx={pos.x} cy={pos.y} r={9} class="map-elder-pos" data-testid="map-elder-position" />
              </>
            )}
            {proj.zoom >= (level === 'green' ? QUIET_LABEL_ZOOM : 12) && <Label at={pos ?? home} text={`⌂ ${elder.name}`} />}
          </g>
        )
      })}
    </g>
  )
}

export function VenueLayer(props: { proj: Projector; venues: readonly Venue[]; selectedId?: string | null; onSelect(venue: Venue): void }): JSX.Element {
  const { t } = useT()
  const { proj } = props
  return (
    <g class="map-venues">
      {props.venues.map((venue) => {
        const cls = `map-venue kind-${venue.kind}${venue.risky ? ' risky' : ''}${venue.id === props.selectedId ? ' selected' : ''}`
        const label = `${venue.risky ? '⚠ ' : ''}${venue.name} · ${t(`vk_${venue.kind}`)}`
        const select = stop(() => props.onSelect(venue))
        if (venue.polygon !== null && venue.polygon.length >= 3) {
          const pts = venue.polygon.map(([lat, lon]) => proj.point({ lat, lon }))
          const top = pts.reduce((a, b) => (b.y < a.y ? b : a))
          return (
            <g key={venue.id} class={cls} data-testid="map-venue" data-venue-id={venue.id} data-kind={venue.kind} data-risky={String(venue.risky)} onClick={select}>
              <title>{label}</title>
              <polygon points={pts.map((p) => `${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ')} class="map-venue-shape" />
              {proj.zoom >= (venue.risky ? 11 : QUIET_LABEL_ZOOM) && <Label at={top} text={label} />}
            </g>
          )
        }
        if (venue.lat === null || venue.lon === null) return null
        const c = proj.point({ lat: venue.lat, lon: venue.lon })
        const r = Math.max(MIN_RADIUS_PX, proj.metres(venue.radiusM ?? 50, venue.lat))
        return (
          <g key={venue.id} class={cls} data-testid="map-venue" data-venue-id={venue.id} data-kind={venue.kind} data-risky={String(venue.risky)} onClick={select}>
            <title>{label}</title>
            <circle cx={c.x} cy={c.y} r={r} class="map-venue-shape" />
            {proj.zoom >= (venue.risky ? 11 : QUIET_LABEL_ZOOM) && <Label at={{ x: c.x + r * 0.7, y: c.y - r * 0.7 }} text={label} />}
          </g>
        )
      })}
    </g>
  )
}

export function CandidateLayer(props: { proj: Projector; candidates: readonly VenueCandidate[]; onSelect?(candidate: VenueCandidate): void }): JSX.Element {
  const { t } = useT()
  const { proj } = props
  return (
    <g class="map-candidates">
      {props.candidates.map((c) => {
        const p = proj.point(c)
        const r = Math.max(MIN_RADIUS_PX, proj.metres(c.radiusM, c.lat))
        const label = `? ${t('cand_title')} · ${c.days.length}${t('cand_days')} · ${c.elderIds.length}${t('cand_elders')}`
        return (
          <g key={c.id} class="map-candidate" data-testid="map-candidate" data-candidate-id={c.id} onClick={stop(() => props.onSelect?.(c))}>
            <title>{label}</title>
            <circle cx={p.x} cy={p.y} r={r} class="map-candidate-shape" />
            {proj.zoom >= 11 && <Label at={{ x: p.x + r * 0.7, y: p.y + r * 0.7 + 24 }} text={label} class="candidate" />}
          </g>
        )
      })}
    </g>
  )
}

/** The venue being edited: a circle preview where the operator clicked. */
export function DraftLayer(props: { proj: Projector; centre: LatLon | null; radiusM: number }): JSX.Element | null {
  if (props.centre === null) return null
  const c = props.proj.point(props.centre)
  const r = Math.max(MIN_RADIUS_PX, props.proj.metres(props.radiusM, props.centre.lat))
  return (
    <g class="map-draft" data-testid="map-draft">
      <circle cx={c.x} cy={c.y} r={r} class="map-draft-shape" />
      <path d={`M ${c.x - 10} ${c.y} H ${c.x + 10} M ${c.x} ${c.y - 10} V ${c.y + 10}`} class="map-draft-cross" />
    </g>
  )
}
