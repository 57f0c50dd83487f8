import * as L from 'leaflet'
import 'leaflet/dist/leaflet.css'
import './map.css'

/**
 * Leaflet for the board's maps, with its stylesheet bundled by Vite (no CDN: county clouds run
 * without internet). Two plugins find Leaflet as the global `L`, as plugins of Leaflet 1.x do:
 * leaflet-geoman when its script runs, and pmtiles' `leafletRasterLayer` when it is called.
 * Every module imports Leaflet from here, so the global is set before either of them runs.
 */
;(globalThis as { L?: typeof L }).L = L

export { L }
