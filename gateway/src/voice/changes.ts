import { appendChanges, type Change, type ChangeDraft } from '../stream/change-log-store'
import type { Queryable } from '../storage/db'
import type { VoicePrompt, VoiceTransition } from './voice-store'
import type { VoicePromptStatus } from './status'

/**
 * Voice prompts on the live stream: every status change of a prompt is one change-log entry
 * (topic 'voice', entity = prompt id) written in the transaction that made the change.
 * The payload carries the whole prompt, so the dispatcher can send a freshly queued prompt
 * straight from the entry, without reading it back (the hot path after an alert).
 */
export interface VoiceChangePayload {
  previousStatus: VoicePromptStatus | null
  prompt: Omit<VoicePrompt, 'tenantId'>
}

export function promptView(prompt: VoicePrompt): Omit<VoicePrompt, 'tenantId'> {
  const { tenantId: _tenantId, ...view } = prompt
  return view
}

/** The change-log entries of these transitions, to append (appendChanges, or the alert transaction). */
export function voiceChangeDrafts(transitions: readonly VoiceTransition[]): ChangeDraft[] {
  return transitions.map((t) => {
    const payload: VoiceChangePayload = { previousStatus: t.previousStatus, prompt: promptView(t.prompt) }
    return { tenantId: t.prompt.tenantId, topic: 'voice', entityId: t.prompt.id, payload: { ...payload } }
  })
}

export async function appendVoiceChanges(tx: Queryable, transitions: readonly VoiceTransition[]): Promise<Change[]> {
  return transitions.length === 0 ? [] : appendChanges(tx, voiceChangeDrafts(transitions))
}

/** The queued prompt a change-log entry announces, if it is one (else undefined). */
export function queuedPromptOf(change: Change): VoicePrompt | undefined {
  if (change.topic !== 'voice') return undefined
  const p = (change.payload as Partial<VoiceChangePayload>).prompt
  if (typeof p !== 'object' || p === null || p.status !== 'queued') return undefined
  if (typeof p.id !== 'string' || typeof p.deviceId !== 'string' || typeof p.text !== 'string' || typeof p.expiresAt !== 'string') return undefined
  return { ...p, tenantId: change.tenantId }
}
