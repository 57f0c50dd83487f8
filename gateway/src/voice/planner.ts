import { randomUUID } from 'node:crypto'
import type { AlertEvent, EffectPlanner } from '../alerts/effects'
import { levelRank } from '../../../contract/levels'
import { voiceChangeDrafts } from './changes'
import { voicePromptText } from './templates'
import { alertElder } from '../alerts/alert-elder-store'
import type { Queryable } from '../storage/db'
import { countAlertOccasions, insertedPrompt, insertPromptsWrite, type NewVoicePrompt, type VoiceTransition } from './voice-store'

/**
 * DESIGN §5 "levels and actions": from yellow up, an alert speaks to the elder through their
 * own devices. Runs inside the alert change's transaction (effects.ts, the outbox): the rows
 * it plans are written at the transaction's end and commit or roll back with the alert, and
 * the dispatcher sends them after commit.
 */
export interface VoicePlannerOptions {
  /** How long a prompt may wait for its device (offline, not yet subscribed) before it is stale. */
  ttlMs?: number
  /** Alert prompts per elder per hour; more are written as 'suppressed' (visible, not spoken). Red never is. */
  maxPerHour?: number
  /** Wall clock: the row's created_at. */
  clock?: () => number
  /** The tenant's rule clock (EG_CLOCK): the hourly limit and the expiry count on it, like escalation. */
  ruleClock?: (tenantId: string) => number
}

export const DEFAULT_VOICE_TTL_MS = 30 * 60_000
export const DEFAULT_MAX_PROMPTS_PER_HOUR = 3
const HOUR_MS = 3_600_000

/** A new alert, a higher level, an escalation: the moments worth interrupting the elder for. */
const PROMPTING_CHANGES: ReadonlySet<AlertEvent['change']> = new Set(['opened', 'raised', 'escalated'])

export function createVoicePlanner(opts: VoicePlannerOptions = {}): EffectPlanner {
  const ttlMs = opts.ttlMs ?? DEFAULT_VOICE_TTL_MS
  const maxPerHour = opts.maxPerHour ?? DEFAULT_MAX_PROMPTS_PER_HOUR
  const clock = opts.clock ?? Date.now
  const ruleClock = opts.ruleClock ?? (() => clock())

  /** Occasions planned in a transaction and not yet written (deferred): the count must see them. */
  const plannedOccasions = new WeakMap<Queryable, Map<string, number>>()

  return async (tx, event) => {
    const { alert } = event
    if (!PROMPTING_CHANGES.has(event.change) || levelRank(alert.level) < levelRank('yellow')) return []
    const elder = await alertElder(tx, alert.tenantId, alert.elderId)
    if (elder === null) return []
    const { deviceIds } = elder
    if (deviceIds.length === 0) return []

    const now = ruleClock(alert.tenantId)
    let planned = plannedOccasions.get(tx)
    if (planned === undefined) plannedOccasions.set(tx, (planned = new Map()))
    const elderKey = `${alert.tenantId}/${alert.elderId}`
    const earlier = planned.get(elderKey) ?? 0
    // DESIGN §5: red is never kept quiet by the limit — an SOS, a fall, an escalation to red
    // speaks however many prompts the hour has had. It still counts against the limit.
    const status =
      alert.level !== 'red' && earlier + (await countAlertOccasions(tx, alert.tenantId, alert.elderId, new Date(now - HOUR_MS))) >= maxPerHour ? 'suppressed' : 'queued'
    if (status === 'queued') planned.set(elderKey, earlier + 1)
    const { text, lang } = voicePromptText(alert.rule, alert.level, elder.language, alert.evidence)
    const occasionId = randomUUID()
    const prompts: NewVoicePrompt[] = deviceIds.map((deviceId) => ({
      id: randomUUID(),
      tenantId: alert.tenantId,
      elderId: alert.elderId,
      deviceId,
      alertId: alert.id,
      occasionId,
      origin: 'alert',
      requestedBy: null,
      text,
      lang,
      priority: alert.level === 'red' ? 'high' : 'normal',
      status,
      expiresAt: new Date(now + ttlMs),
      createdAt: new Date(clock()),
      ruleAt: new Date(now),
    }))
    // Written with the transaction's last statement (alert-transaction.ts): the rows are known here.
    const transitions: VoiceTransition[] = prompts.map((p) => ({ prompt: insertedPrompt(p), previousStatus: null }))
    return { changes: voiceChangeDrafts(transitions), writes: [insertPromptsWrite(prompts)] }
  }
}
