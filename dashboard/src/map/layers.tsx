import { useMemo } from 'preact/hooks'
import { levelRank } from '../../../contract/levels'
import { useT } from '../i18n'
import type { Elder, RiskLevel, Venue, VenueCandidate } from '../types'
import type { LatLon } from './crs'
import { L } from './leaflet'
import { tag, useLayer, useMapContext, type MapContextValue } from './map-context'

/**
 * The map's layers, each a Leaflet layer group in its own pane, drawn from WGS-84 data moved
 * onto the base map's datum (ctx.at). Colour is never alone: labels carry the name and, for
 * venues, the kind; risky kinds have a heavy outline and ⚠; elders at risk are drawn last, on
 * top, with a heavier ring. Clicks on a feature stop there (bubblingMouseEvents: false), so a
 * click on the ground is a place.
 */
export interface ElderMark {
  elder: Elder
  level: RiskLevel
  /** Last known position (watch fix), when one was found. */
  last?: LatLon & { ts: number }
}

/**
 * Labels of what needs no attention (green elders, venues that are not risky) appear only when
 * zoomed in to a few streets: at town scale fifty names overlap into noise, and the names an
 * operator must find at a glance are the elders at risk and the risky venues. Below their
 * level a label is a tooltip on hover.
 */
const QUIET_LABEL_ZOOM = 15
const RISK_LABEL_ZOOM = 12
const RISKY_VENUE_LABEL_ZOOM = 11

/** A label beside a shape: always shown (`permanent`) or a tooltip on hover. */
export function label<T extends L.Layer>(layer: T, text: string, permanent: boolean, className = 'map-label'): T {
  return layer.bindTooltip(text, { permanent, direction: 'right', offset: [10, -10], className })
}

/** Shapes of features people click: they stop the click before the map sees it. */
const feature = (pane: string, className: string): L.PathOptions => ({ pane, className, bubblingMouseEvents: false })

/**
 * One layer group holding a few shapes for each item, every shape opening `onPick(item)` when
 * clicked; rebuilt when the items or `deps` (a label threshold crossed, the language) change.
 */
function useFeatures<T>(items: readonly T[], draw: (ctx: MapContextValue, item: T) => L.Path[], onPick: ((item: T) => void) | undefined, deps: readonly unknown[]): void {
  useLayer(
    { onPick },
    (ctx, handlers) => {
      const group = L.layerGroup()
      for (const item of items) for (const shape of draw(ctx, item)) group.addLayer(shape.on('click', () => handlers.current.onPick?.(item)))
      return group
    },
    [items, ...deps],
  )
}

export function ElderLayer(props: { marks: readonly ElderMark[]; onOpen(elder: Elder): void }): null {
  const { t, lang } = useT()
  const { zoom } = useMapContext()
  // Green first, red last: the riskiest elders are drawn on top.
  const sorted = useMemo(() => [...props.marks].sort((a, b) => levelRank(a.level) - levelRank(b.level)), [props.marks])
  const draw = (ctx: MapContextValue, { elder, level, last }: ElderMark): L.Path[] => {
    const ids = { 'data-elder-id': elder.id, 'data-level': level }
    const home = ctx.at(elder.home)
    const geofence = tag(L.circle(home, { ...feature('elders', `map-home risk-${level}`), radius: elder.home.radiusM }), { 'data-testid': 'map-geofence', ...ids })
    // The home's dot stays visible when the geofence shrinks to a few pixels (clicks go through to it).
    const shapes: L.Path[] = [geofence, L.circleMarker(home, { pane: 'elders', className: `map-home-dot risk-${level}`, radius: 4, interactive: false })]
    let marker: L.Path = geofence
    if (last !== undefined) {
      const pos = ctx.at(last)
      marker = tag(L.circleMarker(pos, { ...feature('elders', `map-elder-pos risk-${level}`), radius: 9 }), { 'data-testid': 'map-elder-position', ...ids })
      shapes.push(L.polyline([home, pos], { pane: 'elders', className: `map-elder-tether risk-${level}`, interactive: false }), marker)
    }
    const named = ctx.zoom >= (level === 'green' ? QUIET_LABEL_ZOOM : RISK_LABEL_ZOOM)
    label(marker, named ? `⌂ ${elder.name}` : `${elder.name} · ${t(`level_${level}`)}`, named)
    return shapes
  }
  useFeatures(sorted, draw, (m) => props.onOpen(m.elder), [zoom >= RISK_LABEL_ZOOM, zoom >= QUIET_LABEL_ZOOM, lang])
  return null
}

export function VenueLayer(props: { venues: readonly Venue[]; selectedId?: string | null; onSelect(venue: Venue): void }): null {
  const { t, lang } = useT()
  const { zoom } = useMapContext()
  const draw = (ctx: MapContextValue, venue: Venue): L.Path[] => {
    const className = `map-venue-shape kind-${venue.kind}${venue.risky ? ' risky' : ''}${venue.id === props.selectedId ? ' selected' : ''}`
    const ids = { 'data-testid': 'map-venue', 'data-venue-id': venue.id, 'data-kind': venue.kind, 'data-risky': String(venue.risky) }
    let shape: L.Path
    if (venue.polygon !== null && venue.polygon.length >= 3) {
      shape = tag(L.polygon(venue.polygon.map(([lat, lon]) => ctx.at({ lat, lon })), feature('venues', className)), { ...ids, 'data-shape': 'polygon' })
    } else if (venue.lat !== null && venue.lon !== null) {
      shape = tag(L.circle(ctx.at({ lat: venue.lat, lon: venue.lon }), { ...feature('venues', className), radius: venue.radiusM ?? 50 }), { ...ids, 'data-shape': 'circle' })
    } else return []
    return [label(shape, `${venue.risky ? '⚠ ' : ''}${venue.name} · ${t(`vk_${venue.kind}`)}`, ctx.zoom >= (venue.risky ? RISKY_VENUE_LABEL_ZOOM : QUIET_LABEL_ZOOM))]
  }
  useFeatures(props.venues, draw, props.onSelect, [props.selectedId, zoom >= RISKY_VENUE_LABEL_ZOOM, zoom >= QUIET_LABEL_ZOOM, lang])
  return null
}

export function CandidateLayer(props: { candidates: readonly VenueCandidate[]; onSelect?(candidate: VenueCandidate): void }): null {
  const { t, lang } = useT()
  const { zoom } = useMapContext()
  const draw = (ctx: MapContextValue, c: VenueCandidate): L.Path[] => {
    const shape = tag(L.circle(ctx.at(c), { ...feature('candidates', 'map-candidate-shape'), radius: c.radiusM }), { 'data-testid': 'map-candidate', 'data-candidate-id': c.id })
    return [label(shape, `? ${t('cand_title')} · ${c.days.length}${t('cand_days')} · ${c.elderIds.length}${t('cand_elders')}`, ctx.zoom >= RISKY_VENUE_LABEL_ZOOM, 'map-label candidate')]
  }
  useFeatures(props.candidates, draw, props.onSelect, [zoom >= RISKY_VENUE_LABEL_ZOOM, lang])
  return null
}
