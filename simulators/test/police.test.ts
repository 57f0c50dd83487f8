import { readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { parseCapNotice, parseNotice, NoticeParseError } from '../src/police/notice-parse'
import { NoticeReceiver } from '../src/police/receiver'
import { sign, verifyAny, verifySignature } from '../src/police/signature'

const SECRET = 'station-secret-0123456789'
const NOW = Date.parse('2026-11-03T10:00:00Z')
const ts = Math.floor(NOW / 1000)
const capXml = readFileSync(new URL('./fixtures/notice.cap.xml', import.meta.url), 'utf8')

describe('verifySignature', () => {
  const body = '{"noticeId":"n1"}'
  const headers = (timestamp: number, signature = sign(SECRET, timestamp, body)) => ({ timestamp: String(timestamp), signature })

  it('accepts a fresh signature over timestamp.body', () => {
    expect(verifySignature(SECRET, headers(ts), body, NOW)).toEqual({ ok: true })
  })

  it('refuses a forged one: other secret, other body, or a timestamp swapped after signing', () => {
    expect(verifySignature(SECRET, headers(ts, sign('another-secret-123456', ts, body)), body, NOW)).toEqual({ ok: false, reason: 'forged' })
    expect(verifySignature(SECRET, headers(ts), '{"noticeId":"n2"}', NOW)).toEqual({ ok: false, reason: 'forged' })
    expect(verifySignature(SECRET, { timestamp: String(ts + 1), signature: sign(SECRET, ts, body) }, body, NOW)).toEqual({ ok: false, reason: 'forged' })
  })

  it('refuses a stale or future timestamp even when correctly signed', () => {
    expect(verifySignature(SECRET, headers(ts - 301), body, NOW)).toEqual({ ok: false, reason: 'stale' })
    expect(verifySignature(SECRET, headers(ts + 301), body, NOW)).toEqual({ ok: false, reason: 'stale' })
    expect(verifySignature(SECRET, headers(ts - 299), body, NOW)).toEqual({ ok: true })
  })

  it('refuses missing and malformed headers', () => {
    expect(verifySignature(SECRET, { timestamp: undefined, signature: 'sha256=00' }, body, NOW)).toEqual({ ok: false, reason: 'missing' })
    expect(verifySignature(SECRET, { timestamp: String(ts), signature: 'md5=abc' }, body, NOW)).toEqual({ ok: false, reason: 'malformed' })
  })

  it('finds which of several secrets signed (the receipt is signed with it)', () => {
    expect(verifyAny(['a'.repeat(16), SECRET], headers(ts), Buffer.from(body), NOW)).toEqual({ ok: true, secret: SECRET })
  })
})

describe('CAP 1.2 parsing', () => {
  it('reads the eldergate fields from an alert as the gateway renders it', () => {
    expect(parseCapNotice(capXml)).toEqual({
      noticeId: 'n-123', format: 'cap', level: 'red', rule: 'money.bank_after_venue', elderName: '王秀英', elderId: 'el-7',
      summary: '王秀英在48小时内3次到访保健品推销场所后，于 2026-11-03 10:04 (UTC+08:00) 前往「城关农商银行」，疑似被骗转账或购买理财产品。',
      receiptUrl: 'http://127.0.0.1:8080/api/v1/notices/n-123/receipt',
      sentAt: '2026-11-03T10:05:00+08:00', location: { lat: 30.7522, lon: 120.7585 },
      language: 'zh-CN', localTime: '2026-11-03 10:04 (UTC+08:00)', place: '城关农商银行（王秀英的手表定位，距家约1.2公里）',
      contact: '城关智慧养老服务中心 0573-88880000',
    })
    expect(parseNotice(capXml, 'application/cap+xml').format).toBe('cap')
  })

  it('refuses XML that is not CAP 1.2, and broken XML', () => {
    expect(() => parseCapNotice(capXml.replace('cap:1.2', 'cap:1.1'))).toThrow(NoticeParseError)
    expect(() => parseCapNotice('<alert><identifier>x</alert>')).toThrow(/well-formed/)
    expect(() => parseCapNotice(capXml.replace(/<identifier>.*<\/identifier>/, ''))).toThrow(/identifier/)
  })
})

describe('NoticeReceiver over HTTP', () => {
  const closers: Array<() => Promise<void>> = []
  afterEach(async () => {
    while (closers.length) await closers.pop()?.()
  })

  const notice = (id: string, receiptUrl?: string) => JSON.stringify({ noticeId: id, alertId: 'a1', level: 'red', rule: 'safety.sos', summary: 'SOS pressed', elder: { name: '李桂英' }, ...(receiptUrl ? { receiptUrl } : {}) })
  const post = (port: number, body: string, opts: { key?: string; secret?: string; path?: string } = {}) => {
    const t = Math.floor(Date.now() / 1000)
    return fetch(`http://127.0.0.1:${port}${opts.path ?? '/police'}`, {
      method: 'POST', body,
      headers: { 'content-type': 'application/json', 'x-eldergate-timestamp': String(t), 'x-eldergate-signature': sign(opts.secret ?? SECRET, t, body), ...(opts.key ? { 'idempotency-key': opts.key } : {}) },
    })
  }
  async function start(opts: Partial<ConstructorParameters<typeof NoticeReceiver>[0]> = {}) {
    const receiver = new NoticeReceiver({ port: 0, secrets: new Map([['/police', [SECRET]]]), ...opts })
    const port = await receiver.listen()
    closers.push(() => receiver.close())
    return { receiver, port }
  }

  it('stores a signed notice once, answers a repeated Idempotency-Key 200 without counting it, refuses a forgery', async () => {
    const { receiver, port } = await start()
    expect((await post(port, notice('n1'), { key: 'n1' })).status).toBe(200)
    expect((await post(port, notice('n1'), { key: 'n1' })).status).toBe(200)
    expect((await post(port, notice('n2'), { secret: 'not-the-station-secret' })).status).toBe(401)
    const list = (await (await fetch(`http://127.0.0.1:${port}/notices`)).json()) as { total: number; items: Array<{ noticeId: string; duplicates: number; level: string }> }
    expect(list.total).toBe(1)
    expect(list.items[0]).toMatchObject({ noticeId: 'n1', duplicates: 1, level: 'red' })
    expect(receiver.stats).toMatchObject({ received: 1, duplicates: 1, refused: { forged: 1 } })
  })

  it('fails the first N deliveries with 503 so the gateway retries', async () => {
    const { receiver, port } = await start({ failFirst: 2 })
    const statuses = []
    for (let i = 0; i < 3; i++) statuses.push((await post(port, notice('n1'), { key: 'n1' })).status)
    expect(statuses).toEqual([503, 503, 200])
    expect(receiver.notices).toHaveLength(1)
  })

  it('sends a receipt signed with the notice secret to receiptUrl', async () => {
    const receipts: Array<{ url: string; ok: boolean; body: string }> = []
    const gateway = createServer((req, res) => {
      let body = ''
      req.on('data', (c: Buffer) => (body += c.toString()))
      req.on('end', () => {
        const verdict = verifySignature(SECRET, { timestamp: req.headers['x-eldergate-timestamp'] as string, signature: req.headers['x-eldergate-signature'] as string }, body, Date.now())
        receipts.push({ url: req.url ?? '', ok: verdict.ok, body })
        res.writeHead(200).end('{}')
      })
    })
    await new Promise<void>((r) => gateway.listen(0, '127.0.0.1', r))
    closers.push(() => new Promise((r) => gateway.close(() => r())))
    const gatewayUrl = `http://127.0.0.1:${(gateway.address() as AddressInfo).port}`
    const { receiver, port } = await start({ receipts: true, gatewayUrl })
    // A relative receiptUrl is resolved against the gateway URL.
    await post(port, notice('n7', '/api/v1/notices/n7/receipt'))
    const deadline = Date.now() + 5_000
    while (!receiver.notices[0]?.receipt && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10))
    expect(receipts).toHaveLength(1)
    expect(receipts[0]).toMatchObject({ url: '/api/v1/notices/n7/receipt', ok: true })
    expect(JSON.parse(receipts[0]!.body)).toEqual({ status: 'received', caseNumber: receiver.notices[0]!.caseNumber })
    expect(receiver.notices[0]!.receipt).toEqual({ ok: true, status: 200 })
  })
})
