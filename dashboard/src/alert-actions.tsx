import type { JSX } from 'preact'
import { useEffect, useState } from 'preact/hooks'
import { api, ApiError, isMissingRoute } from './api'
import { applyAlertUpdates } from './data'
import { useT } from './i18n'
import { toast } from './toast'
import { DISPOSITIONS, type Alert, type Disposition } from './types'

/**
 * Lifecycle actions on one alert (issue 4 routes). The answer of each action is applied at
 * once, so the board does not wait for the stream's echo (the echo then changes nothing).
 */
export async function alertAction(alert: Alert, action: 'ack' | 'assign' | 'resolve', body?: unknown): Promise<boolean> {
  try {
    const updated = await api<Alert>('POST', `/alerts/${encodeURIComponent(alert.id)}/${action}`, body)
    applyAlertUpdates([updated])
    return true
  } catch (err) {
    const message = isMissingRoute(err) ? 'missing route' : err instanceof ApiError ? `${err.code}: ${err.message}` : String(err)
    toast(`${action} — ${message}`, 'error')
    return false
  }
}

const ARM_MS = 4_000

/** Acknowledge takes two clicks: the first arms the button, the second (within 4 s) sends. */
export function AckButton(props: { alert: Alert }): JSX.Element {
  const { t } = useT()
  const [armed, setArmed] = useState(false)
  const [busy, setBusy] = useState(false)
  useEffect(() => {
    if (!armed) return
    const timer = setTimeout(() => setArmed(false), ARM_MS)
    return () => clearTimeout(timer)
  }, [armed])
  const click = async () => {
    if (!armed) return setArmed(true)
    setBusy(true)
    await alertAction(props.alert, 'ack')
    setBusy(false)
    setArmed(false)
  }
  return (
    <button type="button" class={armed ? 'warn' : 'primary'} disabled={busy} data-testid="ack" onClick={() => void click()}>
      {armed ? t('ackConfirm') : t('ack')}
    </button>
  )
}

export function ResolveDialog(props: { alert: Alert; onClose(): void }): JSX.Element {
  const { t, rule } = useT()
  const [disposition, setDisposition] = useState<Disposition | null>(null)
  const [note, setNote] = useState('')
  const [busy, setBusy] = useState(false)
  const submit = async (event: Event) => {
    event.preventDefault()
    if (disposition === null) return
    setBusy(true)
    const ok = await alertAction(props.alert, 'resolve', { disposition, ...(note.trim() ? { note: note.trim() } : {}) })
    setBusy(false)
    if (ok) props.onClose()
  }
  return (
    <div class="modal-backdrop" role="dialog" onClick={(e) => e.target === e.currentTarget && props.onClose()}>
      <form class="modal" aria-modal="true" data-testid="resolve-dialog" onSubmit={(e) => void submit(e)}>
        <h2>
          {t('resolve')} · {rule(props.alert.rule)}
        </h2>
        <fieldset>
          <legend>{t('disposition')}</legend>
          {DISPOSITIONS.map((d) => (
            <label class="radio" key={d}>
              <input type="radio" name="disposition" value={d} checked={disposition === d} onChange={() => setDisposition(d)} />
              {t(`disp_${d}`)}
            </label>
          ))}
        </fieldset>
        <label>
          {t('note')}
          <textarea name="note" rows={3} maxLength={2000} value={note} onInput={(e) => setNote(e.currentTarget.value)} />
        </label>
        <div class="modal-actions">
          <button type="button" class="ghost" onClick={props.onClose}>
            {t('cancel')}
          </button>
          <button type="submit" class="primary" disabled={busy || disposition === null} data-testid="resolve-submit">
            {t('resolve')}
          </button>
        </div>
      </form>
    </div>
  )
}

export function AssignDialog(props: { alert: Alert; me: { id: string; username: string }; onClose(): void }): JSX.Element {
  const { t } = useT()
  const [users, setUsers] = useState<Array<{ id: string; username: string }>>([])
  useEffect(() => {
    // Only admins may list users; others assign to themselves.
    api<{ items: Array<{ id: string; username: string; role: string }> }>('GET', '/users?limit=200')
      .then((page) => setUsers(page.items.filter((u) => u.role !== 'police')))
      .catch(() => setUsers([]))
  }, [])
  const assign = async (userId: string) => {
    if (await alertAction(props.alert, 'assign', { userId })) props.onClose()
  }
  return (
    <div class="modal-backdrop" onClick={(e) => e.target === e.currentTarget && props.onClose()}>
      <div class="modal" role="dialog" aria-modal="true" data-testid="assign-dialog">
        <h2>{t('assign')}</h2>
        <button type="button" class="primary" onClick={() => void assign(props.me.id)}>
          {t('assignToMe')} ({props.me.username})
        </button>
        {users
          .filter((u) => u.id !== props.me.id)
          .map((u) => (
            <button type="button" key={u.id} onClick={() => void assign(u.id)}>
              {u.username}
            </button>
          ))}
        <div class="modal-actions">
          <button type="button" class="ghost" onClick={props.onClose}>
            {t('cancel')}
          </button>
        </div>
      </div>
    </div>
  )
}
