import { leafletRasterLayer, PMTiles } from 'pmtiles'
import type { BoardConfig } from '../types'
import { L } from './leaflet'

/**
 * The base map under the board's layers, as the gateway's board config names it (the gateway
 * decides: a local PMTiles archive over a tile server over none):
 * - pmtiles: the gateway's archive read by byte ranges (`pmtiles`: header and root directory in
 *   one request, then a range a tile); nothing is fetched from outside — a county intranet;
 * - tiles: an XYZ tile server (EG_MAP_TILE_URL);
 * - none: a dark background with grid lines, so panning still shows movement.
 * Tiles and the layer's box carry test ids the browser tests look for.
 */
export type BaseKind = BoardConfig['baseMap']

/** Grid lines every half tile, as the hand-drawn map had: a div a cell, its border the line. */
class GridLines extends L.GridLayer {
  override createTile(): HTMLElement {
    const cell = document.createElement('div')
    cell.className = 'map-grid-cell'
    return cell
  }
}

/** HTML-escaped: Leaflet writes attributions as HTML, and this one is plain text from the configuration. */
function attributionOf(config: BoardConfig): string | undefined {
  return config.attribution?.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`)
}

async function pmtilesLayer(url: string, attribution: string | undefined): Promise<L.GridLayer> {
  const archive = new PMTiles(url)
  // The zoom levels and extent the archive holds: beyond its deepest level Leaflet scales that
  // level's tiles up (a county archive seldom goes past z16), outside its extent it asks nothing.
  const header = await archive.getHeader()
  // An archive written without an extent says 0,0,0,0: then it is asked for every tile in view.
  const hasExtent = header.minLon < header.maxLon && header.minLat < header.maxLat
  const layer: L.GridLayer = leafletRasterLayer(archive, {
    minNativeZoom: header.minZoom,
    maxNativeZoom: header.maxZoom,
    maxZoom: 19,
    ...(hasExtent ? { bounds: L.latLngBounds([header.minLat, header.minLon], [header.maxLat, header.maxLon]) } : {}),
    attribution,
  })
  return layer
}

/** The base layer for a map; a PMTiles archive that cannot be read rejects (the map says so). */
export async function baseLayerOf(config: BoardConfig): Promise<{ kind: BaseKind; layer: L.GridLayer }> {
  const attribution = attributionOf(config)
  let layer: L.GridLayer
  if (config.baseMap === 'pmtiles' && config.pmtilesUrl !== null) layer = await pmtilesLayer(config.pmtilesUrl, attribution)
  else if (config.baseMap === 'tiles' && config.tileUrl !== null) layer = L.tileLayer(config.tileUrl, { maxZoom: 19, attribution })
  else return { kind: 'none', layer: gridLayer() }
  layer.on('tileload', (e: L.TileEvent) => {
    e.tile.dataset.testid = 'map-tile'
  })
  return { kind: config.baseMap, layer }
}

export function gridLayer(): L.GridLayer {
  return new GridLines({ tileSize: 128, className: 'map-grid' })
}
