import type { RiskLevel } from '../../../contract/levels'
import { type Contact, type NoticeLanguage, type Page, type PageRequest } from '../registry/types'
import type { Queryable } from '../storage/db'
import { insertRowsWrite, type DeferredWrite } from '../storage/deferred-write'
import type { NoticeAudience, NoticeFormat } from './notice-content'
import type { FixCandidate } from './notice-location'

/**
 * Notices (storage layer): what the planner reads and writes inside an alert's transaction,
 * the receipt, and the list the board and police users see. Delivery's own queries
 * (claiming, outcomes) are in delivery-store.ts.
 */
export type NoticeStatus = 'pending' | 'delivered' | 'failed' | 'receipted'
export type ReceiptStatus = 'received' | 'accepted' | 'closed'

export interface Notice {
  id: string
  tenantId: string
  alertId: string
  elderId: string
  audience: NoticeAudience
  policeStationId: string | null
  contactIndex: number | null
  targetUrl: string
  format: NoticeFormat
  level: RiskLevel
  contentType: string
  status: NoticeStatus
  attempts: number
  nextAttemptAt: string
  deadlineAt: string
  lastError: string | null
  lastStatus: number | null
  createdAt: string
  deliveredAt: string | null
  receipt: { status: ReceiptStatus | null; at: string; caseNumber: string | null; note: string | null } | null
}

export interface NoticeRow {
  id: string
  tenant_id: string
  alert_id: string
  elder_id: string
  audience: NoticeAudience
  police_station_id: string | null
  contact_index: number | null
  target_url: string
  format: NoticeFormat
  level: RiskLevel
  body: string
  content_type: string
  status: NoticeStatus
  attempts: number
  next_attempt_at: Date
  deadline_at: Date
  last_error: string | null
  last_status: number | null
  created_at: Date
  delivered_at: Date | null
  receipt_at: Date | null
  receipt_status: ReceiptStatus | null
  case_number: string | null
  receipt_note: string | null
}

export function toNotice(r: NoticeRow): Notice {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    alertId: r.alert_id,
    elderId: r.elder_id,
    audience: r.audience,
    policeStationId: r.police_station_id,
    contactIndex: r.contact_index,
    targetUrl: r.target_url,
    format: r.format,
    level: r.level,
    contentType: r.content_type,
    status: r.status,
    attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at.toISOString(),
    deadlineAt: r.deadline_at.toISOString(),
    lastError: r.last_error,
    lastStatus: r.last_status,
    createdAt: r.created_at.toISOString(),
    deliveredAt: r.delivered_at?.toISOString() ?? null,
    receipt: r.receipt_at
      ? { status: r.receipt_status, at: r.receipt_at.toISOString(), caseNumber: r.case_number, note: r.receipt_note }
      : null,
  }
}

/** Everything the planner needs about the elder, read inside the alert's transaction. */
export interface NoticeContext {
  elder: { name: string; address: string | null; phone: string | null; home: { lat: number; lon: number; radiusM: number }; contacts: Contact[] }
  station: { id: string; name: string; webhookUrl: string; format: NoticeFormat; language: NoticeLanguage } | null
  /** The newest stored watch fix; the planner weighs it against fresher ones (notice-location.ts). */
  storedFix: FixCandidate | null
}

/** A notice as the planner writes it: the addressing fields of Notice, plus what is sent. */
export type NewNotice = Pick<
  Notice,
  'id' | 'tenantId' | 'alertId' | 'elderId' | 'audience' | 'policeStationId' | 'contactIndex' | 'targetUrl' | 'format' | 'level' | 'contentType'
> & {
  body: string
  createdAt: Date
  deadlineAt: Date
  /** Set for a notice that cannot be sent at all (no station, no secret): stored as failed. */
  failedReason?: string | undefined
}

const INSERT_COLUMNS = `id, tenant_id, alert_id, elder_id, audience, police_station_id, contact_index, target_url, format, level,
  body, content_type, status, next_attempt_at, deadline_at, last_error, created_at`

/** The status a new notice starts in: failed at once when it cannot be sent at all. */
const statusOf = (n: NewNotice): NoticeStatus => (n.failedReason === undefined ? 'pending' : 'failed')

/**
 * New notices as one deferred multi-row INSERT (the alert transaction's last statement runs it):
 * due at once (next_attempt_at = created_at).
 */
