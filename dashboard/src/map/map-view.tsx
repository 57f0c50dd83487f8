import type { ComponentChildren, JSX } from 'preact'
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks'
import { useT } from '../i18n'
import type { BoardConfig } from '../types'
import { baseLayerOf, gridLayer } from './base-layer'
import type { LatLon } from './crs'
import { L } from './leaflet'
import { contextFor, MapContext } from './map-context'

export type Place = LatLon & { radiusM?: number }

export interface MapViewProps {
  /** The base map, its datum and credit line (GET /api/v1/board-config). */
  config: BoardConfig
  /** Places the map fits, WGS-84 (until the operator pans or zooms; "fit" fits them again). */
  fit: readonly Place[]
  /** A place to bring into view (a venue being edited, a candidate); the map fits it when it changes. */
  focus?: Place | null
  /** A click on the ground (not on a feature, not the end of a drag), as WGS-84. */
  onMapClick?: (p: LatLon) => void
  /** Placing things: a crosshair cursor. */
  placing?: boolean
  /**
   * Shapes may be drawn and edited on this map (leaflet-geoman, venues page of an editing role).
   * geoman runs opt-in (map/geoman.ts): a map without this never gets its drawing tools.
   */
  drawable?: boolean
  /** Layers (map/layers.tsx), drawn in panes of a fixed order whatever order they mount in. */
  children?: ComponentChildren
}

const DEFAULT_CENTRE: L.LatLngTuple = [31.23, 121.47]
/** Panes above the base map (200) and below tooltips (650): candidates over venues, elders on top. */
const PANES: ReadonlyArray<[string, number]> = [
  ['venues', 410],
  ['candidates', 420],
  ['elders', 430],
  ['draft', 440],
]

/** The bounds of places, each widened by its radius (Leaflet's toBounds takes a size in metres). */
function boundsOf(places: readonly Place[], at: (p: LatLon) => L.LatLngTuple): L.LatLngBounds | null {
  if (places.length === 0) return null
  const bounds = L.latLngBounds([])
  for (const p of places) bounds.extend(L.latLng(at(p)).toBounds(2 * (p.radiusM ?? 0)))
  return bounds
}

/**
 * The board's slippy map: Leaflet with the base map the gateway names, drag to pan, wheel or
 * ± to zoom, "fit" to show everything, a metric scale bar. Layers come as children and draw
 * themselves through the map context (map-context.ts), converted to the base map's datum.
 */
