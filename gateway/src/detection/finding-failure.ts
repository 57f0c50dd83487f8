import { inspect } from 'node:util'
import { RULE_IDS, type Finding } from '../../../rules/src/index'
import { isEgError } from '../errors'
import { riskLevels } from '../../../contract/levels'
import { classifyDbError, sqlStateOf, type DbErrorKind } from '../storage/db-errors'

/**
 * What went wrong when a finding could not be stored, in words that can themselves always be
 * stored: the classification that decides between parking and deferring (the gateway's one
 * classifier, storage/db-errors.ts), a stable code, a bounded message, and the finding as a
 * JSON document — or, when the finding is the very thing that cannot be serialised (a cycle, a
 * BigInt, a NUL byte PostgreSQL refuses), a bounded description of it.
 */
export type FindingFailureKind = DbErrorKind

export function classifyFindingFailure(err: unknown): FindingFailureKind {
  return classifyDbError(err)
}

const MESSAGE_MAX = 1_000
const DESCRIPTION_MAX = 4_000
const FIELD_MAX = 500
const DEDUP_KEY_MAX = 2_000
/** Larger findings are described, not stored whole: evidence is a handful of fields, not megabytes. */
const DOCUMENT_MAX = 256 * 1024

/** SQLSTATE, else the gateway's error code, else the JavaScript error's name. */
export function failureCode(err: unknown): string {
  const state = sqlStateOf(err)
  if (state !== undefined) return state
  if (isEgError(err)) return err.code
  const name = (err as { name?: unknown } | null)?.name
  return storableText(typeof name === 'string' && name !== '' ? name : 'Error', 64)
}

export function failureMessage(err: unknown): string {
  const message = (err as { message?: unknown } | null)?.message
  return storableText(typeof message === 'string' ? message : String(err), MESSAGE_MAX)
}

/**
 * Text PostgreSQL accepts, at most `max` UTF-16 units: NUL is refused by text and jsonb alike,
 * and a lone surrogate is refused inside jsonb.
 */
export function storableText(text: string, max: number): string {
  const clean = text.replace(/\u0000/g, '\uFFFD').replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD')
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean
}

/** The columns a parked finding is found by, each storable whatever the finding holds. */
export function findingColumns(f: Finding): { tenantId: string; elderId: string | null; rule: string; level: string; dedupKey: string } {
  const text = (v: unknown) => storableText(typeof v === 'string' ? v : String(v), FIELD_MAX)
  return {
    tenantId: text(f.tenantId),
    elderId: f.elderId === null || f.elderId === undefined ? null : text(f.elderId),
    rule: text(f.rule),
    level: text(f.level),
    // Longer than the other fields: it is the row's identity, and truncating could merge two.
    dedupKey: storableText(typeof f.dedupKey === 'string' ? f.dedupKey : String(f.dedupKey), DEDUP_KEY_MAX),
  }
}

/** The finding whole, when it serialises into something jsonb takes; null otherwise. */
export function findingDocument(f: Finding): string | null {
  let json: string
  try {
    json = JSON.stringify(f)
  } catch {
    return null
  }
  // "\u0000" is valid JSON that jsonb refuses (22P05): describe such a finding instead.
  if (json === undefined || json.length > DOCUMENT_MAX || json.includes('\\u0000')) return null
  return json
}

/** A bounded, always-storable description of a finding that cannot be stored whole. */
export function findingDescription(f: Finding, reason: string): string {
  const description = inspect(f, { depth: 4, maxArrayLength: 20, maxStringLength: 200, breakLength: Infinity })
  return JSON.stringify({ unserialisable: true, reason: storableText(reason, 200), description: storableText(description, DESCRIPTION_MAX) })
}

/**
 * A stored finding back as a Finding, for a retry; null when what is stored is only a
 * description (or not a finding at all).
 */
export function restoreFinding(stored: unknown): Finding | null {
  if (typeof stored !== 'object' || stored === null) return null
  const f = stored as Record<string, unknown>
  if (f.unserialisable === true) return null
  const ok =
    typeof f.rule === 'string' &&
    (RULE_IDS as readonly string[]).includes(f.rule) &&
    typeof f.tenantId === 'string' &&
    (f.elderId === null || typeof f.elderId === 'string') &&
    typeof f.level === 'string' &&
    (riskLevels as readonly string[]).includes(f.level) &&
    typeof f.dedupKey === 'string' &&
    typeof f.ts === 'number' &&
    typeof f.summary === 'string' &&
    typeof f.evidence === 'object' &&
    f.evidence !== null
  return ok ? (f as unknown as Finding) : null
}
