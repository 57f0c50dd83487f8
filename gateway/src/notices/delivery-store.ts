import type { Contact } from '../registry/types'
import type { Queryable } from '../storage/db'
import { toNotice, type Notice, type NoticeRow } from './notice-store'

/**
 * The outbox queries of notice delivery (storage layer). These run across tenants on
 * purpose: the deliverer is a worker draining one table, not a request on behalf of a user.
 *
 * Claiming is a lease, not a held lock: a claim moves next_attempt_at past the HTTP timeout in
 * one statement (`FOR UPDATE SKIP LOCKED`, so two workers never claim the same row), and the
 * POST happens outside any transaction — PGlite has one connection, and an alert must never
 * wait for a police server. An outcome is written only if the row is still the one claimed
 * (same attempts, still pending); a worker that died mid-send leaves a lease that expires,
 * and the notice is sent again with the same Idempotency-Key.
 */
export interface ClaimedNotice extends Notice {
  body: string
}

export async function claimDueNotices(db: Queryable, now: Date, leaseUntil: Date, limit: number): Promise<ClaimedNotice[]> {
  const rows = await db.query<NoticeRow>(
    `UPDATE notices SET next_attempt_at = $2
     WHERE id IN (SELECT id FROM notices WHERE status = 'pending' AND next_attempt_at <= $1
                  ORDER BY next_attempt_at LIMIT $3 FOR UPDATE SKIP LOCKED)
       AND status = 'pending'
     RETURNING *`,
    [now, leaseUntil, limit],
  )
  return rows.map((r) => ({ ...toNotice(r), body: r.body }))
}

export type AttemptOutcome =
  | { kind: 'delivered'; at: Date; httpStatus: number }
  | { kind: 'retry'; error: string; httpStatus: number | null; nextAttemptAt: Date }
  | { kind: 'failed'; error: string; httpStatus: number | null }

/** Records one attempt; null when the row is no longer ours (receipted meanwhile, or re-claimed). */
export async function recordAttempt(tx: Queryable, id: string, attemptsAtClaim: number, outcome: AttemptOutcome): Promise<Notice | null> {
  const guard = "WHERE id = $1 AND status = 'pending' AND attempts = $2 RETURNING *"
  let rows: NoticeRow[]
  if (outcome.kind === 'delivered') {
    rows = await tx.query<NoticeRow>(
      `UPDATE notices SET status = 'delivered', attempts = attempts + 1, delivered_at = $3, last_status = $4, last_error = NULL ${guard}`,
      [id, attemptsAtClaim, outcome.at, outcome.httpStatus],
    )
  } else if (outcome.kind === 'retry') {
    rows = await tx.query<NoticeRow>(
      `UPDATE notices SET attempts = attempts + 1, last_error = $3, last_status = $4, next_attempt_at = $5 ${guard}`,
      [id, attemptsAtClaim, outcome.error, outcome.httpStatus, outcome.nextAttemptAt],
    )
  } else {
    rows = await tx.query<NoticeRow>(
      `UPDATE notices SET status = 'failed', attempts = attempts + 1, last_error = $3, last_status = $4 ${guard}`,
      [id, attemptsAtClaim, outcome.error, outcome.httpStatus],
    )
  }
  return rows[0] ? toNotice(rows[0]) : null
}

/** Gives a claim back without counting an attempt (shutdown aborted the POST). */
export async function releaseClaim(db: Queryable, id: string, attemptsAtClaim: number, at: Date): Promise<void> {
  await db.query("UPDATE notices SET next_attempt_at = $3 WHERE id = $1 AND status = 'pending' AND attempts = $2", [id, attemptsAtClaim, at])
}

/** The last_error of a notice given up at its deadline (by the sweep or after a last attempt). */
export const DEADLINE_ERROR = 'not delivered before the deadline'

/**
 * Pending notices past their deadline (the stored deadline, or created + maxAge when the
 * deliverer is configured tighter) become failed. Claimed rows (lease in the future) are left
 * to the worker holding them, which applies the same deadline to its outcome.
 */
export async function expireOverdueNotices(tx: Queryable, now: Date, maxAgeMs: number): Promise<Notice[]> {
  const rows = await tx.query<NoticeRow>(
    `UPDATE notices SET status = 'failed',
       last_error = CASE WHEN last_error IS NULL THEN $3 ELSE $3 || '; last error: ' || last_error END
     WHERE status = 'pending' AND next_attempt_at <= $1
       AND LEAST(deadline_at, created_at + $2::double precision * interval '1 millisecond') <= $1
     RETURNING *`,
    [now, maxAgeMs, DEADLINE_ERROR],
  )
  return rows.map(toNotice)
}

/** When the next pending notice falls due (null when none is pending). */
export async function nextDueAt(db: Queryable): Promise<Date | null> {
  const rows = await db.query<{ at: Date | null }>("SELECT min(next_attempt_at) AS at FROM notices WHERE status = 'pending'")
  return rows[0]?.at ?? null
}

export interface SigningTarget {
  url: string
  secret: string
}

/**
 * Where to send a notice and the secret that signs it (and its receipts), read at send time
 * so a station that fixes its webhook URL or rotates its secret is honoured by the retries.
 * Family notices keep the URL they were planned with; the contact is found by that URL
 * (first at its planned index), since a contact list may be reordered meanwhile.
 */
export async function findSigningTarget(db: Queryable, notice: Notice): Promise<SigningTarget | null> {
  if (notice.audience === 'police') {
    if (notice.policeStationId === null) return null
    const rows = await db.query<{ webhook_url: string; secret: string }>(
      'SELECT webhook_url, secret FROM police_stations WHERE tenant_id = $1 AND id = $2',
      [notice.tenantId, notice.policeStationId],
    )
    const station = rows[0]
    return station ? { url: station.webhook_url, secret: station.secret } : null
  }
  const rows = await db.query<{ contacts: Contact[] }>('SELECT contacts FROM elders WHERE tenant_id = $1 AND id = $2', [
    notice.tenantId,
    notice.elderId,
  ])
  const contact = contactFor(rows[0]?.contacts ?? [], notice.contactIndex, notice.targetUrl)
  return contact?.secret ? { url: notice.targetUrl, secret: contact.secret } : null
}

export function contactFor(contacts: readonly Contact[], index: number | null, url: string): Contact | null {
  const planned = index === null ? undefined : contacts[index]
  if (planned?.webhookUrl === url) return planned
  return contacts.find((c) => c.webhookUrl === url) ?? null
}