export function MapView(props: MapViewProps): JSX.Element {
  const { t } = useT()
  const box = useRef<HTMLDivElement>(null)
  const [map, setMap] = useState<L.Map | null>(null)
  const [view, setView] = useState<{ zoom: number; centre: L.LatLng } | null>(null)
  const [baseFailed, setBaseFailed] = useState(false)
  // The operator took over the view: new data no longer refits it.
  const touched = useRef(false)
  const fitting = useRef(false)
  const onMapClick = useRef(props.onMapClick)
  onMapClick.current = props.onMapClick
  const crs = props.config.mapCrs
  const ctx = useMemo(() => (map === null ? null : contextFor(map, crs, view?.zoom ?? map.getZoom())), [map, crs, view?.zoom])

  useLayoutEffect(() => {
    const el = box.current
    if (el === null) return
    const m = L.map(el, {
      zoomControl: false,
      attributionControl: false,
      zoomSnap: 0.25,
      minZoom: 1,
      maxZoom: 19,
      center: DEFAULT_CENTRE,
      zoom: 12,
      pmIgnore: props.drawable !== true,
    })
    for (const [name, z] of PANES) m.createPane(name).style.zIndex = String(z)
    L.control.attribution({ prefix: false }).addTo(m)
    L.control.scale({ imperial: false, maxWidth: 140 }).addTo(m).getContainer()?.setAttribute('data-testid', 'scale-bar')
    const show = () => setView({ zoom: m.getZoom(), centre: m.getCenter() })
    m.on('zoomend moveend', show)
    m.on('dragstart zoomstart', () => {
      if (!fitting.current) touched.current = true
    })
    m.on('click', (e: L.LeafletMouseEvent) => onMapClick.current?.(contextFor(m, crs, m.getZoom()).from(e.latlng)))
    // Leaflet follows the window's size only; the map's box also changes with the side panel.
    const observer = new ResizeObserver(() => m.invalidateSize({ pan: false }))
    observer.observe(el)
    show()
    setMap(m)
    return () => {
      observer.disconnect()
      m.remove()
    }
  }, [crs, props.drawable])

  useEffect(() => {
    if (map === null) return
    let live = true
    let added: L.GridLayer | null = null
    const add = (kind: string, layer: L.GridLayer) => {
      if (!live) return
      added = layer.addTo(map)
      layer.getContainer()?.setAttribute('data-testid', kind === 'none' ? 'map-grid' : 'map-base')
      layer.getContainer()?.setAttribute('data-base', kind)
    }
    baseLayerOf(props.config)
      .then(({ kind, layer }) => add(kind, layer))
      .catch(() => {
        // An unreadable archive: say so, and keep the grid so panning still shows movement.
        setBaseFailed(true)
        add('none', gridLayer())
      })
    return () => {
      live = false
      added?.remove()
    }
  }, [map, props.config])

  const at = (p: LatLon) => (ctx === null ? DEFAULT_CENTRE : ctx.at(p))
  const fitAll = () => {
    const bounds = boundsOf(props.fit, at)
    if (map === null || bounds === null) return
    fitting.current = true
    map.fitBounds(bounds, { padding: [40, 40], maxZoom: 17, animate: false })
    fitting.current = false
  }

  // Follow the data until the operator takes over the view.
  const fitKey = props.fit.map((p) => `${p.lat.toFixed(5)},${p.lon.toFixed(5)},${p.radiusM ?? 0}`).join(';')
  useEffect(() => {
    if (!touched.current) fitAll()
  }, [map, fitKey])

  const focusKey = props.focus == null ? '' : `${props.focus.lat},${props.focus.lon},${props.focus.radiusM ?? 0}`
  useEffect(() => {
    const bounds = props.focus == null ? null : boundsOf([props.focus], at)
    if (map === null || bounds === null) return
    touched.current = true
    // Zoomed out a little: the surroundings show where the place is.
    const zoom = map.getBoundsZoom(bounds, false, L.point(80, 80))
    map.setView(bounds.getCenter(), Math.max(1, Math.min(zoom - 1, 16)), { animate: false })
  }, [map, focusKey])

  const centre = view?.centre
  // The view on the box (zoom, centre in the base map's datum): browser tests work out from it
  // where a place must be drawn, without asking Leaflet.
  return (
    <div
      class={`map-view${props.placing === true ? ' placing' : ''}`}
      data-testid="map-view"
      data-zoom={view?.zoom.toFixed(2)}
      data-center={centre === undefined ? undefined : `${centre.lat.toFixed(7)},${centre.lng.toFixed(7)}`}
      data-crs={crs}
    >
      <div class="map-leaflet" ref={box} role="application" aria-label={t('map_aria')} />
      <div class="map-controls">
        <button type="button" data-testid="map-zoom-in" title={t('map_zoomIn')} onClick={() => map?.zoomIn()}>
          ＋
        </button>
        <button type="button" data-testid="map-zoom-out" title={t('map_zoomOut')} onClick={() => map?.zoomOut()}>
          －
        </button>
        <button
          type="button"
          data-testid="map-fit"
          title={t('map_fit')}
          onClick={() => {
            touched.current = false
            fitAll()
          }}
        >
          ⤢
        </button>
      </div>
      {baseFailed && (
        <p class="map-notice" data-testid="map-base-failed">
          {t('map_baseFailed')}
        </p>
      )}
      {ctx !== null && <MapContext.Provider value={ctx}>{props.children}</MapContext.Provider>}
    </div>
  )
}
