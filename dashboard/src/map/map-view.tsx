import type { ComponentChildren, JSX } from 'preact'
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks'
import { useT } from '../i18n'
import { fitView, fromScreen, metresPerPixel, panBy, toScreen, tileUrl, visibleTiles, zoomAround, type LatLon, type Point, type Size, type View } from './projection'
import { ScaleBar } from './scale-bar'

/** What the layers draw with: screen pixels of a place, and of a length on the ground. */
export interface Projector {
  point(p: LatLon): Point
  metres(m: number, lat: number): number
  zoom: number
}

export interface MapViewProps {
  /** Raster tile template (`{z}/{x}/{y}`); null: a plain background with a grid (no internet). */
  tileUrl: string | null
  attribution: string | null
  /** Places the map fits (until the operator pans or zooms; "fit" fits them again). */
  fit: ReadonlyArray<LatLon & { radiusM?: number }>
  /** A place to bring into view (a venue being edited, a candidate); the map fits it when it changes. */
  focus?: (LatLon & { radiusM?: number }) | null
  /** A click on the ground (not on a feature, not the end of a drag). */
  onMapClick?: (p: LatLon) => void
  /** Placing things: a crosshair cursor. */
  placing?: boolean
  children: (proj: Projector) => ComponentChildren
}

/** A drag shorter than this is a click (hands shake on a touch screen). */
const CLICK_SLOP_PX = 5
const DEFAULT_VIEW: View = { center: { lat: 31.23, lon: 121.47 }, zoom: 12 }

/**
 * A small slippy map in SVG (Web Mercator): drag to pan, wheel or ± to zoom, "fit" to show
 * everything. Layers draw themselves with the projector; features stop their click from
 * reaching the ground, so a click on the ground is a place.
 */
