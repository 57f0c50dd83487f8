import type { JSX } from 'preact'
import { useState } from 'preact/hooks'
import { api, isMissingRoute } from '../api'
import { eldersStore } from '../data'
import { formatTime, useT } from '../i18n'
import { useStore } from '../store'
import { toast } from '../toast'
import { VENUE_KINDS, type VenueCandidate, type VenueKind } from '../types'

/**
 * Candidate venues from crowd detection (several elders, several days, one unknown place):
 * 转为场所 in one action (a name and kind are prefilled), or 忽略. Police read only.
 */
export function CandidateList(props: { candidates: readonly VenueCandidate[]; readOnly: boolean; onChanged(venueId?: string): void; onShow(c: VenueCandidate): void }): JSX.Element {
  const { t } = useT()
  const open = props.candidates.filter((c) => c.status === 'new')
  return (
    <section class="card candidate-list" data-testid="candidate-list">
      <h3>
        {t('cand_title')} · {open.length}
      </h3>
      {open.length === 0 && <p class="muted">{t('cand_none')}</p>}
      <ul>
        {open.map((c) => (
          <CandidateRow key={c.id} candidate={c} readOnly={props.readOnly} onChanged={props.onChanged} onShow={props.onShow} />
        ))}
      </ul>
    </section>
  )
}

function CandidateRow(props: { candidate: VenueCandidate; readOnly: boolean; onChanged(venueId?: string): void; onShow(c: VenueCandidate): void }): JSX.Element {
  const { t, lang } = useT()
  const elders = useStore(eldersStore)
  const c = props.candidate
  const [name, setName] = useState(`${t('cand_defaultName')} ${formatTime(lang, c.firstAt).slice(0, 5)}`)
  const [kind, setKind] = useState<VenueKind>('sales')
  const [busy, setBusy] = useState(false)

  const act = async (action: 'promote' | 'dismiss') => {
    setBusy(true)
    try {
      const path = `/venue-candidates/${encodeURIComponent(c.id)}/${action}`
      const result = action === 'promote' ? await api<{ venueId: string }>('POST', path, { name: name.trim(), kind }) : await api('POST', path)
      toast(action === 'promote' ? t('cand_promoted') : t('cand_dismissed'))
      props.onChanged(action === 'promote' ? (result as { venueId: string }).venueId : undefined)
    } catch (err) {
      toast(isMissingRoute(err) ? t('missingRoute') : `${t('loadFailed')}: ${(err as Error).message}`, 'error')
    } finally {
      setBusy(false)
    }
  }

  return (
    <li class="candidate-row" data-testid="candidate-row" data-candidate-id={c.id}>
      <button type="button" class="ghost candidate-where" onClick={() => props.onShow(c)} title={t('cand_show')}>
        ◌ {c.days.length}
        {t('cand_days')} · {c.elderIds.length}
        {t('cand_elders')}
      </button>
      <span class="muted">
        {c.elderIds.map((id) => elders.get(id)?.name ?? id).join('、')} · {formatTime(lang, c.lastAt)}
      </span>
      {!props.readOnly && (
        <div class="candidate-actions">
          <input value={name} aria-label={t('venue_name')} data-testid="candidate-name" onInput={(e) => setName((e.currentTarget as HTMLInputElement).value)} />
          <select value={kind} aria-label={t('kind')} data-testid="candidate-kind" onChange={(e) => setKind((e.currentTarget as HTMLSelectElement).value as VenueKind)}>
            {VENUE_KINDS.map((k) => (
              <option key={k} value={k}>
                {t(`vk_${k}`)}
              </option>
            ))}
          </select>
          <button type="button" class="primary" disabled={busy || name.trim() === ''} data-testid="candidate-promote" onClick={() => void act('promote')}>
            {t('cand_promote')}
          </button>
          <button type="button" class="ghost" disabled={busy} data-testid="candidate-dismiss" onClick={() => void act('dismiss')}>
            {t('cand_dismiss')}
          </button>
        </div>
      )}
    </li>
  )
}