export function insertNoticesWrite(notices: readonly NewNotice[]): DeferredWrite {
  return insertRowsWrite(
    'notices',
    INSERT_COLUMNS,
    notices.map((n) => [
      n.id, n.tenantId, n.alertId, n.elderId, n.audience, n.policeStationId, n.contactIndex, n.targetUrl, n.format, n.level,
      n.body, n.contentType, statusOf(n), n.createdAt, n.deadlineAt, n.failedReason ?? null, n.createdAt,
    ]),
  )
}

/** The notice a NewNotice becomes once inserted: no attempt yet, no receipt (the table's defaults). */
export function insertedNotice(n: NewNotice): Notice {
  const { body: _body, createdAt, deadlineAt, failedReason, ...addressing } = n
  return {
    ...addressing,
    status: statusOf(n),
    attempts: 0,
    nextAttemptAt: createdAt.toISOString(),
    deadlineAt: deadlineAt.toISOString(),
    lastError: failedReason ?? null,
    lastStatus: null,
    createdAt: createdAt.toISOString(),
    deliveredAt: null,
    receipt: null,
  }
}

export interface NoticeFilter {
  tenantId: string
  alertId?: string | undefined
  status?: NoticeStatus | undefined
  audience?: NoticeAudience | undefined
  elderId?: string | undefined
  /** Police users: only their station's police notices. */
  policeStationId?: string | undefined
}

export async function listNotices(db: Queryable, f: NoticeFilter, page: PageRequest): Promise<Page<Notice>> {
  const where = ['tenant_id = $1']
  const params: unknown[] = [f.tenantId]
  const add = (column: string, value: unknown) => {
    params.push(value)
    where.push(`${column} = $${params.length}`)
  }
  if (f.alertId !== undefined) add('alert_id', f.alertId)
  if (f.status !== undefined) add('status', f.status)
  if (f.audience !== undefined) add('audience', f.audience)
  if (f.elderId !== undefined) add('elder_id', f.elderId)
  if (f.policeStationId !== undefined) {
    add('police_station_id', f.policeStationId)
    where.push("audience = 'police'")
  }
  const clause = where.join(' AND ')
  const n = params.length
  const rows = await db.query<NoticeRow>(`SELECT * FROM notices WHERE ${clause} ORDER BY created_at DESC, id LIMIT $${n + 1} OFFSET $${n + 2}`, [
    ...params,
    page.limit,
    page.offset,
  ])
  const total = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM notices WHERE ${clause}`, params)
  return { items: rows.map(toNotice), total: total[0]?.n ?? 0, limit: page.limit, offset: page.offset }
}

/**
 * A notice by id alone, for the receipt route: the station is not logged in, so there is no
 * tenant yet — the signature over the request, with the notice's own secret, is what
 * authenticates it. Only call this before verifying that signature.
 */
export async function findNoticeForReceipt(db: Queryable, id: string): Promise<Notice | null> {
  const rows = await db.query<NoticeRow>('SELECT * FROM notices WHERE id = $1', [id])
  return rows[0] ? toNotice(rows[0]) : null
}

export interface Receipt {
  status: ReceiptStatus
  caseNumber?: string | undefined
  note?: string | undefined
}

/** A receipt proves the station has the notice, whatever delivery thought: status receipted. */
export async function recordReceipt(tx: Queryable, tenantId: string, id: string, receipt: Receipt, at: Date): Promise<Notice | null> {
  const rows = await tx.query<NoticeRow>(
    `UPDATE notices SET status = 'receipted', receipt_at = $3, receipt_status = $4,
       case_number = COALESCE($5, case_number), receipt_note = COALESCE($6, receipt_note),
       delivered_at = COALESCE(delivered_at, $3)
     WHERE tenant_id = $1 AND id = $2 RETURNING *`,
    [tenantId, id, at, receipt.status, receipt.caseNumber ?? null, receipt.note ?? null],
  )
  return rows[0] ? toNotice(rows[0]) : null
}

/** One notice with the exact body that was (or would have been) sent. */
export async function getNoticeWithBody(db: Queryable, tenantId: string, id: string): Promise<(Notice & { body: string }) | null> {
  const rows = await db.query<NoticeRow>('SELECT * FROM notices WHERE tenant_id = $1 AND id = $2', [tenantId, id])
  const row = rows[0]
  return row ? { ...toNotice(row), body: row.body } : null
}
