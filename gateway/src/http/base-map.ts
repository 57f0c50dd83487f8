import type { Config } from '../config'

/** Where the board reads the PMTiles archive of EG_MAP_PMTILES (http/map-tiles.ts serves it). */
export const PMTILES_PATH = '/map/tiles.pmtiles'

/**
 * The one base map the board draws, decided once from the configuration: the local PMTiles
 * archive (works without internet) over a tile server, over none (a plain grid). The board
 * config tells the board, and the CSP allows only what this base map loads.
 */
export type BaseMap = { kind: 'pmtiles'; url: string } | { kind: 'tiles'; url: string } | { kind: 'none'; url: null }

export function baseMapOf(config: Pick<Config, 'EG_MAP_PMTILES' | 'EG_MAP_TILE_URL'>): BaseMap {
  if (config.EG_MAP_PMTILES !== undefined) return { kind: 'pmtiles', url: PMTILES_PATH }
  if (config.EG_MAP_TILE_URL !== undefined) return { kind: 'tiles', url: config.EG_MAP_TILE_URL }
  return { kind: 'none', url: null }
}
