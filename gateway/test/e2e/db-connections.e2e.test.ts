import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ApiClient, seedElders, type SeededDevice } from '../../../test/support/api-client'
import { createPostgresDatabase, type TestDatabase } from '../../../test/support/databases'
import { connectDevice, waitFor } from '../../../test/support/gateway'
import { spawnGateway, type GatewayProcess } from '../../../test/support/gateway-process'
import { key, startQos1Stream } from '../../../test/support/qos1-stream'

/**
 * The database can drop any connection at any moment (server restart, failover,
 * pg_terminate_backend, idle timeouts): the gateway process must stay up, lose nothing it
 * acknowledged, and finish what it was doing once connections come back. A real gateway
 * process, because what used to happen was the process ending on an unheard 'error' event.
 */
const PASSWORD = 'db-connections-password'

interface AlertView {
  id: string
  rule: string
  count: number
  status: string
}

describe('the database drops the gateway’s connections', () => {
  let database: TestDatabase
  let gateway: GatewayProcess
  let api: ApiClient
  let admin: pg.Client
  let exited: number | null | undefined
  let tearingDown = false

  beforeAll(async () => {
    database = await createPostgresDatabase()
    gateway = await spawnGateway({ DATABASE_URL: database.url, EG_ADMIN_PASSWORD: PASSWORD })
    gateway.child.once('exit', (code) => {
      if (tearingDown) return
      exited = code
      // A crash is the failure this suite looks for: show why.
      console.error(`gateway exited with ${code}:\n${gateway.stderr().slice(-4000)}`)
    })
    api = new ApiClient(`http://127.0.0.1:${gateway.httpPort}`)
    await api.login('admin', PASSWORD)
    admin = new pg.Client({ connectionString: database.url })
    await admin.connect()
  })
  afterAll(async () => {
    tearingDown = true
    await admin?.end()
    await gateway?.kill()
    await database?.drop()
  })

  /** Terminates every backend of the gateway's database except `keep` (and this admin connection). */
  async function terminateGateway(keep: number[] = []): Promise<number> {
    const rows = await admin.query<{ ok: boolean }>(
      'SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND NOT (pid = ANY($1::int[]))',
      [keep],
    )
    return rows.rows.filter((r) => r.ok).length
  }

  it('keeps running and stores every acknowledged reading while its connections are killed mid-flush', { timeout: 120_000 }, async () => {
    const devices = await seedElders(api, 10, { prefix: 'flush' })
    const stream = await startQos1Stream({ url: `mqtt://127.0.0.1:${gateway.mqttPort}`, devices, window: 8, startTs: Date.now() - 3_600_000, eventEvery: 20 })
    await waitFor(async () => stream.ackedCount() >= 200, { what: 'traffic before the kills' })
    let kills = 0
    const until = Date.now() + 2_000
    while (Date.now() < until) {
      kills += await terminateGateway()
      await new Promise((resolve) => setTimeout(resolve, 25))
    }
    const afterKills = stream.ackedCount()
    // Acknowledgements resume once connections are back.
    await waitFor(async () => stream.ackedCount() >= afterKills + 200, { what: 'PUBACKs after the kills' })
    await stream.stop()
    expect(kills).toBeGreaterThan(0)
    expect(exited).toBeUndefined()
    const readings = await admin.query<{ device_id: string; ms: number }>('SELECT device_id, (extract(epoch FROM time) * 1000)::int8 AS ms FROM readings')
    const stored = new Set(readings.rows.map((r) => key(r.device_id, Number(r.ms))))
    expect([...stream.acked.readings].filter((k) => !stored.has(k))).toEqual([])
    const events = await admin.query<{ device_id: string; ms: number }>('SELECT device_id, (extract(epoch FROM time) * 1000)::int8 AS ms FROM device_events')
    const storedEvents = new Set(events.rows.map((r) => key(r.device_id, Number(r.ms))))
    expect([...stream.acked.events].filter((k) => !storedEvents.has(k))).toEqual([])
  })

  it('keeps running when an alert transaction waiting on a lock loses its connection, and opens the alert after', { timeout: 120_000 }, async () => {
    const [watch] = (await seedElders(api, 1, { prefix: 'lock' })) as [SeededDevice]
    const device = await connectDevice(`mqtt://127.0.0.1:${gateway.mqttPort}`, watch.id, watch.secret)
    const sos = (ts: number) => device.publishAsync(`eg/v1/${watch.id}/event`, JSON.stringify({ ts, type: 'sos' }), { qos: 1 })
    const alerts = async () => (await api.request<{ items: AlertView[] }>('GET', `/api/v1/alerts?elderId=${watch.elderId}`)).items.filter((a) => a.rule === 'safety.sos')
    const blocker = new pg.Client({ connectionString: database.url })
    await blocker.connect()
    try {
      await sos(Date.now() - 60_000)
      const [first] = await waitFor(async () => ((await alerts()).length === 1 ? await alerts() : undefined), { what: 'the first SOS alert' })
      // An operator's transaction (say) holds the alert row: the next SOS's transaction waits on it.
      await blocker.query('BEGIN')
      await blocker.query('SELECT id FROM alerts WHERE id = $1 FOR UPDATE', [first!.id])
      const blockerPid = (await blocker.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid
      await sos(Date.now() - 30_000)
      await waitFor(async () => {
        const waiting = await admin.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> $1",
          [blockerPid],
        )
        return waiting.rows[0]!.n > 0
      }, { what: 'the alert transaction to wait on the lock' })
      expect(await terminateGateway([blockerPid])).toBeGreaterThan(0)
      await blocker.query('COMMIT')
      // The interrupted finding is retried: the repeat lands once, the process never ended.
      const repeated = await waitFor(async () => (await alerts()).find((a) => a.count === 2), { what: 'the second SOS counted', timeoutMs: 60_000 })
      expect(repeated.id).toBe(first!.id)
      expect(exited).toBeUndefined()
      const health = await waitFor(async () => ((await fetch(`http://127.0.0.1:${gateway.httpPort}/healthz`)).status === 200 ? true : undefined), { what: 'healthy again' })
      expect(health).toBe(true)
    } finally {
      await blocker.end().catch(() => undefined)
      await device.endAsync(true)
    }
  })
})
