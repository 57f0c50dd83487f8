import { useMemo } from 'preact/hooks'
import { formatTime, useT } from '../i18n'
import type { Elder } from '../types'
import type { LatLon } from './crs'
import { label } from './layers'
import { L } from './leaflet'
import { tag, useLayer } from './map-context'

/** A position fix of the elder's watch (WGS-84, as the API answers it). */
export type TrailFix = LatLon & { ts: number }

/**
 * One elder's last day on the map (the elder page): the home geofence, the fixes joined in
 * time order, a dot a fix (its local time on hover) and the newest fix emphasised, labelled
 * with its time. Every position is moved onto the base map's datum (ctx.at), like the map
 * page's layers. The line is drawn as given: no simplification (smoothFactor 0) and no
 * clipping, so it has a vertex for every fix at any zoom. Nothing here opens anything.
 */
export function TrailLayer(props: { home: Elder['home']; fixes: readonly TrailFix[] }): null {
  const { t, lang } = useT()
  const fixes = useMemo(() => [...props.fixes].sort((a, b) => a.ts - b.ts), [props.fixes])
  useLayer(
    {},
    (ctx) => {
      const group = L.layerGroup()
      const home = ctx.at(props.home)
      group.addLayer(tag(L.circle(home, { pane: 'elders', className: 'map-trail-home', radius: props.home.radiusM, interactive: false }), { 'data-testid': 'trail-home' }))
      group.addLayer(label(L.circleMarker(home, { pane: 'elders', className: 'map-trail-home-dot', radius: 4, interactive: false }), `⌂ ${t('home')}`, true))
      const points = fixes.map((f) => ctx.at(f))
      if (points.length > 1) {
        const line = L.polyline(points, { pane: 'elders', className: 'map-trail-line', interactive: false, smoothFactor: 0, noClip: true })
        group.addLayer(tag(line, { 'data-testid': 'trail-line', 'data-fixes': String(points.length) }))
      }
      fixes.forEach((fix, i) => {
        const dot = L.circleMarker(points[i] ?? home, { pane: 'elders', className: 'map-trail-dot', radius: 5 })
        group.addLayer(label(tag(dot, { 'data-testid': 'trail-fix', 'data-ts': String(fix.ts) }), formatTime(lang, fix.ts), false))
      })
      const last = fixes[fixes.length - 1]
      if (last !== undefined) {
        const marker = L.circleMarker(ctx.at(last), { pane: 'elders', className: 'map-trail-last', radius: 9 })
        group.addLayer(label(tag(marker, { 'data-testid': 'trail-last', 'data-ts': String(last.ts) }), `${t('trail_last')} · ${formatTime(lang, last.ts)}`, true))
      }
      return group
    },
    [props.home, fixes, lang],
  )
  return null
}
