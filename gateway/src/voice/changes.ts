import { appendChange, type Change } from '../stream/change-log-store'
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

export async function appendVoiceChanges(tx: Queryable, transitions: readonly VoiceTransition[]): Promise<Change[]> {
  const changes: Change[] = []
  for (const t of transitions) {
    const payload: VoiceChangePayload = { previousStatus: t.previousStatus, prompt: promptView(t.prompt) }
    changes.push(await appendChange(tx, t.prompt.tenantId, 'voice', t.prompt.id, { ...payload }))
  }
  return changes
}

/** The queued prompt a change-log entry announces, if it is one (else undefined). */
export function queuedPromptOf(change: Change): VoicePrompt | undefined {
  if (change.topic !== 'voice') return undefined
  const p = (change.payload as Partial<VoiceChangePayload>).prompt
  if (typeof p !== 'object' || p === null || p.status !== 'queued') return undefined
  if (typeof p.id !== 'string' || typeof p.deviceId !== 'string' || typeof p.text !== 'string' || typeof p.expiresAt !== 'string') return undefined
  return { ...p, tenantId: change.tenantId }
}
