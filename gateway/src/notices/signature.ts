import { createHmac, timingSafeEqual } from 'node:crypto'

/**
 * The notice signature of DESIGN §4 (an external contract: police systems verify it):
 * `X-Eldergate-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>` with
 * `X-Eldergate-Timestamp: <unix seconds>`. The timestamp is inside the MAC so a captured
 * request cannot be replayed with a fresh time; receivers reject stale timestamps.
 * The same scheme authenticates receipts coming back from a station.
 */
export const TIMESTAMP_HEADER = 'X-Eldergate-Timestamp'
export const SIGNATURE_HEADER = 'X-Eldergate-Signature'
export const IDEMPOTENCY_HEADER = 'Idempotency-Key'

/** Receipts older (or further ahead) than this are refused: replay window and clock skew. */
export const RECEIPT_MAX_SKEW_S = 5 * 60

export function signNotice(secret: string, timestamp: number, body: string | Buffer): string {
  const mac = createHmac('sha256', secret)
  mac.update(`${timestamp}.`)
  mac.update(body)
  return `sha256=${mac.digest('hex')}`
}

export type SignatureCheck = { ok: true } | { ok: false; reason: string }

/**
 * Checks a signature received with a request. Constant-time on the MAC; the reasons are for
 * logs and the 401 message, and never reveal the expected value.
 */
export function verifyNoticeSignature(
  secret: string,
  timestampHeader: string | undefined,
  signatureHeader: string | undefined,
  body: string | Buffer,
  nowMs: number,
  maxSkewS = RECEIPT_MAX_SKEW_S,
): SignatureCheck {
  if (timestampHeader === undefined || !/^\d{1,12}$/.test(timestampHeader)) return { ok: false, reason: `missing or malformed ${TIMESTAMP_HEADER}` }
  if (signatureHeader === undefined || !/^sha256=[0-9a-fA-F]{64}$/.test(signatureHeader)) {
    return { ok: false, reason: `missing or malformed ${SIGNATURE_HEADER}` }
  }
  const timestamp = Number(timestampHeader)
  if (Math.abs(nowMs / 1000 - timestamp) > maxSkewS) return { ok: false, reason: 'timestamp outside the 5 minute window' }
  const expected = Buffer.from(signNotice(secret, timestamp, body).slice('sha256='.length), 'hex')
  const given = Buffer.from(signatureHeader.slice('sha256='.length), 'hex')
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'signature does not match' }
  return { ok: true }
}
