import type { JSX } from 'preact'
import { LEVELS } from '../alert-board'
import { useT } from '../i18n'
import { LevelBadge } from '../levels'
import { RISKY_VENUE_KINDS, VENUE_KINDS, type VenueKind } from '../types'

/** What the map shows; the legend doubles as its filter (a tick per layer and venue kind). */
export interface MapFilter {
  elders: boolean
  candidates: boolean
  kinds: ReadonlySet<VenueKind>
}

export const SHOW_ALL: MapFilter = { elders: true, candidates: true, kinds: new Set(VENUE_KINDS) }

export function MapLegend(props: { filter: MapFilter; onChange(filter: MapFilter): void }): JSX.Element {
  const { t } = useT()
  const { filter } = props
  const toggleKind = (kind: VenueKind) => {
    const kinds = new Set(filter.kinds)
    if (kinds.has(kind)) kinds.delete(kind)
    else kinds.add(kind)
    props.onChange({ ...filter, kinds })
  }
  return (
    <aside class="map-legend card" data-testid="map-legend">
      <label class="legend-row">
        <input type="checkbox" checked={filter.elders} data-testid="filter-elders" onChange={() => props.onChange({ ...filter, elders: !filter.elders })} />
        <span class="strong">{t('map_elders')}</span>
      </label>
      <div class="legend-levels">
        {LEVELS.map((level) => (
          <LevelBadge key={level} level={level} />
        ))}
      </div>
      <p class="muted legend-note">{t('map_eldersNote')}</p>
      <div class="strong">{t('nav_venues')}</div>
      {VENUE_KINDS.map((kind) => (
        <label key={kind} class="legend-row">
          <input type="checkbox" checked={filter.kinds.has(kind)} data-testid={`filter-kind-${kind}`} onChange={() => toggleKind(kind)} />
          <svg width="26" height="20" aria-hidden="true" class={`map-venue kind-${kind}${RISKY_VENUE_KINDS.has(kind) ? ' risky' : ''}`}>
            <circle cx="13" cy="10" r="7" class="map-venue-shape" />
          </svg>
          <span>
            {RISKY_VENUE_KINDS.has(kind) ? '⚠ ' : ''}
            {t(`vk_${kind}`)}
          </span>
        </label>
      ))}
      <label class="legend-row">
        <input type="checkbox" checked={filter.candidates} data-testid="filter-candidates" onChange={() => props.onChange({ ...filter, candidates: !filter.candidates })} />
        <svg width="26" height="20" aria-hidden="true" class="map-candidate">
          <circle cx="13" cy="10" r="7" class="map-candidate-shape" />
        </svg>
        <span>{t('cand_title')}</span>
      </label>
    </aside>
  )
}
