import type { JSX } from 'preact'
import { useState } from 'preact/hooks'
import { useT } from '../i18n'
import { useAdminT } from '../i18n-admin'
import type { Change } from './rules-draft'

/** What a save would change, old → new, with an optional note for the version history. */
export function SaveDialog(props: { changes: Change[]; saving: boolean; onConfirm: (note: string) => void; onCancel: () => void }): JSX.Element {
  const { t } = useT()
  const { a } = useAdminT()
  const [note, setNote] = useState('')
  return (
    <div class="modal-backdrop" onClick={(e) => e.target === e.currentTarget && props.onCancel()}>
      <div class="modal" role="dialog" aria-modal="true" aria-labelledby="save-title" data-testid="rules-confirm">
        <h2 id="save-title">{a('rules_confirmTitle')}</h2>
        <ChangeList changes={props.changes} />
        <label>
          {a('rules_note')}
          <input value={note} maxLength={500} onInput={(e) => setNote(e.currentTarget.value)} />
        </label>
        <div class="modal-actions">
          <button type="button" onClick={props.onCancel}>
            {t('cancel')}
          </button>
          <button type="button" class="primary" data-testid="rules-confirm-save" disabled={props.saving} onClick={() => props.onConfirm(note)}>
            {a('rules_confirm')}
          </button>
        </div>
      </div>
    </div>
  )
}

function ChangeList(props: { changes: Change[] }): JSX.Element {
  const { t, lang, rule } = useT()
  const { a } = useAdminT()
  const show = (change: Change, value: string): string => {
    if (change.key === 'enabled') return value === 'true' ? a('rules_enabled') : '✕'
    if (change.key === 'level') return t(`level_${value as 'red'}`)
    return change.spec === undefined ? value : `${value} ${a(`unit_${change.spec.unit}`)}`
  }
  return (
    <table class="data-table diff-table" data-testid="rules-diff">
      <tbody>
        {props.changes.map((c) => (
          <tr key={`${c.rule}/${c.key}`}>
            <td>{rule(c.rule)}</td>
            <td>{c.spec?.[lang] ?? (c.key === 'enabled' ? a('rules_enabled') : a('rules_level'))}</td>
            <td class="diff-from">{show(c, c.from)}</td>
            <td aria-hidden="true">→</td>
            <td class="diff-to">{show(c, c.to)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}
