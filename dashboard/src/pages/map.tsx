import type { JSX } from 'preact'
import { useEffect, useMemo, useState } from 'preact/hooks'
import { levelRank } from '../../../contract/levels'
import { riskByElder } from '../alert-board'
import { alertsStore, eldersStore, loadElders } from '../data'
import { formatTime, useT } from '../i18n'
import { CandidateLayer, ElderLayer, VenueLayer, type ElderMark } from '../map/layers'
import { MapLegend, SHOW_ALL, type MapFilter } from '../map/legend'
import type { LatLon } from '../map/crs'
import { lastPositions, placesOf, useMapData } from '../map/map-data'
import { MapView } from '../map/map-view'
import { Link, navigate } from '../router'
import { useStore } from '../store'
import type { Venue, VenueCandidate } from '../types'

/**
 * 地图: elders' homes (geofences) and last positions in their risk colour, venues by kind
 * (risky kinds emphasised), candidate venues dashed. Click an elder for the elder page, a
 * venue or candidate for its details. The base map is the one the gateway names (a local
 * PMTiles archive, a tile server, or none).
 */
export function MapPage(): JSX.Element {
  const { t, lang } = useT()
  const elders = useStore(eldersStore)
  const alerts = useStore(alertsStore)
  const { data } = useMapData()
  const [filter, setFilter] = useState<MapFilter>(SHOW_ALL)
  const [selected, setSelected] = useState<Venue | VenueCandidate | null>(null)
  const [positions, setPositions] = useState<Map<string, LatLon & { ts: number }>>(new Map())

  useEffect(() => void loadElders(), [])

  const marks = useMemo<ElderMark[]>(() => {
    const risk = riskByElder(alerts)
    const known = new Set([...alerts.values()].map((a) => a.elderId))
    return [...elders.values()]
      .map((elder) => ({ elder, level: risk.get(elder.id)?.level ?? (known.has(elder.id) ? 'green' : (elder.riskLevel ?? 'green')) }))
      .sort((a, b) => levelRank(b.level) - levelRank(a.level))
  }, [elders, alerts])

  const elderKey = marks.map((m) => m.elder.id).join(',')
  useEffect(() => {
    let live = true
    void lastPositions().then((p) => live && setPositions(p))
    return () => {
      live = false
    }
  }, [elderKey])

  const venues = useMemo(() => (data?.venues ?? []).filter((v) => filter.kinds.has(v.kind)), [data, filter])
  const candidates = useMemo(() => (data?.candidates ?? []).filter((c) => c.status === 'new'), [data])
  const fit = useMemo(() => [...marks.map((m) => ({ ...m.elder.home })), ...placesOf(data?.venues ?? [], candidates)], [marks, data])
  const placed = useMemo(() => marks.map((m) => ({ ...m, last: positions.get(m.elder.id) })), [marks, positions])

  if (data === null) return <p class="muted">…</p>
  return (
    <section class="map-page">
      <div class="map-main">
        <MapView config={data.config} fit={fit}>
          <VenueLayer venues={venues} selectedId={selected?.id ?? null} onSelect={setSelected} />
          {filter.candidates && <CandidateLayer candidates={candidates} onSelect={setSelected} />}
          {filter.elders && <ElderLayer marks={placed} onOpen={(e) => navigate(`/elders/${encodeURIComponent(e.id)}`)} />}
        </MapView>
      </div>
      <div class="map-side">
        {data.failed && <p class="form-error">{t('loadFailed')}</p>}
        {selected !== null && (
          <section class="card map-details" data-testid="map-details">
            {'kind' in selected ? (
              <>
                <h3>
                  {selected.risky ? '⚠ ' : ''}
                  {selected.name}
                </h3>
                <dl class="facts">
                  <dt>{t('kind')}</dt>
                  <dd>{t(`vk_${selected.kind}`)}</dd>
                  <dt>{t('venue_risky')}</dt>
                  <dd>{selected.risky ? t('yes') : t('no')}</dd>
                  <dt>{t('address')}</dt>
                  <dd>{selected.address ?? '—'}</dd>
                </dl>
                <Link href="/venues">{t('venue_manage')} →</Link>
              </>
            ) : (
              <>
                <h3>{t('cand_title')}</h3>
                <dl class="facts">
                  <dt>{t('cand_daysLabel')}</dt>
                  <dd>{selected.days.length}</dd>
                  <dt>{t('cand_eldersLabel')}</dt>
                  <dd>{selected.elderIds.map((id) => elders.get(id)?.name ?? id).join('、')}</dd>
                  <dt>{t('last')}</dt>
                  <dd>{formatTime(lang, selected.lastAt)}</dd>
                </dl>
                <Link href="/venues">{t('cand_promote')} →</Link>
              </>
            )}
          </section>
        )}
        <MapLegend filter={filter} onChange={setFilter} />
      </div>
    </section>
  )
}
