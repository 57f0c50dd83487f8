import type { JSX } from 'preact'
import { useState } from 'preact/hooks'
import { FieldNote } from '../field-note'
import { useT, type MessageKey } from '../i18n'
import type { DrawKind } from '../map/draft-layer'
import { VENUE_KINDS, type VenueKind } from '../types'
import type { VenueDraft } from './venue-draft'

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

/**
 * The create/edit form beside the map: name, kind, address, the circle as numbers, and the
 * drawing tools (a polygon or a circle drawn on the map; the outline shown is editable there).
 */
export function VenueForm(props: {
  draft: VenueDraft
  errors: ReadonlyMap<string, string>
  busy: boolean
  drawing: DrawKind | null
  onDraw(kind: DrawKind | null): void
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
      <DrawTools drawing={props.drawing} onDraw={props.onDraw} />
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

/** Draw a polygon or a circle on the map, or stop; the hint says what the next click does. */
function DrawTools(props: { drawing: DrawKind | null; onDraw(kind: DrawKind | null): void }): JSX.Element {
  const { t } = useT()
  const hint: MessageKey = props.drawing === 'Polygon' ? 'venue_drawPolygonHint' : props.drawing === 'Circle' ? 'venue_drawCircleHint' : 'venue_shapeHint'
  return (
    <div class="venue-draw">
      <div class="form-actions">
        <button type="button" class={props.drawing === 'Polygon' ? 'primary' : ''} data-testid="venue-draw-polygon" onClick={() => props.onDraw('Polygon')}>
          ⬠ {t('venue_drawPolygon')}
        </button>
        <button type="button" class={props.drawing === 'Circle' ? 'primary' : ''} data-testid="venue-draw-circle" onClick={() => props.onDraw('Circle')}>
          ◯ {t('venue_drawCircle')}
        </button>
        {props.drawing !== null && (
          <button type="button" class="ghost" data-testid="venue-draw-cancel" onClick={() => props.onDraw(null)}>
            {t('venue_drawCancel')}
          </button>
        )}
      </div>
      <p class="muted" data-testid="venue-draw-hint">
        {t(hint)}
      </p>
    </div>
  )
}
