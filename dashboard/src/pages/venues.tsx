import type { JSX } from 'preact'
import { useMemo, useState } from 'preact/hooks'
import { api, fieldErrorsOf } from '../api'
import { useT } from '../i18n'
import { roundCoord, type LatLon } from '../map/crs'
import { DraftLayer, type DrawKind } from '../map/draft-layer'
import { CandidateLayer, VenueLayer } from '../map/layers'
import { placesOf, useMapData } from '../map/map-data'
import { MapView, type Place } from '../map/map-view'
import { sessionStore } from '../session'
import { useStore } from '../store'
import { toast } from '../toast'
import type { Venue } from '../types'
import { CandidateList } from './venue-candidates'
import { bodyOf, draftOf, EMPTY_DRAFT, shapeOfDraft, withShape, type VenueDraft } from './venue-draft'
import { VenueForm } from './venue-form'

/**
 * 场所: the venue list with a create/edit form beside a map — click the map to place a circle's
 * centre, or draw a polygon or a circle (leaflet-geoman), and drag the outline to change it —
 * and candidate venues to promote. Police see, never edit: no form, no drawing, no editable outline.
 */
export function VenuesPage(): JSX.Element {
  const { t } = useT()
  const session = useStore(sessionStore)
  const readOnly = session?.user.role === 'police'
  const { data, reload } = useMapData()
  const [draft, setDraft] = useState<VenueDraft | null>(null)
  const [errors, setErrors] = useState<ReadonlyMap<string, string>>(new Map())
  const [busy, setBusy] = useState(false)
  const [focus, setFocus] = useState<Place | null>(null)
  const [drawing, setDrawing] = useState<DrawKind | null>(null)

  const venues = data?.venues ?? []
  const candidates = useMemo(() => (data?.candidates ?? []).filter((c) => c.status === 'new'), [data])
  const fit = useMemo(() => placesOf(venues, candidates), [data])
  // The venue being edited is drawn by the draft layer (editable), not among the others.
  const shown = useMemo(() => venues.filter((v) => v.id !== draft?.id), [data, draft?.id])
  const shape = draft === null ? null : shapeOfDraft(draft)

  const edit = (next: VenueDraft | null) => {
    setDraft(next)
    setErrors(new Map())
    setDrawing(null)
  }
  const pick = (venue: Venue) => {
    if (readOnly) return
    edit(draftOf(venue))
    if (venue.lat !== null && venue.lon !== null) setFocus({ lat: venue.lat, lon: venue.lon, radiusM: venue.radiusM ?? 0 })
    else if (venue.polygon?.[0] !== undefined) setFocus({ lat: venue.polygon[0][0], lon: venue.polygon[0][1] })
  }
  // A click places a circle's centre; a polygon is changed by its corners (or replaced by drawing).
  const place = (p: LatLon) => {
    if (readOnly || drawing !== null || shape?.kind === 'polygon') return
    // The radius stays as typed: a half-typed or wrong one is the gateway's to name.
    setDraft({ ...(draft ?? EMPTY_DRAFT), lat: roundCoord(p.lat).toFixed(6), lon: roundCoord(p.lon).toFixed(6) })
  }

  const save = async () => {
    if (draft === null) return
    setBusy(true)
    try {
      const body = bodyOf(draft)
      if (draft.id === null) await api('POST', '/venues', body)
      else await api('PATCH', `/venues/${encodeURIComponent(draft.id)}`, body)
      toast(t('saved'))
      edit(null)
      reload()
    } catch (err) {
      const fields = fieldErrorsOf(err)
      setErrors(fields.size > 0 ? fields : new Map([['body', (err as Error).message]]))
    } finally {
      setBusy(false)
    }
  }
  const remove = async () => {
    if (draft?.id == null) return
    setBusy(true)
    try {
      await api('DELETE', `/venues/${encodeURIComponent(draft.id)}`)
      toast(t('deleted'))
      edit(null)
      reload()
    } catch (err) {
      toast(`${t('loadFailed')}: ${(err as Error).message}`, 'error')
    } finally {
      setBusy(false)
    }
  }

  if (data === null) return <p class="muted">…</p>
  return (
    <section class="venues-page">
      <div class="map-main">
        <MapView config={data.config} fit={fit} focus={focus} placing={!readOnly && shape?.kind !== 'polygon'} drawable={!readOnly} onMapClick={place}>
          <VenueLayer venues={shown} onSelect={pick} />
          <CandidateLayer candidates={candidates} />
          {!readOnly && draft !== null && (
            <DraftLayer shape={shape} drawing={drawing} onShape={(s) => setDraft((d) => withShape(d ?? EMPTY_DRAFT, s))} onDrawEnd={() => setDrawing(null)} />
          )}
        </MapView>
      </div>
      <div class="venues-side">
        {readOnly && <p class="muted">{t('readOnly')}</p>}
        {data.failed && <p class="form-error">{t('loadFailed')}</p>}
        {!readOnly &&
          (draft === null ? (
            <button type="button" class="primary" data-testid="venue-new" onClick={() => edit(EMPTY_DRAFT)}>
              ＋ {t('venue_new')}
            </button>
          ) : (
            <VenueForm
              draft={draft}
              errors={errors}
              busy={busy}
              drawing={drawing}
              onDraw={setDrawing}
              onChange={setDraft}
              onSave={() => void save()}
              onDelete={() => void remove()}
              onCancel={() => edit(null)}
            />
          ))}
        <section class="card">
          <h3>
            {t('nav_venues')} · {venues.length}
          </h3>
          {venues.length === 0 && <p class="muted">{t('noData')}</p>}
          <ul class="venue-list" data-testid="venue-list">
            {venues.map((v) => (
              <li key={v.id} class={`venue-row${v.id === draft?.id ? ' selected' : ''}`} data-testid="venue-row" data-venue-id={v.id}>
                <span class={`kind-chip kind-${v.kind}${v.risky ? ' risky' : ''}`}>
                  {v.risky ? '⚠ ' : ''}
                  {t(`vk_${v.kind}`)}
                </span>
                <span class="strong">{v.name}</span>
                <span class="muted">{v.polygon !== null ? t('venue_polygon').replace('{n}', String(v.polygon.length)) : `${v.radiusM ?? '—'} m`}</span>
                {!readOnly && (
                  <button type="button" class="ghost" data-testid="venue-edit" onClick={() => pick(v)}>
                    {t('edit')}
                  </button>
                )}
              </li>
            ))}
          </ul>
        </section>
        <CandidateList candidates={candidates} readOnly={readOnly} onChanged={reload} onShow={(c) => setFocus({ lat: c.lat, lon: c.lon, radiusM: c.radiusM })} />
      </div>
    </section>
  )
}
