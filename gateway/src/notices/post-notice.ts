import type { SigningTarget } from './delivery-store'
import type { ClaimedNotice } from './delivery-store'
import { IDEMPOTENCY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, signNotice } from './signature'

/**
 * One POST of a stored notice (DESIGN §4): the stored bytes, `Idempotency-Key: <noticeId>`
 * so a station can drop the duplicates at-least-once delivery may produce, and a signature
 * over a timestamp fresh for this attempt. Redirects are not followed — a 3xx is not a 2xx,
 * and a signed police notice must not be forwarded somewhere the station did not register.
 */
export type PostResult = { ok: true; status: number } | { ok: false; status: number | null; error: string }

/** Enough of an error page to say why, not enough to fill the table. */
const SNIPPET_BYTES = 200

export async function postNotice(
  notice: ClaimedNotice,
  target: SigningTarget,
  opts: { timestampS: number; timeoutMs: number; signal: AbortSignal },
): Promise<PostResult> {
  const timeout = AbortSignal.timeout(opts.timeoutMs)
  const signal = AbortSignal.any([opts.signal, timeout])
  try {
    const response = await fetch(target.url, {
      method: 'POST',
      redirect: 'manual',
      signal,
      headers: {
        'Content-Type': notice.contentType,
        [IDEMPOTENCY_HEADER]: notice.id,
        [TIMESTAMP_HEADER]: String(opts.timestampS),
        [SIGNATURE_HEADER]: signNotice(target.secret, opts.timestampS, notice.body),
        'User-Agent': 'eldergate-notices/1',
      },
      body: notice.body,
    })
    const snippet = await responseSnippet(response)
    if (response.status >= 200 && response.status < 300) return { ok: true, status: response.status }
    return { ok: false, status: response.status, error: `HTTP ${response.status}${snippet ? `: ${snippet}` : ''}` }
  } catch (err) {
    if (timeout.aborted) return { ok: false, status: null, error: `timed out after ${opts.timeoutMs} ms` }
    if (opts.signal.aborted) return { ok: false, status: null, error: String((opts.signal.reason as Error | undefined)?.message ?? 'aborted') }
    return { ok: false, status: null, error: describeFetchError(err) }
  }
}

/** undici reports "fetch failed" and hides the reason (ECONNREFUSED, ENOTFOUND) in the cause. */
export function describeFetchError(err: unknown): string {
  const error = err as Error & { cause?: { code?: string; message?: string } }
  const cause = error.cause
  const detail = cause?.code ?? cause?.message
  return detail ? `${error.message}: ${detail}` : (error.message ?? String(err))
}

async function responseSnippet(response: Response): Promise<string> {
  if (response.body === null) return ''
  const reader = response.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  try {
    while (size < SNIPPET_BYTES) {
      const { done, value } = await reader.read()
      if (done) break
      chunks.push(value)
      size += value.byteLength
    }
  } catch {
    // A body cut off mid-way says nothing more than the status does.
  } finally {
    await reader.cancel().catch(() => undefined)
  }
  return Buffer.concat(chunks).toString('utf8').slice(0, SNIPPET_BYTES).replace(/\s+/g, ' ').trim()
}
