/**
 * HTTP Basic credentials (RFC 7617) as vendor clouds send a device's id and secret, read
 * strictly: a header that is not exactly `Basic <canonical base64 of "id:secret">` is not a
 * credential at all. Lenient decoders (Buffer's base64 skips junk characters, stops at the
 * first `=`) would let two different headers carry the same secret — or a truncated one — and
 * make the failure log lie about what was sent. Pure: no I/O.
 */
export type BasicProblem =
  /** No Authorization header. */
  | 'missing'
  /** Another scheme (Bearer, Digest, ...). */
  | 'not_basic'
  /** Basic, but not canonical base64 of UTF-8 `id:secret` with both parts present. */
  | 'malformed'

export type BasicCredentials = { ok: true; deviceId: string; secret: string } | { ok: false; problem: BasicProblem }

/** An id (≤ 64) and a secret (≤ 256) in base64 fit in well under this; longer is not ours. */
const MAX_HEADER_CHARS = 1_024
/** `Basic`, case-insensitive (RFC 7235 §2.1), then one or more spaces, then the token68. */
const BASIC = /^basic +([A-Za-z0-9+/]+={0,2})$/i
/** RFC 7617 §2: neither part may hold control characters. */
const CONTROL = /[\u0000-\u001F\u007F]/
const utf8 = new TextDecoder('utf-8', { fatal: true })

export function parseBasicCredentials(header: string | string[] | undefined): BasicCredentials {
  if (header === undefined) return { ok: false, problem: 'missing' }
  // Two Authorization headers: which one counts is ambiguous, so neither does.
  if (Array.isArray(header) || header.length > MAX_HEADER_CHARS) return { ok: false, problem: 'malformed' }
  const scheme = header.trimStart().split(' ', 1)[0] ?? ''
  if (scheme.toLowerCase() !== 'basic') return { ok: false, problem: header.trim() === '' ? 'missing' : 'not_basic' }
  const token = BASIC.exec(header)?.[1]
  if (token === undefined) return { ok: false, problem: 'malformed' }
  const bytes = Buffer.from(token, 'base64')
  // Canonical only: the same bytes re-encoded give back exactly the token (padding included).
  if (bytes.toString('base64') !== token) return { ok: false, problem: 'malformed' }
  let text: string
  try {
    text = utf8.decode(bytes)
  } catch {
    return { ok: false, problem: 'malformed' }
  }
  // The id cannot hold a colon (RFC 7617 §2); the secret may.
  const colon = text.indexOf(':')
  if (colon <= 0 || colon === text.length - 1) return { ok: false, problem: 'malformed' }
  const deviceId = text.slice(0, colon)
  const secret = text.slice(colon + 1)
  if (CONTROL.test(text)) return { ok: false, problem: 'malformed' }
  return { ok: true, deviceId, secret }
}
