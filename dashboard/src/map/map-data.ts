import { useEffect, useState } from 'preact/hooks'
import { api, ApiError, fetchAll } from '../api'
import type { BoardConfig, Venue, VenueCandidate } from '../types'
import type { LatLon } from './crs'

/**
 * What the map and venue pages read: the board config (base map and datum), venues and candidate
 * venues. A list the caller may not read (police: 403) or the gateway lacks (404) is empty
 * rather than an error, so the map still draws what it can.
 */
export interface MapData {
  config: BoardConfig
  venues: Venue[]
  candidates: VenueCandidate[]
  /** Venues or candidates could not be read (a network failure, not a permission). */
  failed: boolean
}

/** An older or unreachable gateway: no base map, WGS-84 (what the data is in, so nothing is shifted). */
const NO_BASE_MAP: BoardConfig = { baseMap: 'none', pmtilesUrl: null, tileUrl: null, mapCrs: 'wgs84', attribution: null, tenantName: '' }
let configOnce: Promise<BoardConfig> | null = null

/** The board config changes only with a gateway restart: read once per page load. */
export function loadBoardConfig(): Promise<BoardConfig> {
  configOnce ??= api<BoardConfig>('GET', '/board-config').catch(() => {
    configOnce = null
    return NO_BASE_MAP
  })
  return configOnce
}

const quietly = <T>(p: Promise<T[]>): Promise<T[] | 'failed'> =>
  p.catch((err: unknown) => (err instanceof ApiError && (err.status === 403 || err.status === 404) ? [] : 'failed'))

export async function loadMapData(): Promise<MapData> {
  const [config, venues, candidates] = await Promise.all([
    loadBoardConfig(),
    quietly(fetchAll<Venue>('/venues')),
    quietly(api<{ items: VenueCandidate[] }>('GET', '/venue-candidates').then((r) => r.items)),
  ])
  return {
    config,
    venues: venues === 'failed' ? [] : venues,
    candidates: candidates === 'failed' ? [] : candidates,
    failed: venues === 'failed' || candidates === 'failed',
  }
}

/** Map data, reloaded whenever `reload` is called (after a save, a promotion). */
export function useMapData(): { data: MapData | null; reload(): void } {
  const [data, setData] = useState<MapData | null>(null)
  const [round, setRound] = useState(0)
  useEffect(() => {
    let live = true
    void loadMapData().then((d) => live && setData(d))
    return () => {
      live = false
    }
  }, [round])
  return { data, reload: () => setRound((r) => r + 1) }
}

/** Every elder's last fix in the last 24 hours, in one request (`GET /api/v1/positions`). */
export async function lastPositions(): Promise<Map<string, LatLon & { ts: number }>> {
  try {
    const { items } = await api<{ items: Array<{ elderId: string; lat: number; lon: number; ts: number }> }>('GET', '/positions')
    return new Map(items.map((p) => [p.elderId, { lat: p.lat, lon: p.lon, ts: p.ts }]))
  } catch {
    // No rights (police) or an older gateway: elders are drawn at home.
    return new Map()
  }
}

/** The places a view of venues and candidates must fit (a polygon by its vertices). */
export function placesOf(venues: readonly Venue[], candidates: readonly VenueCandidate[]): Array<LatLon & { radiusM?: number }> {
  return [
    ...venues.flatMap((v) => (v.lat !== null && v.lon !== null ? [{ lat: v.lat, lon: v.lon, radiusM: v.radiusM ?? 0 }] : (v.polygon ?? []).map(([lat, lon]) => ({ lat, lon })))),
    ...candidates.map((c) => ({ lat: c.lat, lon: c.lon, radiusM: c.radiusM })),
  ]
}
