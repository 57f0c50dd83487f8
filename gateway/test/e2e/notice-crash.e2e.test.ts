import { createHmac, timingSafeEqual } from 'node:crypto'
import http from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ApiClient, seedElders, type SeededDevice } from '../../../test/support/api-client'
import { createPostgresDatabase, type TestDatabase } from '../../../test/support/databases'
import { connectDevice, waitFor } from '../../../test/support/gateway'
import { spawnGateway, type GatewayProcess } from '../../../test/support/gateway-process'

/**
 * Issue 4, crash safety: the police notice is committed with the red alert (transactional
 * outbox). The station hangs on the first delivery, the gateway is killed with SIGKILL while
 * that POST is in flight, and after a restart the notice is delivered — once per
 * Idempotency-Key at a station that honours it — correctly signed.
 */
interface Received {
  key: string
  body: string
  signatureOk: boolean
}

const SECRET = 'station-secret-for-crash-test'

function verify(timestamp: string, body: string, signature: string): boolean {
  const expected = Buffer.from(`sha256=${createHmac('sha256', SECRET).update(`${timestamp}.${body}`).digest('hex')}`)
  const given = Buffer.from(signature)
  return given.length === expected.length && timingSafeEqual(given, expected)
}

describe('a police notice survives SIGKILL between the alert and the delivery', () => {
  let database: TestDatabase
  let gateway: GatewayProcess | undefined
  let station: http.Server
  let stationUrl: string
  let hang = true
  const received: Received[] = []
  const accepted = new Set<string>()
  const env = () => ({ DATABASE_URL: database.url, EG_ADMIN_PASSWORD: 'notice-crash-password', EG_NOTICE_TIMEOUT_MS: '2000' })

  beforeAll(async () => {
    database = await createPostgresDatabase()
    station = http.createServer((req, res) => {
      let body = ''
      req.on('data', (c: Buffer) => (body += c.toString()))
      req.on('end', () => {
        const key = String(req.headers['idempotency-key'])
        received.push({
          key,
          body,
          signatureOk: verify(String(req.headers['x-eldergate-timestamp']), body, String(req.headers['x-eldergate-signature'])),
        })
        if (hang) return // never answers: the gateway is killed while waiting
        accepted.add(key)
        res.writeHead(200).end('{"ok":true}')
      })
    })
    await new Promise<void>((r) => station.listen(0, '127.0.0.1', r))
    stationUrl = `http://127.0.0.1:${(station.address() as { port: number }).port}/notices`
  })
  afterAll(async () => {
    await gateway?.kill()
    station?.closeAllConnections()
    await new Promise((r) => station?.close(r))
    await database?.drop()
  })

  it('delivers after restart, once per key, signed', { timeout: 120_000 }, async () => {
    gateway = await spawnGateway(env())
    let api = new ApiClient(`http://127.0.0.1:${gateway.httpPort}`)
    await api.login('admin', 'notice-crash-password')
    const stationId = (await api.request<{ id: string }>('POST', '/api/v1/police-stations', { name: '城关派出所', webhookUrl: stationUrl, secret: SECRET, format: 'json' })).id
    const [watch] = (await seedElders(api, 1)) as [SeededDevice]
    await api.request('PATCH', `/api/v1/elders/${watch.elderId}`, { policeStationId: stationId, phone: '13800000000', address: '城关镇幸福路1号' })
    const client = await connectDevice(`mqtt://127.0.0.1:${gateway.mqttPort}`, watch.id, watch.secret)
    await client.publishAsync(`eg/v1/${watch.id}/event`, JSON.stringify({ ts: Date.now(), type: 'sos' }), { qos: 1 })
    await client.endAsync()

    // The first delivery reaches the station, which holds it; now the gateway dies.
    await waitFor(async () => received.length > 0, { what: 'first delivery attempt', timeoutMs: 30_000 })
    await gateway.kill('SIGKILL')
    hang = false

    gateway = await spawnGateway(env())
    api = new ApiClient(`http://127.0.0.1:${gateway.httpPort}`)
    await api.login('admin', 'notice-crash-password')
    await waitFor(async () => accepted.size > 0, { what: 'delivery after restart', timeoutMs: 60_000 })
    const notices = await waitFor(async () => {
      const list = await api.request<{ items: Array<{ id: string; status: string; audience: string }> }>('GET', '/api/v1/notices')
      return list.items.some((n) => n.status === 'delivered') ? list.items : null
    }, { what: 'notice marked delivered' })

    const police = notices.filter((n) => n.audience === 'police')
    expect(police).toHaveLength(1)
    // Every attempt carried the same key, the notice's id, and a valid signature.
    expect(new Set(received.map((r) => r.key))).toEqual(new Set([police[0]!.id]))
    expect(received.every((r) => r.signatureOk)).toBe(true)
    expect(accepted.size).toBe(1)
    const body = JSON.parse(received.at(-1)!.body) as Record<string, unknown>
    expect(body).toMatchObject({ noticeId: police[0]!.id, level: 'red', rule: 'safety.sos', elder: { phone: '13800000000', address: '城关镇幸福路1号' } })
  })
})
