import { L } from './leaflet'
import '@geoman-io/leaflet-geoman-free'
import '@geoman-io/leaflet-geoman-free/dist/leaflet-geoman.css'

/**
 * leaflet-geoman (drawing and editing shapes) for the venues page. Opt-in: geoman adds its
 * editing to no layer unless the layer says `pmIgnore: false`, so the venues, elders and
 * candidates drawn for reading can never be dragged by a stray global mode; only the venue
 * being edited can.
 */
L.PM.setOptIn(true)

export { L }
