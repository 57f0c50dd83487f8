import { useEffect, useRef } from 'preact/hooks'
import { useT } from '../i18n'
import { roundCoord } from './crs'
import { L } from './geoman'
import { useMapContext, type MapContextValue } from './map-context'
import { shapeKey, type VenueShape } from './venue-shape'

/**
 * The venue being edited, on the map, with leaflet-geoman: its outline editable in place
 * (drag a polygon's corners, add one from a side's midpoint, right-click one away; drag a
 * circle's centre or its radius handle), and drawing a new outline (a polygon corner by corner,
 * a circle by centre and radius). Everything leaves here as WGS-84 (ctx.from): on a GCJ-02 or
 * BD-09 base map the operator draws on the shifted picture, and the API stores GPS datum.
 * Only the venues page of a role that may edit mounts this.
 */
export type DrawKind = 'Polygon' | 'Circle'

const DRAFT_STYLE: L.PathOptions = { pane: 'draft', className: 'map-draft-shape' }
/** No snapping: a corner stays where it was put, not on a nearby venue's corner 20 px away. */
const EDIT_OPTIONS = { snappable: false, allowSelfIntersection: false, draggable: true }

function layerOf(ctx: MapContextValue, shape: VenueShape): L.Circle | L.Polygon {
  return shape.kind === 'circle'
    ? L.circle(ctx.at(shape.centre), { ...DRAFT_STYLE, radius: Math.max(1, shape.radiusM), pmIgnore: false })
    : L.polygon(shape.vertices.map(([lat, lon]) => ctx.at({ lat, lon })), { ...DRAFT_STYLE, pmIgnore: false })
}

/** A drawn or edited layer as a shape in WGS-84, rounded as the draft keeps it. */
function shapeOf(ctx: MapContextValue, layer: L.Layer): VenueShape | null {
  const wgs = (p: L.LatLng): [number, number] => {
    const q = ctx.from(p)
    return [roundCoord(q.lat), roundCoord(q.lon)]
  }
  if (layer instanceof L.Circle) {
    const [lat, lon] = wgs(layer.getLatLng())
    return { kind: 'circle', centre: { lat, lon }, radiusM: Math.round(layer.getRadius()) }
  }
  if (layer instanceof L.Polygon) {
    // One ring: venues have no holes; a rectangle or polygon gives its outer ring first.
    const ring = layer.getLatLngs()[0]
    const points = Array.isArray(ring) ? ring.filter((p): p is L.LatLng => p instanceof L.LatLng) : []
    return points.length >= 3 ? { kind: 'polygon', vertices: points.map(wgs) } : null
  }
  return null
}

export function DraftLayer(props: { shape: VenueShape | null; drawing: DrawKind | null; onShape(shape: VenueShape): void; onDrawEnd(): void }): null {
  const ctx = useMapContext()
  const { lang } = useT()
  const handlers = useRef(props)
  handlers.current = props
  const layer = useRef<L.Circle | L.Polygon | null>(null)
  // The outline the operator is dragging: its own change coming back as props must not
  // rebuild the layer under the pointer.
  const emitted = useRef<string | null>(null)
  const key = shapeKey(props.shape)

  useEffect(() => {
    if (layer.current !== null && key === emitted.current) return
    layer.current?.remove()
    layer.current = null
    emitted.current = null
    if (props.shape === null) return
    const next = layerOf(ctx, props.shape).addTo(ctx.map)
    next.getElement()?.setAttribute('data-testid', 'map-draft')
    next.getElement()?.setAttribute('data-shape', props.shape.kind)
    next.pm.enable(EDIT_OPTIONS)
    next.on('pm:edit', () => {
      const shape = shapeOf(ctx, next)
      if (shape === null) return
      emitted.current = shapeKey(shape)
      handlers.current.onShape(shape)
    })
    layer.current = next
  }, [ctx.map, ctx.crs, key])

  useEffect(
    () => () => {
      layer.current?.remove()
      layer.current = null
    },
    [],
  )

  useEffect(() => {
    const { drawing } = props
    if (drawing === null) return
    const { map } = ctx
    map.pm.setLang(lang === 'zh' ? 'zh' : 'en')
    const created = (e: { layer: L.Layer }) => {
      // The drawn layer only carries the outline into the draft; the draft layer shows it.
      map.removeLayer(e.layer)
      const shape = shapeOf(ctx, e.layer)
      if (shape !== null) handlers.current.onShape(shape)
      handlers.current.onDrawEnd()
    }
    map.on('pm:create', created)
    map.pm.enableDraw(drawing, { snappable: false, allowSelfIntersection: false, finishOnEnter: true, pathOptions: DRAFT_STYLE, templineStyle: DRAFT_STYLE, hintlineStyle: DRAFT_STYLE })
    return () => {
      map.off('pm:create', created)
      map.pm.disableDraw()
    }
  }, [ctx.map, props.drawing])
  return null
}
