import type { JSX } from 'preact'
import { useEffect, useMemo, useState } from 'preact/hooks'
import { loadBoardConfig } from '../map/map-data'
import { MapView } from '../map/map-view'
import { TrailLayer, type TrailFix } from '../map/trail-layer'
import type { BoardConfig, Elder } from '../types'

/**
 * The elder page's trail on the board's Leaflet map: the base map and datum the gateway names
 * (GET /api/v1/board-config, read once per page load), fitted to home and the day's fixes.
 * Loaded on first use (elder-charts.tsx), so Leaflet stays out of the main bundle.
 */
export interface TrailMapProps {
  home: Elder['home']
  /** The day's fixes, WGS-84. */
  fixes: readonly TrailFix[]
}

export function TrailMap(props: TrailMapProps): JSX.Element {
  const [config, setConfig] = useState<BoardConfig | null>(null)
  useEffect(() => {
    let live = true
    void loadBoardConfig().then((c) => live && setConfig(c))
    return () => {
      live = false
    }
  }, [])
  const fit = useMemo(() => [props.home, ...props.fixes.map(({ lat, lon }) => ({ lat, lon }))], [props.home, props.fixes])
  if (config === null) return <p class="muted">…</p>
  return (
    <MapView config={config} fit={fit}>
      <TrailLayer home={props.home} fixes={props.fixes} />
    </MapView>
  )
}
