import { randomUUID } from 'node:crypto'
import type { AlertEvent, EffectPlanner } from '../alerts/effects'
import type { ChangeDraft } from '../stream/change-log-store'
import { levelRank } from '../../../contract/levels'
import type { LatestFix } from '../intake/latest-fixes'
import type { Logger } from '../logger'
import { DEFAULT_NOTICE_LANGUAGE, type NoticeLanguage } from '../registry/types'
import type { Queryable } from '../storage/db'
import { renderCap, validateCap } from './cap'
import { CONTENT_TYPES, composeNotice, receiptUrlFor, renderJsonNotice, type NoticeAudience, type NoticeContent, type NoticeDraft, type NoticeFormat } from './notice-content'
import { evidenceFix, newestFix, placeOf, venueContaining, type NoticePlace } from './notice-location'
import { venuesAround } from './notice-place-store'
import { alertElder } from '../alerts/alert-elder-store'
import { insertedNotice, insertNoticesWrite, type NewNotice, type NoticeContext } from './notice-store'

/**
 * Plans police and family notices inside the alert's transaction (the outbox: DESIGN §5
 * "orange — also notices to family and grid worker … red — also a police notice to the
 * elder's station at once"). The body is rendered here and stored, so every retry sends the
 * same bytes. A notice that cannot be sent (no station, a contact without a secret, a CAP
 * document missing a required element) is stored as failed with the reason — shown loudly
 * on the board, never skipped — and never rolls back the alert itself.
 */
export interface NoticePlannerOptions {
  /** Planning time (sentAt, created_at, deadline); the wall clock by default. */
  clock?: () => number
  /** Deadline after which an undelivered notice is failed; 24 h by default. */
  maxAgeMs?: number
  /** Public base URL of the gateway for receiptUrl (may be known only after listen). */
  publicUrl?: string | (() => string | undefined)
  /** CAP <sender>; `eldergate.<tenantId>` by default. */
  capSender?: (tenantId: string) => string
  /** EG_TZ: local times in notices are in this zone, with its offset. Asia/Shanghai (EG_TZ's default) by default. */
  timeZone?: string
  /** EG_OPERATOR_CONTACT: CAP <contact>, the operating centre's number. */
  operatorContact?: string | undefined
  /** The newest fix intake has seen for an elder, before storage has it (intake/latest-fixes.ts). */
  latestFix?: (tenantId: string, elderId: string) => LatestFix | undefined
  logger?: Logger
}

export const DEFAULT_NOTICE_MAX_AGE_MS = 24 * 3_600_000
const REACHING: ReadonlySet<AlertEvent['change']> = new Set(['opened', 'raised', 'escalated'])

/**
 * Which notices a change calls for. An alert reaching red gets a police notice; one reaching
 * orange or above for the first time gets family notices (red includes orange's actions, so
 * an SOS opened at red tells the family too, while orange escalated to red does not tell
 * them twice). Reopened alerts are not re-announced: the first notices carry the case.
 */
export function noticesCalledFor(event: AlertEvent): { police: boolean; family: boolean } {
  if (!REACHING.has(event.change)) return { police: false, family: false }
  const before = event.previousLevel === null ? -1 : levelRank(event.previousLevel)
  const now = levelRank(event.alert.level)
  const red = levelRank('red')
  const orange = levelRank('orange')
  return { police: now >= red && before < red, family: now >= orange && before < orange }
}

