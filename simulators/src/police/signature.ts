import { createHmac, timingSafeEqual } from 'node:crypto'

/**
 * The notice signature as a police system checks it (DESIGN §4), written from the contract
 * rather than imported from the gateway so the receiver tests the contract, not the code:
 * `X-Eldergate-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>`,
 * `X-Eldergate-Timestamp: <unix seconds>`. A stale timestamp is refused: a captured notice
 * must not be replayable.
 */
export const SIGNATURE_HEADER = 'x-eldergate-signature'
export const TIMESTAMP_HEADER = 'x-eldergate-timestamp'
export const IDEMPOTENCY_HEADER = 'idempotency-key'

/** Five minutes either way: the window the gateway itself uses for receipts. */
export const DEFAULT_MAX_SKEW_S = 300

export function sign(secret: string, timestampS: number, body: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestampS}.`).update(body).digest('hex')}`
}

export type Verdict = { ok: true } | { ok: false; reason: 'missing' | 'malformed' | 'stale' | 'forged' }

export function verifySignature(
  secret: string,
  headers: { timestamp: string | undefined; signature: string | undefined },
  body: string | Buffer,
  nowMs: number,
  maxSkewS = DEFAULT_MAX_SKEW_S,
): Verdict {
  if (headers.timestamp === undefined || headers.signature === undefined) return { ok: false, reason: 'missing' }
  if (!/^\d{1,12}$/.test(headers.timestamp) || !/^sha256=[0-9a-fA-F]{64}$/.test(headers.signature)) return { ok: false, reason: 'malformed' }
  const timestampS = Number(headers.timestamp)
  if (Math.abs(nowMs / 1000 - timestampS) > maxSkewS) return { ok: false, reason: 'stale' }
  const expected = Buffer.from(sign(secret, timestampS, body).slice(7), 'hex')
  const given = Buffer.from(headers.signature.slice(7), 'hex')
  return given.length === expected.length && timingSafeEqual(given, expected) ? { ok: true } : { ok: false, reason: 'forged' }
}

/** Checks a request against each candidate secret (a town file holds several); the matching one signs the receipt. */
export function verifyAny(
  secrets: readonly string[],
  headers: { timestamp: string | undefined; signature: string | undefined },
  body: Buffer,
  nowMs: number,
  maxSkewS?: number,
): { ok: true; secret: string } | { ok: false; reason: 'missing' | 'malformed' | 'stale' | 'forged' } {
  let last: Verdict = { ok: false, reason: 'forged' }
  for (const secret of secrets) {
    last = verifySignature(secret, headers, body, nowMs, maxSkewS)
    if (last.ok) return { ok: true, secret }
    if (last.reason !== 'forged') return last
  }
  return last.ok ? { ok: false, reason: 'forged' } : last
}
