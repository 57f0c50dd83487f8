import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { NoticeParseError, parseNotice, type ReceivedNotice } from './notice-parse'
import { sendReceipt, type ReceiptOutcome } from './receipt'
import { IDEMPOTENCY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, verifyAny } from './signature'

/**
 * A police station's (and families') webhook endpoint, as a real one would behave: checks the
 * signature and its freshness, parses JSON or CAP 1.2, answers a repeated Idempotency-Key with
 * 200 without counting it again, can fail the first N deliveries to show the gateway's retries,
 * and sends a signed receipt back when asked. `GET /notices` lists what arrived (for tests and
 * the evaluator).
 */
export interface StoredNotice extends ReceivedNotice {
  audience: 'police' | 'family'
  path: string
  idempotencyKey: string
  receivedAt: string
  /** Deliveries of this notice that reached us after the first (duplicates answered 200). */
  duplicates: number
  caseNumber?: string
  receipt?: ReceiptOutcome
}

export interface ReceiverStats {
  received: number
  duplicates: number
  refused: Record<string, number>
  failedOnPurpose: number
  unparseable: number
}

export interface ReceiverOptions {
  port: number
  host?: string
  /** Secrets by request path (`/police`, `/family/e001`); `*` applies to every path. */
  secrets: ReadonlyMap<string, readonly string[]>
  failFirst?: number
  receipts?: boolean
  /** Base for a relative receiptUrl. */
  gatewayUrl?: string
  maxSkewS?: number
  clock?: () => number
  onNotice?: (notice: StoredNotice) => void
  onRefused?: (path: string, reason: string) => void
}

/** Notices are a few KB; a 1 MB body is not a notice. */
const BODY_LIMIT = 1_048_576

export class NoticeReceiver {
  readonly notices: StoredNotice[] = []
  readonly stats: ReceiverStats = { received: 0, duplicates: 0, refused: {}, failedOnPurpose: 0, unparseable: 0 }
  private readonly byKey = new Map<string, StoredNotice>()
  private readonly server: Server
  private caseSeq = 0
  private readonly receiptsInFlight = new Set<Promise<void>>()

  constructor(private readonly opts: ReceiverOptions) {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: Error) => reply(res, 500, { error: err.message }))
    })
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject)
      this.server.listen(this.opts.port, this.opts.host ?? '127.0.0.1', () => resolve())
    })
    return (this.server.address() as AddressInfo).port
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.receiptsInFlight])
    this.server.closeAllConnections()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] ?? '/'
    if (req.method === 'GET' && path === '/notices') return reply(res, 200, { items: this.notices, total: this.notices.length, stats: this.stats })
    if (req.method === 'GET' && path === '/healthz') return reply(res, 200, { ok: true })
    if (req.method !== 'POST') return reply(res, 405, { error: 'POST a notice, or GET /notices' })

    const body = await readBody(req)
    if (body === null) return reply(res, 413, { error: 'body too large' })
    const secrets = this.opts.secrets.get(path) ?? this.opts.secrets.get('*') ?? []
    const verdict = verifyAny(secrets, { timestamp: header(req, TIMESTAMP_HEADER), signature: header(req, SIGNATURE_HEADER) }, body, (this.opts.clock ?? Date.now)(), this.opts.maxSkewS)
    if (!verdict.ok) {
      this.stats.refused[verdict.reason] = (this.stats.refused[verdict.reason] ?? 0) + 1
      this.opts.onRefused?.(path, verdict.reason)
      return reply(res, 401, { error: `signature ${verdict.reason}` })
    }
    if (this.stats.failedOnPurpose < (this.opts.failFirst ?? 0)) {
      // A station that is down for a moment: the gateway must retry with backoff.
      this.stats.failedOnPurpose++
      return reply(res, 503, { error: `failing on purpose (${this.stats.failedOnPurpose}/${this.opts.failFirst})` })
    }
    let notice: ReceivedNotice
    try {
      notice = parseNotice(body.toString('utf8'), header(req, 'content-type'))
    } catch (err) {
      if (!(err instanceof NoticeParseError)) throw err
      this.stats.unparseable++
      return reply(res, 400, { error: err.message })
    }
    const key = header(req, IDEMPOTENCY_HEADER) ?? notice.noticeId
    const seen = this.byKey.get(key)
    if (seen) {
      seen.duplicates++
      this.stats.duplicates++
      return reply(res, 200, { status: 'duplicate', noticeId: seen.noticeId, caseNumber: seen.caseNumber })
    }
    const stored: StoredNotice = {
      ...notice, audience: path.startsWith('/family') ? 'family' : 'police', path, idempotencyKey: key,
      receivedAt: new Date().toISOString(), duplicates: 0,
    }
    if (stored.audience === 'police') stored.caseNumber = `JJ${new Date().toISOString().slice(0, 10).replace(/-/g, '')}${String(++this.caseSeq).padStart(4, '0')}`
    this.byKey.set(key, stored)
    this.notices.push(stored)
    this.stats.received++
    reply(res, 200, { status: 'received', noticeId: stored.noticeId, caseNumber: stored.caseNumber })
    this.opts.onNotice?.(stored)
    if (this.opts.receipts && stored.receiptUrl) {
      const task = sendReceipt(stored, verdict.secret, this.opts.gatewayUrl).then((outcome) => {
        stored.receipt = outcome
      })
      const tracked = task.finally(() => this.receiptsInFlight.delete(tracked))
      this.receiptsInFlight.add(tracked)
    }
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name]
  return Array.isArray(v) ? v[0] : v
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' })
  res.end(JSON.stringify(body))
}

async function readBody(req: IncomingMessage): Promise<Buffer | null> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > BODY_LIMIT) return null
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks)
}