export function createNoticePlanner(opts: NoticePlannerOptions = {}): EffectPlanner {
  const clock = opts.clock ?? Date.now
  const maxAgeMs = opts.maxAgeMs ?? DEFAULT_NOTICE_MAX_AGE_MS
  const baseUrl = () => (typeof opts.publicUrl === 'function' ? opts.publicUrl() : opts.publicUrl)
  const capSender = opts.capSender ?? ((tenantId: string) => `eldergate.${tenantId}`)
  const timeZone = opts.timeZone ?? 'Asia/Shanghai'

  return async (tx, event) => {
    const called = noticesCalledFor(event)
    if (!called.police && !called.family) return []
    const { alert } = event
    const context = (await alertElder(tx, alert.tenantId, alert.elderId))?.notice ?? null
    if (context === null) {
      opts.logger?.error({ alertId: alert.id, elderId: alert.elderId }, 'notices not planned: elder not found')
      return []
    }
    const createdAt = new Date(clock())
    const rows: NewNotice[] = []
    const place = await placeNow(tx, alert.tenantId, alert.elderId, alert.evidence, context, opts.latestFix)
    const draft = (audience: NoticeAudience): NoticeDraft => {
      const noticeId = randomUUID()
      return {
        noticeId,
        tenantId: alert.tenantId,
        alertId: alert.id,
        elderId: alert.elderId,
        audience,
        level: alert.level,
        rule: alert.rule,
        count: alert.count,
        firstAt: alert.firstAt,
        lastAt: alert.lastAt,
        elder: { name: context.elder.name, address: context.elder.address, phone: context.elder.phone },
        evidence: alert.evidence,
        sentAt: createdAt.toISOString(),
        receiptUrl: receiptUrlFor(baseUrl(), noticeId),
      }
    }
    const compose = (d: NoticeDraft, language: NoticeLanguage) => composeNotice(d, place, context.elder.home, language, timeZone)
    const store: StoreNotice = async (content, target, failedReason) => {
      let body = renderJsonNotice(content)
      let reason = failedReason
      if (target.format === 'cap') {
        body = renderCap(content, { sender: capSender(alert.tenantId), fallbackRadiusM: context.elder.home.radiusM, operatorContact: opts.operatorContact })
        const problems = validateCap(body)
        if (problems.length > 0) reason ??= `CAP 1.2 validation failed: ${problems.join('; ')}`
      }
      const row: NewNotice = {
        id: content.noticeId,
        tenantId: alert.tenantId,
        alertId: alert.id,
        elderId: alert.elderId,
        audience: content.audience,
        policeStationId: target.policeStationId,
        contactIndex: target.contactIndex,
        targetUrl: target.url,
        format: target.format,
        level: alert.level,
        body,
        contentType: CONTENT_TYPES[target.format],
        createdAt,
        deadlineAt: new Date(createdAt.getTime() + maxAgeMs),
        failedReason: reason,
      }
      // Written with the transaction's last statement (alert-transaction.ts): the row is known here.
      rows.push(row)
      const notice = insertedNotice(row)
      if (reason !== undefined) {
        opts.logger?.error({ noticeId: notice.id, alertId: alert.id, audience: notice.audience, reason }, 'notice cannot be sent')
      }
      return { tenantId: alert.tenantId, topic: 'notice', entityId: notice.id, payload: { change: 'planned', notice } }
    }

    const changes: ChangeDraft[] = []
    if (called.police) changes.push(await planPolice(context, draft('police'), compose, store))
    if (called.family) {
      for (const [index, contact] of context.elder.contacts.entries()) {
        if (!contact.webhookUrl) continue
        const content = compose({ ...draft('family'), recipient: { name: contact.name, relation: contact.relation ?? null } }, contact.language ?? DEFAULT_NOTICE_LANGUAGE)
        const target = { url: contact.webhookUrl, format: 'json' as const, policeStationId: null, contactIndex: index }
        changes.push(await store(content, target, contact.secret ? undefined : 'contact has a webhook but no secret to sign it'))
      }
    }
    return { changes, writes: rows.length === 0 ? [] : [insertNoticesWrite(rows)] }
  }
}

interface NoticeTarget {
  url: string
  format: NoticeFormat
  policeStationId: string | null
  contactIndex: number | null
}

/** Renders, checks and stores one notice; returns its change-log entry, to append. */
type StoreNotice = (content: NoticeContent, target: NoticeTarget, failedReason?: string) => Promise<ChangeDraft>

function planPolice(context: NoticeContext, draft: NoticeDraft, compose: (d: NoticeDraft, language: NoticeLanguage) => NoticeContent, store: StoreNotice): Promise<ChangeDraft> {
  const station = context.station
  if (station === null) {
    // Kept as a failed row with the body that would have gone: an operator can phone it in.
    return store(compose(draft, DEFAULT_NOTICE_LANGUAGE), { url: '', format: 'json', policeStationId: null, contactIndex: null }, 'no police station assigned')
  }
  return store(
    compose({ ...draft, station: { id: station.id, name: station.name } }, station.language),
    { url: station.webhookUrl, format: station.format, policeStationId: station.id, contactIndex: null },
  )
}

/**
 * Where the elder is now, for every notice of this change alike: the newest of the evidence's
 * fix, intake's latest and the stored one (notice-location.ts), and the venue it lies in.
 */
async function placeNow(
  tx: Queryable,
  tenantId: string,
  elderId: string,
  evidence: Record<string, unknown>,
  context: NoticeContext,
  latestFix: NoticePlannerOptions['latestFix'],
): Promise<NoticePlace> {
  const fix = newestFix([latestFix?.(tenantId, elderId), context.storedFix, evidenceFix(evidence)])
  const venue = fix ? venueContaining(await venuesAround(tx, tenantId, fix.lat, fix.lon), fix.lat, fix.lon) : null
  return placeOf(fix, context.elder.home, venue)
}

