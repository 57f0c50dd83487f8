import type { Queryable } from '../storage/db'
import { insertRowsWrite, type DeferredWrite } from '../storage/deferred-write'
import { ackableFrom, PENDING_STATUSES, type VoiceAckStatus, type VoicePromptStatus } from './status'

/**
 * Voice prompts in storage (the only SQL about voice_prompts; 007_alert_delivery.sql and
 * 009_voice_occasions.sql). Every query is tenant-scoped except the dispatcher's sweep, which
 * serves all tenants of the gateway and reads the tenant from each row.
 */
export type VoicePriority = 'normal' | 'high'
export type VoiceOrigin = 'alert' | 'operator'

export interface VoicePrompt {
  id: string
  tenantId: string
  elderId: string
  deviceId: string
  alertId: string | null
  origin: VoiceOrigin
  requestedBy: string | null
  text: string
  lang: string
  priority: VoicePriority
  status: VoicePromptStatus
  expiresAt: string
  createdAt: string
  sentAt: string | null
  sendCount: number
  ackedAt: string | null
  updatedAt: string
}

/** A status change, with the status it came from (null for a new row). */
export interface VoiceTransition {
  prompt: VoicePrompt
  previousStatus: VoicePromptStatus | null
}

interface PromptRow {
  id: string
  tenant_id: string
  elder_id: string
  device_id: string
  alert_id: string | null
  origin: VoiceOrigin
  requested_by: string | null
  text: string
  lang: string
  priority: VoicePriority
  status: VoicePromptStatus
  expires_at: Date
  created_at: Date
  sent_at: Date | null
  send_count: number
  acked_at: Date | null
  updated_at: Date
}

function toPrompt(r: PromptRow): VoicePrompt {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    elderId: r.elder_id,
    deviceId: r.device_id,
    alertId: r.alert_id,
    origin: r.origin,
    requestedBy: r.requested_by,
    text: r.text,
    lang: r.lang,
    priority: r.priority,
    status: r.status,
    expiresAt: r.expires_at.toISOString(),
    createdAt: r.created_at.toISOString(),
    sentAt: r.sent_at ? r.sent_at.toISOString() : null,
    sendCount: r.send_count,
    ackedAt: r.acked_at ? r.acked_at.toISOString() : null,
    updatedAt: r.updated_at.toISOString(),
  }
}

const COLUMNS = `id, tenant_id, elder_id, device_id, alert_id, origin, requested_by, text, lang, priority, status,
  expires_at, created_at, sent_at, send_count, acked_at, updated_at`
const V_COLUMNS = COLUMNS.replace(/(\w+)/g, 'v.$1')

/** The device's elder and that elder's language (operator prompts); null: no such device. */
export async function deviceForPrompt(q: Queryable, tenantId: string, deviceId: string): Promise<{ elderId: string; language: string } | null> {
  const rows = await q.query<{ elder_id: string; language: string }>(
    'SELECT d.elder_id, e.language FROM devices d JOIN elders e ON e.id = d.elder_id WHERE d.tenant_id = $1 AND d.id = $2',
    [tenantId, deviceId],
  )
  const row = rows[0]
  return row ? { elderId: row.elder_id, language: row.language } : null
}

/** Alert prompt occasions (not rows: one occasion reaches every device) since `since` on the rule clock, held-back ones excluded. */
export async function countAlertOccasions(tx: Queryable, tenantId: string, elderId: string, since: Date): Promise<number> {
  const rows = await tx.query<{ n: number }>(
    `SELECT count(DISTINCT occasion_id)::int AS n FROM voice_prompts
     WHERE tenant_id = $1 AND elder_id = $2 AND origin = 'alert' AND status <> 'suppressed' AND rule_at > $3`,
    [tenantId, elderId, since],
  )
  return rows[0]?.n ?? 0
}

export interface NewVoicePrompt {
  id: string
  tenantId: string
  elderId: string
  deviceId: string
  alertId: string | null
  occasionId: string | null
  origin: VoiceOrigin
  requestedBy: string | null
  text: string
  lang: string
  priority: VoicePriority
  status: 'queued' | 'suppressed'
  /** On the rule clock, like ruleAt: the dispatcher expires it against the tenant's rule clock. */
  expiresAt: Date
  /** Wall clock: when the row was written. */
  createdAt: Date
  /** Rule clock (EG_CLOCK): what the hourly limit counts. Equal to createdAt under EG_CLOCK=wall. */
  ruleAt: Date
}

const INSERT_COLUMNS = `id, tenant_id, elder_id, device_id, alert_id, occasion_id, origin, requested_by, text, lang, priority,
       status, expires_at, created_at, updated_at, rule_at`

/** One row's values in INSERT_COLUMNS order (updated_at = created_at). */
const insertValues = (p: NewVoicePrompt): unknown[] =>
  [p.id, p.tenantId, p.elderId, p.deviceId, p.alertId, p.occasionId, p.origin, p.requestedBy, p.text, p.lang, p.priority, p.status, p.expiresAt, p.createdAt, p.createdAt, p.ruleAt]

export async function insertPrompt(tx: Queryable, p: NewVoicePrompt): Promise<VoicePrompt> {
  const values = insertValues(p)
  const rows = await tx.query<PromptRow>(
    `INSERT INTO voice_prompts (${INSERT_COLUMNS}) VALUES (${values.map((_, i) => `$${i + 1}`).join(', ')}) RETURNING ${COLUMNS}`,
    values,
  )
  return toPrompt(rows[0] as PromptRow)
}

/** New prompts as one deferred multi-row INSERT (the alert transaction's last statement runs it). */
export function insertPromptsWrite(prompts: readonly NewVoicePrompt[]): DeferredWrite {
  return insertRowsWrite('voice_prompts', INSERT_COLUMNS, prompts.map(insertValues))
}

