import { createHmac, timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

/**
 * A police station (or family webhook) for tests: a real HTTP server that checks each
 * notice's signature on its own (node:crypto, not the gateway's code) and answers from a
 * script — so a test can say "500 three times, then 200" per Idempotency-Key.
 */
export interface ReceivedNotice {
  idempotencyKey: string
  timestamp: number
  signatureValid: boolean
  contentType: string
  body: string
  answered: number
}

export interface TestStation {
  url: string
  received: ReceivedNotice[]
  close(): Promise<void>
}

function verify(secret: string, headers: IncomingHttpHeaders, body: string): boolean {
  const timestamp = String(headers['x-eldergate-timestamp'] ?? '')
  const signature = String(headers['x-eldergate-signature'] ?? '')
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`)
  const given = Buffer.from(signature)
  return given.length === expected.length && timingSafeEqual(given, expected)
}

export async function startStation(
  secret: string,
  answer: (notice: Omit<ReceivedNotice, 'answered'>, attemptForKey: number) => number | 'hang',
): Promise<TestStation> {
  const received: ReceivedNotice[] = []
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8')
      const notice = {
        idempotencyKey: String(req.headers['idempotency-key'] ?? ''),
        timestamp: Number(req.headers['x-eldergate-timestamp']),
        signatureValid: verify(secret, req.headers, body),
        contentType: String(req.headers['content-type'] ?? ''),
        body,
      }
      const attempt = received.filter((r) => r.idempotencyKey === notice.idempotencyKey).length + 1
      // A station refuses what it cannot verify; the gateway must treat that as a failure.
      const status = notice.signatureValid ? answer(notice, attempt) : 401
      if (status === 'hang') {
        received.push({ ...notice, answered: 0 })
        return
      }
      received.push({ ...notice, answered: status })
      res.writeHead(status, { 'content-type': 'text/plain' })
      res.end(status >= 300 ? `station error ${status}` : 'ok')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/eldergate`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
