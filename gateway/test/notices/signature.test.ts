import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { DEFAULT_BACKOFF, retryDelayMs } from '../../src/retry/backoff'
import { signNotice, verifyNoticeSignature } from '../../src/notices/signature'

describe('notice signature (DESIGN §4)', () => {
  const secret = 'station-secret'
  const body = '{"noticeId":"n1","summary":"老人"}'
  const ts = 1_770_000_000

  it('is sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>', () => {
    const expected = createHmac('sha256', secret).update(`${ts}.${body}`, 'utf8').digest('hex')
    expect(signNotice(secret, ts, body)).toBe(`sha256=${expected}`)
    expect(signNotice(secret, ts, Buffer.from(body))).toBe(`sha256=${expected}`)
  })

  it('verifies a fresh signature and refuses forged, altered, stale and malformed ones', () => {
    const now = ts * 1000 + 30_000
    const good = signNotice(secret, ts, body)
    expect(verifyNoticeSignature(secret, String(ts), good, body, now)).toEqual({ ok: true })
    expect(verifyNoticeSignature('other-secret', String(ts), good, body, now)).toMatchObject({ ok: false, reason: 'signature does not match' })
    expect(verifyNoticeSignature(secret, String(ts), good, `${body} `, now)).toMatchObject({ ok: false })
    // The timestamp is inside the MAC: moving it breaks the signature.
    expect(verifyNoticeSignature(secret, String(ts + 1), good, body, now)).toMatchObject({ ok: false, reason: 'signature does not match' })
    expect(verifyNoticeSignature(secret, String(ts), good, body, ts * 1000 + 5 * 60_000 + 1_000)).toMatchObject({ ok: false, reason: expect.stringContaining('window') })
    expect(verifyNoticeSignature(secret, String(ts), good, body, ts * 1000 - 6 * 60_000)).toMatchObject({ ok: false })
    expect(verifyNoticeSignature(secret, undefined, good, body, now)).toMatchObject({ ok: false })
    expect(verifyNoticeSignature(secret, String(ts), undefined, body, now)).toMatchObject({ ok: false })
    expect(verifyNoticeSignature(secret, String(ts), good.replace('sha256=', 'sha1='), body, now)).toMatchObject({ ok: false })
    expect(verifyNoticeSignature(secret, String(ts), `sha256=${'0'.repeat(64)}`, body, now)).toMatchObject({ ok: false })
  })
})

describe('retry backoff: exponential with full jitter', () => {
  it('grows ×2 from 2 s and caps at 10 min', () => {
    const top = () => 0.999999999
    expect(retryDelayMs(1, DEFAULT_BACKOFF, top)).toBe(1_999)
    expect(retryDelayMs(2, DEFAULT_BACKOFF, top)).toBe(3_999)
    expect(retryDelayMs(3, DEFAULT_BACKOFF, top)).toBe(7_999)
    expect(retryDelayMs(9, DEFAULT_BACKOFF, top)).toBe(511_999)
    expect(retryDelayMs(10, DEFAULT_BACKOFF, top)).toBe(599_999)
    expect(retryDelayMs(5_000, DEFAULT_BACKOFF, top)).toBe(599_999)
  })

  it('draws uniformly below the ceiling (full jitter, may be zero)', () => {
    expect(retryDelayMs(4, DEFAULT_BACKOFF, () => 0)).toBe(0)
    expect(retryDelayMs(4, DEFAULT_BACKOFF, () => 0.5)).toBe(8_000)
    for (let attempts = 1; attempts < 40; attempts++) {
      const delay = retryDelayMs(attempts)
      expect(delay).toBeGreaterThanOrEqual(0)
      expect(delay).toBeLessThan(Math.min(600_000, 2_000 * 2 ** (attempts - 1)))
    }
  })
})