/** The prompt a NewVoicePrompt becomes once inserted: not yet sent, no ack (the table's defaults). */
export function insertedPrompt(p: NewVoicePrompt): VoicePrompt {
  const { occasionId: _occasion, ruleAt: _ruleAt, expiresAt, createdAt, ...fields } = p
  return {
    ...fields,
    expiresAt: expiresAt.toISOString(),
    createdAt: createdAt.toISOString(),
    sentAt: null,
    sendCount: 0,
    ackedAt: null,
    updatedAt: createdAt.toISOString(),
  }
}

/**
 * Prompts still to be delivered (queued or sent without an ack), oldest first — including
 * those past their expiry, which the sweep then marks expired. All tenants, or one device.
 */
export async function pendingPrompts(q: Queryable, opts: { deviceId?: string; limit: number }): Promise<VoicePrompt[]> {
  const params: unknown[] = [[...PENDING_STATUSES], opts.limit]
  let where = 'status = ANY($1::text[])'
  if (opts.deviceId !== undefined) {
    params.push(opts.deviceId)
    where += ' AND device_id = $3'
  }
  const rows = await q.query<PromptRow>(`SELECT ${COLUMNS} FROM voice_prompts WHERE ${where} ORDER BY created_at, id LIMIT $2`, params)
  return rows.map(toPrompt)
}

/** Records sends (the command went out on the device's cmd topic); queued ones become sent. */
export async function markSent(tx: Queryable, ids: readonly string[], at: Date): Promise<VoiceTransition[]> {
  const rows = await tx.query<PromptRow & { previous_status: VoicePromptStatus }>(
    `WITH prev AS (SELECT id, status FROM voice_prompts WHERE id = ANY($1::text[]) FOR UPDATE)
     UPDATE voice_prompts v SET status = CASE WHEN v.status = 'queued' THEN 'sent' ELSE v.status END,
       sent_at = $2, send_count = v.send_count + 1, updated_at = $2
     FROM prev WHERE v.id = prev.id RETURNING ${V_COLUMNS}, prev.status AS previous_status`,
    [[...ids], at],
  )
  return rows.map((r) => ({ prompt: toPrompt(r), previousStatus: r.previous_status }))
}

/**
 * Applies a device's ack to its own prompt, forward only (status.ts). null when the prompt is
 * not that device's, does not exist, or is already past the acked status.
 */
export async function applyAck(
  tx: Queryable,
  ack: { tenantId: string; deviceId: string; promptId: string; status: VoiceAckStatus },
  at: Date,
): Promise<VoiceTransition | null> {
  const rows = await tx.query<PromptRow & { previous_status: VoicePromptStatus }>(
    `WITH prev AS (
       SELECT id, status FROM voice_prompts WHERE tenant_id = $1 AND device_id = $2 AND id = $3 AND status = ANY($5::text[]) FOR UPDATE)
     UPDATE voice_prompts v SET status = $4, acked_at = $6, updated_at = $6
     FROM prev WHERE v.id = prev.id RETURNING ${V_COLUMNS}, prev.status AS previous_status`,
    [ack.tenantId, ack.deviceId, ack.promptId, ack.status, ackableFrom(ack.status), at],
  )
  const row = rows[0]
  return row ? { prompt: toPrompt(row), previousStatus: row.previous_status } : null
}

/** Marks the given prompts expired if they are still unacknowledged and past their expiry at `at`. */
export async function expirePrompts(tx: Queryable, ids: readonly string[], at: Date): Promise<VoiceTransition[]> {
  const rows = await tx.query<PromptRow & { previous_status: VoicePromptStatus }>(
    `WITH prev AS (
       SELECT id, status FROM voice_prompts WHERE id = ANY($1::text[]) AND status = ANY($3::text[]) AND expires_at <= $2 FOR UPDATE)
     UPDATE voice_prompts v SET status = 'expired', updated_at = $2
     FROM prev WHERE v.id = prev.id RETURNING ${V_COLUMNS}, prev.status AS previous_status`,
    [[...ids], at, [...PENDING_STATUSES]],
  )
  return rows.map((r) => ({ prompt: toPrompt(r), previousStatus: r.previous_status }))
}

export interface VoicePromptFilter {
  tenantId: string
  elderId?: string | undefined
  alertId?: string | undefined
  deviceId?: string | undefined
  status?: VoicePromptStatus | undefined
  limit: number
  offset: number
}

export async function listPrompts(q: Queryable, f: VoicePromptFilter): Promise<{ items: VoicePrompt[]; total: number }> {
  const where = ['tenant_id = $1']
  const params: unknown[] = [f.tenantId]
  const add = (column: string, value: string | undefined) => {
    if (value === undefined) return
    params.push(value)
    where.push(`${column} = $${params.length}`)
  }
  add('elder_id', f.elderId)
  add('alert_id', f.alertId)
  add('device_id', f.deviceId)
  add('status', f.status)
  const from = `FROM voice_prompts WHERE ${where.join(' AND ')}`
  const total = await q.query<{ n: number }>(`SELECT count(*)::int AS n ${from}`, params)
  const rows = await q.query<PromptRow>(
    `SELECT ${COLUMNS} ${from} ORDER BY created_at DESC, id LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
    [...params, f.limit, f.offset],
  )
  return { items: rows.map(toPrompt), total: total[0]?.n ?? 0 }
}

export async function getPrompt(q: Queryable, tenantId: string, id: string): Promise<VoicePrompt | null> {
  const rows = await q.query<PromptRow>(`SELECT ${COLUMNS} FROM voice_prompts WHERE tenant_id = $1 AND id = $2`, [tenantId, id])
  return rows[0] ? toPrompt(rows[0]) : null
}
