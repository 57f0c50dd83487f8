import type { JSX } from 'preact'
import { useEffect, useState } from 'preact/hooks'
import { api, ApiError, isMissingRoute } from '../api'
import { onStreamChange } from '../data'
import { formatTime, useT } from '../i18n'
import type { Device, VoicePrompt, VoiceStatus } from '../types'

/**
 * 喊话: the operator types, the elder's watch speaks. The prompt's progress (queued → sent →
 * delivered → played, or failed/expired) arrives on the stream as 'voice' changes.
 */
export function VoiceBox(props: { elderId: string; devices: readonly Device[] }): JSX.Element {
  const { t, lang } = useT()
  const speakers = props.devices.filter((d) => d.kind === 'watch')
  const [deviceId, setDeviceId] = useState<string>('')
  const [text, setText] = useState('')
  const [prompts, setPrompts] = useState<VoicePrompt[]>([])
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const target = deviceId || speakers[0]?.id || ''

  useEffect(() => {
    api<{ items: VoicePrompt[] }>('GET', `/voice-prompts?elderId=${encodeURIComponent(props.elderId)}&limit=10`)
      .then((page) => setPrompts((known) => mergePrompts(page.items, known)))
      .catch(() => undefined)
    return onStreamChange((change) => {
      if (change.topic !== 'voice') return
      const prompt = (change.payload as { prompt?: VoicePrompt }).prompt
      if (prompt === undefined || prompt.elderId !== props.elderId) return
      setPrompts((known) => mergePrompts([prompt], known))
    })
  }, [props.elderId])

  const send = async (event: Event) => {
    event.preventDefault()
    if (target === '' || text.trim() === '') return
    setBusy(true)
    setError(null)
    try {
      const answer = await api<{ commandId: string }>('POST', `/devices/${encodeURIComponent(target)}/voice`, { text: text.trim() })
      const placeholder: VoicePrompt = { id: answer.commandId, elderId: props.elderId, deviceId: target, text: text.trim(), status: 'queued', createdAt: new Date().toISOString() }
      // The stream may already have reported this prompt (sent, even played) before the POST
      // answered: the placeholder only fills in when it has not, never overwrites it.
      setPrompts((known) => (known.some((p) => p.id === answer.commandId) ? known : mergePrompts([placeholder], known)))
      setText('')
    } catch (err) {
      setError(isMissingRoute(err) ? t('missingRoute') : err instanceof ApiError ? err.message : String(err))
    } finally {
      setBusy(false)
    }
  }

  return (
    <section class="card voice-box" data-testid="voice-box">
      <h3>{t('voice')}</h3>
      <form onSubmit={(e) => void send(e)}>
        {speakers.length > 1 && (
          <select value={target} onChange={(e) => setDeviceId(e.currentTarget.value)}>
            {speakers.map((d) => (
              <option value={d.id} key={d.id}>
                {d.id}
              </option>
            ))}
          </select>
        )}
        <textarea name="voice" rows={2} maxLength={200} placeholder={t('voicePlaceholder')} value={text} onInput={(e) => setText(e.currentTarget.value)} />
        <button type="submit" class="primary" disabled={busy || target === '' || text.trim() === ''} data-testid="voice-send">
          {t('send')}
        </button>
      </form>
      {error !== null && <p class="form-error">{error}</p>}
      <ul class="prompt-list">
        {prompts.slice(0, 6).map((p) => (
          <li key={p.id} data-testid="voice-prompt" data-status={p.status}>
            <span class={`vs vs-${p.status}`}>{t(`vs_${p.status}` as `vs_${VoiceStatus}`)}</span>
            <span class="prompt-text">{p.text}</span>
            <span class="muted">{formatTime(lang, p.createdAt)}</span>
          </li>
        ))}
      </ul>
    </section>
  )
}

/** Newest first; a stream update replaces the older copy of the same prompt. */
function mergePrompts(incoming: readonly VoicePrompt[], known: readonly VoicePrompt[]): VoicePrompt[] {
  const byId = new Map(known.map((p) => [p.id, p]))
  for (const p of incoming) byId.set(p.id, { ...byId.get(p.id), ...p })
  return [...byId.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt))
}
