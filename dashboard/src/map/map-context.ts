import { createContext } from 'preact'
import { useContext, useEffect, useRef } from 'preact/hooks'
import type { MapCrs } from '../types'
import { toMapDatum, toWgs84, type LatLon } from './crs'
import type { L } from './leaflet'

/**
 * What a map layer needs from the map it draws on: the Leaflet map, the zoom (labels come and
 * go with it), and the two conversions between the API's WGS-84 and the base map's datum.
 */
export interface MapContextValue {
  map: L.Map
  crs: MapCrs
  zoom: number
  /** A WGS-84 position where the base map draws it. */
  at(p: LatLon): L.LatLngTuple
  /** A point of the map (a click, a drawn vertex) as WGS-84. */
  from(p: L.LatLng): LatLon
}

export const MapContext = createContext<MapContextValue | null>(null)

export function contextFor(map: L.Map, crs: MapCrs, zoom: number): MapContextValue {
  return {
    map,
    crs,
    zoom,
    at: (p) => {
      const q = toMapDatum(crs, p)
      return [q.lat, q.lon]
    },
    from: (p) => toWgs84(crs, { lat: p.lat, lon: p.lng }),
  }
}

export function useMapContext(): MapContextValue {
  const value = useContext(MapContext)
  if (value === null) throw new Error('a map layer outside a MapView')
  return value
}

/**
 * A Leaflet layer built from props and kept on the map until they change (`deps`) or the
 * component goes: rebuilt whole, which at a county's few hundred features costs less than
 * diffing them. The latest handlers are read through a ref, so a new closure does not rebuild.
 */
export function useLayer<H>(handlers: H, build: (ctx: MapContextValue, handlers: { current: H }) => L.Layer | null, deps: readonly unknown[]): void {
  const ctx = useMapContext()
  const latest = useRef(handlers)
  latest.current = handlers
  useEffect(() => {
    const layer = build(ctx, latest)
    layer?.addTo(ctx.map)
    return () => {
      layer?.remove()
    }
  }, [ctx.map, ctx.crs, ...deps])
}

/** Attributes for the browser tests and for people reading the DOM, set once Leaflet made the element. */
export function tag<T extends L.Path>(layer: T, attributes: Record<string, string>): T {
  layer.on('add', () => {
    const el = layer.getElement()
    if (el === undefined) return
    for (const [name, value] of Object.entries(attributes)) el.setAttribute(name, value)
  })
  return layer
}
