import type { CommandAckStatus } from '../../../contract/device-events'

/**
 * The life of one voice prompt on one device:
 *
 *   queued ─send─▶ sent ─ack delivered─▶ delivered ─ack played─▶ played
 *      │             │                        └──ack failed──▶ failed
 *      └─────────────┴─ expiresAt passed, no ack ─▶ expired
 *   suppressed: written but held back by the per-elder rate limit (never sent)
 *
 * Acks only move a prompt forward. An ack may overtake the "sent" bookkeeping (the device
 * answers before the row is marked sent), so acks are accepted from queued too; a late ack
 * after expiry is news (the elder did hear it) and is accepted as well.
 */
export const voicePromptStatuses = ['queued', 'sent', 'delivered', 'played', 'failed', 'expired', 'suppressed'] as const
export type VoicePromptStatus = (typeof voicePromptStatuses)[number]

/** What a device's acknowledgement says (the contract's `cmd/ack` statuses). */
export type VoiceAckStatus = CommandAckStatus

/** Statuses an ack of `status` may move a prompt from. */
export function ackableFrom(status: VoiceAckStatus): VoicePromptStatus[] {
  return status === 'delivered' ? ['queued', 'sent', 'expired'] : ['queued', 'sent', 'delivered', 'expired']
}

/** Prompts the dispatcher still tries to get to the device. */
export const PENDING_STATUSES: readonly VoicePromptStatus[] = ['queued', 'sent']
