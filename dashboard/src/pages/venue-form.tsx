import type { JSX } from 'preact'
import { useState } from 'preact/hooks'
import { FieldNote } from '../field-note'
import { useT, type MessageKey } from '../i18n'
import { VENUE_KINDS, type Venue, type VenueKind } from '../types'

/**
 * The venue being created or edited. Numbers stay text while typed (a half-typed "31." is
 * not a number yet); the gateway validates and its field errors are shown beside the fields.
 */
export interface VenueDraft {
  id: string | null
  name: string
  kind: VenueKind
  address: string
  lat: string
  lon: string
  radiusM: string
  /** A polygon venue keeps its outline until the operator places a circle instead. */
  polygon: Array<[number, number]> | null
}

export const EMPTY_DRAFT: VenueDraft = { id: null, name: '', kind: 'sales', address: '', lat: '', lon: '', radiusM: '100', polygon: null }

export function draftOf(venue: Venue): VenueDraft {
  return {
    id: venue.id,
    name: venue.name,
    kind: venue.kind,
    address: venue.address ?? '',
    lat: venue.lat === null ? '' : String(venue.lat),
    lon: venue.lon === null ? '' : String(venue.lon),
    radiusM: venue.radiusM === null ? '' : String(venue.radiusM),
    polygon: venue.polygon,
  }
}

/** A typed number, or the text itself so the gateway names the field as invalid. */
const num = (text: string): number | string | undefined => (text.trim() === '' ? undefined : Number.isFinite(Number(text)) ? Number(text) : text)

/** The POST/PATCH body: the circle, or the polygon when no circle was placed. */
export function bodyOf(draft: VenueDraft): Record<string, unknown> {
  const geometry =
    draft.polygon !== null && draft.lat === '' && draft.lon === ''
      ? { polygon: draft.polygon }
      : { lat: num(draft.lat), lon: num(draft.lon), radiusM: num(draft.radiusM) }
  return { name: draft.name.trim(), kind: draft.kind, address: draft.address.trim() === '' ? null : draft.address.trim(), ...geometry }
}

function Field(props: { label: MessageKey; name: keyof VenueDraft; errors: ReadonlyMap<string, string>; children: JSX.Element }): JSX.Element {
  const { t } = useT()
  const error = props.errors.get(props.name)
  return (
    <label class={`form-field${error === undefined ? '' : ' invalid'}`}>
      <span>{t(props.label)}</span>
      {props.children}
      <FieldNote id={`venue-${props.name}-error`} text={error} />
    </label>
  )
}

export function VenueForm(props: {
  draft: VenueDraft
  errors: ReadonlyMap<string, string>
  busy: boolean
  onChange(draft: VenueDraft): void
  onSave(): void
  onDelete(): void
  onCancel(): void
}): JSX.Element {
  const { t } = useT()
  const { draft } = props
  // Deleting takes two clicks, like acknowledging an alert: a wall-screen touch can slip.
  const [confirming, setConfirming] = useState(false)
  const set = (patch: Partial<VenueDraft>) => props.onChange({ ...draft, ...patch })
  const text = (key: 'name' | 'address' | 'lat' | 'lon' | 'radiusM', inputMode?: 'decimal') => (
    <input value={draft[key]} inputMode={inputMode} data-testid={`venue-${key}`} aria-describedby={`venue-${key}-error`} onInput={(e) => set({ [key]: (e.currentTarget as HTMLInputElement).value })} />
  )
  return (
    <form
      class="card venue-form"
      data-testid="venue-form"
      onSubmit={(e) => {
        e.preventDefault()
        props.onSave()
      }}
    >
      <h3>{draft.id === null ? t('venue_new') : t('venue_edit')}</h3>
      <p class="muted">{t('venue_clickHint')}</p>
      <Field label="venue_name" name="name" errors={props.errors}>
        {text('name')}
      </Field>
      <Field label="kind" name="kind" errors={props.errors}>
        <select value={draft.kind} data-testid="venue-kind" onChange={(e) => set({ kind: (e.currentTarget as HTMLSelectElement).value as VenueKind })}>
          {VENUE_KINDS.map((k) => (
            <option key={k} value={k}>
              {t(`vk_${k}`)}
            </option>
          ))}
        </select>
      </Field>
      <Field label="address" name="address" errors={props.errors}>
        {text('address')}
      </Field>
      {draft.polygon !== null && draft.lat === '' && <p class="muted">{t('venue_polygon').replace('{n}', String(draft.polygon.length))}</p>}
      <div class="form-row">
        <Field label="venue_lat" name="lat" errors={props.errors}>
          {text('lat', 'decimal')}
        </Field>
        <Field label="venue_lon" name="lon" errors={props.errors}>
          {text('lon', 'decimal')}
        </Field>
        <Field label="venue_radius" name="radiusM" errors={props.errors}>
          {text('radiusM', 'decimal')}
        </Field>
      </div>
      {props.errors.get('body') !== undefined && <p class="form-error">{props.errors.get('body')}</p>}
      <div class="form-actions">
        <button type="submit" class="primary" disabled={props.busy} data-testid="venue-save">
          {t('save')}
        </button>
        <button type="button" class="ghost" onClick={props.onCancel}>
          {t('cancel')}
        </button>
        {draft.id !== null && (
          <button
            type="button"
            class={confirming ? 'warn' : 'danger'}
            disabled={props.busy}
            data-testid="venue-delete"
            onClick={() => (confirming ? props.onDelete() : setConfirming(true))}
            onBlur={() => setConfirming(false)}
          >
            {confirming ? t('ackConfirm') : t('delete')}
          </button>
        )}
      </div>
    </form>
  )
}
