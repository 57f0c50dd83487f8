import { useEffect, useState } from 'preact/hooks'
import { api, ApiError, fetchAll } from '../api'
import type { BoardConfig, Elder, Telemetry, Venue, VenueCandidate } from '../types'
import type { LatLon } from './projection'

/**
 * What the map and venue pages read: the board config (tile server), venues and candidate
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

const NO_TILES: BoardConfig = { tileUrl: null, attribution: null, tenantName: '' }
let configOnce: Promise<BoardConfig> | null = null

/** The board config changes only with a gateway restart: read once per page load. */
export function loadBoardConfig(): Promise<BoardConfig> {
  configOnce ??= api<BoardConfig>('GET', '/board-config').catch(() => {
    configOnce = null
    return NO_TILES
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

/**
 * The gateway has no "last position" list, so the map asks each elder's recent watch
 * telemetry — for at most POSITION_LOOKUPS elders, riskiest first (those an operator looks
 * for on the wall); the rest show their home only.
 */
const POSITION_LOOKUPS = 40
const POSITION_WINDOW_MS = 6 * 3_600_000

export async function lastPositions(elders: readonly Elder[]): Promise<Map<string, LatLon & { ts: number }>> {
  const out = new Map<string, LatLon & { ts: number }>()
  const from = Date.now() - POSITION_WINDOW_MS
  await Promise.all(
    elders.slice(0, POSITION_LOOKUPS).map(async (elder) => {
      try {
        const tel = await api<Telemetry>('GET', `/elders/${encodeURIComponent(elder.id)}/telemetry?from=${from}&kind=watch&limit=10000`)
        // Readings come oldest first: the last fix wins.
        for (let i = tel.items.length - 1; i >= 0; i--) {
          const r = tel.items[i]
          if (r?.lat !== undefined && r.lon !== undefined) {
            out.set(elder.id, { lat: r.lat, lon: r.lon, ts: r.ts })
            break
          }
        }
      } catch {
        // No telemetry rights or no readings: the elder is drawn at home.
      }
    }),
  )
  return out
}

/** The places a view of venues and candidates must fit (a polygon by its vertices). */
export function placesOf(venues: readonly Venue[], candidates: readonly VenueCandidate[]): Array<LatLon & { radiusM?: number }> {
  return [
    ...venues.flatMap((v) => (v.lat !== null && v.lon !== null ? [{ lat: v.lat, lon: v.lon, radiusM: v.radiusM ?? 0 }] : (v.polygon ?? []).map(([lat, lon]) => ({ lat, lon })))),
    ...candidates.map((c) => ({ lat: c.lat, lon: c.lon, radiusM: c.radiusM })),
  ]
}