export function MapView(props: MapViewProps): JSX.Element {
  const { t } = useT()
  const box = useRef<HTMLDivElement>(null)
  const [size, setSize] = useState<Size>({ width: 800, height: 600 })
  const [view, setView] = useState<View | null>(null)
  const touched = useRef(false)
  const drag = useRef<{ start: Point; last: Point; moved: boolean; id: number } | null>(null)
  const suppressClick = useRef(false)

  useLayoutEffect(() => {
    const el = box.current
    if (el === null) return
    const measure = () => setSize({ width: Math.max(100, el.clientWidth), height: Math.max(100, el.clientHeight) })
    measure()
    const observer = new ResizeObserver(measure)
    observer.observe(el)
    return () => observer.disconnect()
  }, [])

  // Follow the data until the operator takes over the view.
  const fitKey = props.fit.map((p) => `${p.lat.toFixed(5)},${p.lon.toFixed(5)},${p.radiusM ?? 0}`).join(';')
  const fitAll = () => setView(fitView(props.fit, size) ?? view ?? DEFAULT_VIEW)
  useEffect(() => {
    if (!touched.current) fitAll()
  }, [fitKey, size.width, size.height])

  const focusKey = props.focus == null ? '' : `${props.focus.lat},${props.focus.lon},${props.focus.radiusM ?? 0}`
  useEffect(() => {
    if (props.focus == null) return
    touched.current = true
    // Zoomed out a little: the surroundings show where the place is.
    const fitted = fitView([props.focus], size, 40, 16)
    if (fitted !== null) setView({ ...fitted, zoom: Math.max(1, Math.min(fitted.zoom - 1, 16)) })
  }, [focusKey])

  const v = view ?? DEFAULT_VIEW
  const move = (next: View) => {
    touched.current = true
    setView(next)
  }
  const local = (e: { clientX: number; clientY: number }): Point => {
    const r = box.current?.getBoundingClientRect()
    return { x: e.clientX - (r?.left ?? 0), y: e.clientY - (r?.top ?? 0) }
  }

  const onPointerDown = (e: PointerEvent) => {
    if (e.button !== 0) return
    const p = local(e)
    drag.current = { start: p, last: p, moved: false, id: e.pointerId }
  }
  const onPointerMove = (e: PointerEvent) => {
    const d = drag.current
    if (d === null || d.id !== e.pointerId) return
    const p = local(e)
    if (!d.moved && Math.hypot(p.x - d.start.x, p.y - d.start.y) < CLICK_SLOP_PX) return
    if (!d.moved) {
      // Captured only once it is a drag: a capture from the start would steal features' clicks.
      d.moved = true
      ;(e.currentTarget as Element).setPointerCapture(e.pointerId)
    }
    move(panBy(v, p.x - d.last.x, p.y - d.last.y))
    d.last = p
  }
  const onPointerUp = (e: PointerEvent) => {
    const d = drag.current
    if (d === null || d.id !== e.pointerId) return
    suppressClick.current = d.moved
    drag.current = null
  }
  const onClick = (e: MouseEvent) => {
    if (suppressClick.current) {
      suppressClick.current = false
      return
    }
    props.onMapClick?.(fromScreen(v, size, local(e)))
  }
  const onWheel = (e: WheelEvent) => {
    e.preventDefault()
    // A mouse notch is ~100 px of deltaY: half a level; trackpads send many small deltas.
    const delta = Math.max(-1, Math.min(1, -e.deltaY / 200))
    move(zoomAround(v, size, local(e), delta))
  }
  const zoomButton = (delta: number) => move(zoomAround(v, size, { x: size.width / 2, y: size.height / 2 }, delta))

  const proj: Projector = {
    point: (p) => toScreen(v, size, p),
    metres: (m, lat) => m / metresPerPixel(lat, v.zoom),
    zoom: v.zoom,
  }
  // The grid follows the ground: one line per (scaled) tile edge, offset as the map pans.
  const tiles = visibleTiles(v, size)
  const first = tiles[0]
  const gridStep = (first?.size ?? 256) / 2
  const offset = (n: number) => ((n % gridStep) + gridStep) % gridStep

  return (
    <div class={`map-view${props.placing === true ? ' placing' : ''}`} ref={box} data-testid="map-view" data-zoom={v.zoom.toFixed(2)}>
      <svg
        width={size.width}
        height={size.height}
        role="application"
        aria-label={t('map_aria')}
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={onPointerUp}
        onPointerCancel={onPointerUp}
        onClick={onClick}
        onWheel={onWheel}
      >
        <rect x="0" y="0" width={size.width} height={size.height} class="map-bg" data-testid="map-bg" />
        {props.tileUrl !== null
          ? tiles.map((tile) => (
              <image key={`${tile.z}/${tile.x}/${tile.y}/${tile.left}`} href={tileUrl(props.tileUrl ?? '', tile)} x={tile.left} y={tile.top} width={tile.size + 0.5} height={tile.size + 0.5} data-testid="map-tile" />
            ))
          : first !== undefined && (
              <g class="map-grid" data-testid="map-grid">
                {Array.from({ length: Math.ceil(size.width / gridStep) + 1 }, (_, i) => (
                  <line key={`x${i}`} x1={offset(first.left) + i * gridStep} y1={0} x2={offset(first.left) + i * gridStep} y2={size.height} />
                ))}
                {Array.from({ length: Math.ceil(size.height / gridStep) + 1 }, (_, i) => (
                  <line key={`y${i}`} x1={0} y1={offset(first.top) + i * gridStep} x2={size.width} y2={offset(first.top) + i * gridStep} />
                ))}
              </g>
            )}
        {props.children(proj)}
        <rect x="8" y={size.height - 44} width="170" height="36" rx="6" class="map-scale-bg" />
        <ScaleBar x={20} y={size.height - 16} metresPerPixel={metresPerPixel(v.center.lat, v.zoom)} maxPx={140} />
      </svg>
      <div class="map-controls">
        <button type="button" data-testid="map-zoom-in" title={t('map_zoomIn')} onClick={() => zoomButton(1)}>
          ＋
        </button>
        <button type="button" data-testid="map-zoom-out" title={t('map_zoomOut')} onClick={() => zoomButton(-1)}>
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
      {props.tileUrl !== null && props.attribution !== null && <div class="map-attribution">{props.attribution}</div>}
    </div>
  )
}
