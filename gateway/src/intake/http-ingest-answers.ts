import type { MessageOutcome, MessageRejection } from '../broker/index'
import { refusalOf } from '../broker/unrouted'
import { errorCatalogue, type ErrorCode } from '../errors'

/**
 * What HTTP ingest answers a vendor cloud, from the intake's outcome (DESIGN §3c), and the
 * `outcome` label of eg_http_ingest_requests_total. The answers say in words what an MQTT 5
 * PUBACK says in a reason code:
 *
 * - taken whole → 202 `{accepted: true}`;
 * - taken with some elements dead-lettered → 202 `{accepted: true, rejected: [...], rejectedCount}`
 *   (the vendor must not resend the upload: the good elements are stored);
 * - refused whole for its format → 400 PAYLOAD_REFUSED, `details` the reasons;
 * - refused whole for a limit (too many elements; over the byte limit) → 413 PAYLOAD_TOO_LARGE,
 *   `details` the reasons, as MQTT says 0x97 quota exceeded for both.
 *
 * Error bodies are the API's `{error: {code, message}}` (http/error-handler.ts) plus `details`:
 * the intake's rejections `{reason, message, index?}` — reasons are the stable codes of the
 * rejected-messages metric and the dead-letter store, so the vendor can look a payload up there.
 */
export type IngestOutcome =
  | 'accepted'
  | 'partly_accepted'
  | 'refused'
  | 'too_large'
  | 'bad_request'
  | 'unauthorized'
  | 'forbidden'
  | 'unknown_channel'
  | 'unsupported_type'
  | 'throttled'
  | 'unavailable'
  | 'error'

/** A 5000-element upload can reject 5000 times; the first hundred say what is wrong. */
export const MAX_LISTED_REJECTIONS = 100

export interface IngestErrorBody {
  error: { code: ErrorCode; message: string; details: MessageRejection[] }
}

/** Copies only the documented fields: what the intake adds later stays internal until decided. */
function listed(rejected: readonly MessageRejection[]): MessageRejection[] {
  return rejected
    .slice(0, MAX_LISTED_REJECTIONS)
    .map((r) => (r.index === undefined ? { reason: r.reason, message: r.message } : { reason: r.reason, message: r.message, index: r.index }))
}

export function ingestErrorBody(code: ErrorCode, rejected: readonly MessageRejection[], message: string = errorCatalogue[code].message): IngestErrorBody {
  const more = rejected.length > MAX_LISTED_REJECTIONS ? ` (the first ${MAX_LISTED_REJECTIONS} of ${rejected.length} reasons listed)` : ''
  return { error: { code, message: message + more, details: listed(rejected) } }
}

export interface IngestAnswer {
  /** 202, or the catalogue status of PAYLOAD_REFUSED (400) or PAYLOAD_TOO_LARGE (413). */
  status: 202 | (typeof errorCatalogue)['PAYLOAD_REFUSED' | 'PAYLOAD_TOO_LARGE']['status']
  body: IngestErrorBody | { accepted: true; rejected?: MessageRejection[]; rejectedCount?: number }
  /** For the metric: named before sending, as the response may finish within send(). */
  outcome: IngestOutcome
}

/** The answer for the intake's (durable) outcome. */
export function answerOf(outcome: MessageOutcome): IngestAnswer {
  const refusal = refusalOf(outcome)
  const rejected = outcome?.rejected ?? []
  if (refusal !== undefined) {
    const code: ErrorCode = refusal === 'quota_exceeded' ? 'PAYLOAD_TOO_LARGE' : 'PAYLOAD_REFUSED'
    return { status: errorCatalogue[code].status, body: ingestErrorBody(code, rejected), outcome: refusal === 'quota_exceeded' ? 'too_large' : 'refused' }
  }
  if (rejected.length === 0) return { status: 202, body: { accepted: true }, outcome: 'accepted' }
  return { status: 202, body: { accepted: true, rejected: listed(rejected), rejectedCount: rejected.length }, outcome: 'partly_accepted' }
}

/** The outcome of an answer that did not come from the intake (auth, body limit, routing, outage). */
export function outcomeOfStatus(status: number): IngestOutcome {
  switch (status) {
    case 202:
      return 'accepted'
    case 400:
      return 'bad_request'
    case 401:
      return 'unauthorized'
    case 403:
      return 'forbidden'
    case 404:
      return 'unknown_channel'
    case 413:
      return 'too_large'
    case 415:
      return 'unsupported_type'
    case 429:
      return 'throttled'
    case 503:
      return 'unavailable'
    default:
      return 'error'
  }
}
