import { STATUS_CODES } from 'node:http'
import { fetch, type Dispatcher } from 'undici'
import type { SigningTarget } from './delivery-store'
import type { ClaimedNotice } from './delivery-store'
import { IDEMPOTENCY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, signNotice } from './signature'
import { refusalOf } from './webhook-dispatcher'
import type { WebhookPolicy } from './webhook-policy'

/**
 * One POST of a stored notice (DESIGN §4): the stored bytes, `Idempotency-Key: <noticeId>`
 * so a station can drop the duplicates at-least-once delivery may produce, and a signature
 * over a timestamp fresh for this attempt. Redirects are not followed — a 3xx is not a 2xx,
 * and a signed police notice must not be forwarded somewhere the station did not register.
 *
 * The target is checked against the webhook policy before the POST (a URL stored before the
 * policy existed, an allow list narrowed since) and its resolved addresses as it connects
 * (the dispatcher). What goes into lastError is the status with its standard reason phrase,
 * or a short reason of ours — never the receiver's body or reason phrase: a webhook aimed
 * inside must not become a way to read what answers there.
 */
export type PostResult = { ok: true; status: number } | { ok: false; status: number | null; error: string }

export interface PostOptions {
  timestampS: number
  timeoutMs: number
  signal: AbortSignal
  policy: WebhookPolicy
  /** The guarded connection pool (webhook-dispatcher.ts). */
  dispatcher: Dispatcher
}

export async function postNotice(notice: ClaimedNotice, target: SigningTarget, opts: PostOptions): Promise<PostResult> {
  const refused = opts.policy.refuseUrl(target.url)
  if (refused !== null) return { ok: false, status: null, error: `refused: the webhook URL is a ${refused} (not in EG_WEBHOOK_ALLOW)` }
  const timeout = AbortSignal.timeout(opts.timeoutMs)
  const signal = AbortSignal.any([opts.signal, timeout])
  try {
    const response = await fetch(target.url, {
      method: 'POST',
      redirect: 'manual',
      signal,
      dispatcher: opts.dispatcher,
      headers: {
        'Content-Type': notice.contentType,
        [IDEMPOTENCY_HEADER]: notice.id,
        [TIMESTAMP_HEADER]: String(opts.timestampS),
        [SIGNATURE_HEADER]: signNotice(target.secret, opts.timestampS, notice.body),
        'User-Agent': 'eldergate-notices/1',
      },
      body: notice.body,
    })
    // Unread, so the connection is freed at once rather than when the body is collected.
    await response.body?.cancel().catch(() => undefined)
    if (response.status >= 200 && response.status < 300) return { ok: true, status: response.status }
    return { ok: false, status: response.status, error: describeStatus(response.status) }
  } catch (err) {
    if (timeout.aborted) return { ok: false, status: null, error: `timed out after ${opts.timeoutMs} ms` }
    if (opts.signal.aborted) return { ok: false, status: null, error: String((opts.signal.reason as Error | undefined)?.message ?? 'aborted') }
    const refusal = refusalOf(err)
    if (refusal !== null) return { ok: false, status: null, error: `refused: ${refusal.reason} (not in EG_WEBHOOK_ALLOW)` }
    return { ok: false, status: null, error: describeFetchError(err) }
  }
}

/** `HTTP 503 Service Unavailable`: the standard phrase, not the receiver's. */
export function describeStatus(status: number): string {
  const phrase = STATUS_CODES[status]
  const redirect = status >= 300 && status < 400 ? ' (redirects are not followed)' : ''
  return `HTTP ${status}${phrase === undefined ? '' : ` ${phrase}`}${redirect}`
}

/** undici reports "fetch failed" and hides the reason (ECONNREFUSED, ENOTFOUND) in the cause. */
export function describeFetchError(err: unknown): string {
  const error = err as Error & { cause?: { code?: string; message?: string } }
  const cause = error.cause
  // The code only: a cause's message may quote what the receiver sent (a malformed status line).
  const detail = cause?.code ?? (cause === undefined ? undefined : 'connection failed')
  return detail ? `${error.message}: ${detail}` : (error.message ?? String(err))
}
