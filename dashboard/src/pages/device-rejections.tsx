import type { JSX } from 'preact'
import { useEffect, useState } from 'preact/hooks'
import { api } from '../api'
import { formatTime, useT, type MessageKey } from '../i18n'
import type { DeadLetter, Device } from '../types'

/** The gateway's stable reject codes with words in i18n-devices.ts; any other code is shown as is. */
const KNOWN_REASONS = new Set(['oversize', 'not_json', 'empty', 'bad_shape', 'out_of_range', 'bad_ts', 'future_ts', 'too_many', 'bad_status'])

export function reasonLabel(t: (key: MessageKey) => string, reason: string): string {
  return KNOWN_REASONS.has(reason) ? t(`rr_${reason}` as MessageKey) : reason
}

/** How many letters the expanded row fetches: evidence for "what is this device sending?", not an archive. */
const LETTERS_SHOWN = 20
/** Payloads are device text of up to EG_DEADLETTER_PAYLOAD_BYTES; the cell shows a prefix, the title all. */
const PAYLOAD_PREVIEW = 120

/**
 * Rejected-message count (拒收消息): highlighted when above zero, the last reason and time in
 * the title, and a toggle for the device's kept dead letters (DeadLettersRow).
 */
export function RejectedCell(props: { device: Device; open: boolean; onToggle: () => void }): JSX.Element {
  const { t, lang } = useT()
  const { count, lastAt, lastReason } = props.device.rejected
  if (count === 0) return <span class="muted">0</span>
  const title = `${t('rej_last')}: ${lastReason === null ? '—' : reasonLabel(t, lastReason)} · ${formatTime(lang, lastAt)}`
  return (
    <button
      type="button"
      class="ghost rejected-count"
      title={title}
      aria-expanded={props.open}
      aria-label={`${t('rejected')} ${count} — ${props.open ? t('rej_hide') : t('rej_show')}`}
      data-testid="rejected-count"
      onClick={props.onToggle}
    >
      {count.toLocaleString(lang === 'zh' ? 'zh-CN' : 'en-GB')} {props.open ? '▾' : '▸'}
    </button>
  )
}

/** The device's newest kept dead letters, fetched when the row is opened. */
export function DeadLettersRow(props: { deviceId: string; colSpan: number }): JSX.Element {
  const { t, lang } = useT()
  const [letters, setLetters] = useState<DeadLetter[] | null>(null)
  const [failed, setFailed] = useState(false)

  useEffect(() => {
    let live = true
    api<{ items: DeadLetter[] }>('GET', `/dead-letters?deviceId=${encodeURIComponent(props.deviceId)}&limit=${LETTERS_SHOWN}`).then(
      (res) => live && setLetters(res.items),
      () => live && setFailed(true),
    )
    return () => {
      live = false
    }
  }, [props.deviceId])

  let body: JSX.Element
  if (failed) body = <p class="muted">{t('loadFailed')}</p>
  else if (letters === null) body = <p class="muted">…</p>
  else if (letters.length === 0) body = <p class="muted">{t('rej_none')}</p>
  else
    body = (
      <table class="data-table dead-letters">
        <thead>
          <tr>
            <th>{t('rej_time')}</th>
            <th>{t('rej_reason')}</th>
            <th>{t('rej_payload')}</th>
          </tr>
        </thead>
        <tbody>
          {letters.map((l) => (
            <tr key={l.id} data-testid="dead-letter">
              <td>{formatTime(lang, l.receivedAt)}</td>
              <td title={l.reason}>
                {reasonLabel(t, l.reason)}
                <div class="muted">{l.message}</div>
              </td>
              <td class="mono payload" title={l.payload}>
                {l.payload.length > PAYLOAD_PREVIEW ? `${l.payload.slice(0, PAYLOAD_PREVIEW)}…` : l.payload}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    )
  return (
    <tr class="dead-letters-row" data-testid="dead-letters">
      <td colSpan={props.colSpan}>
        {body}
        <p class="muted">{t('rej_kept')}</p>
      </td>
    </tr>
  )
}
