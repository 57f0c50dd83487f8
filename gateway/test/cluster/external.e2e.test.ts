import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { seedElders, type SeededDevice } from '../../../test/support/api-client'
import { connectDevice, startTestGateway, type TestGateway } from '../../../test/support/gateway'
import { createPostgresDatabase, type TestDatabase } from '../../../test/support/databases'
import {
  alertSummary,
  connectToCluster,
  publishElderScenario,
  receivedBy,
  scenarioPlaces,
  startWorker,
  storedRows,
  uniqueShareGroup,
  waitFor,
  type ElderScenario,
} from './external-harness'

/**
 * Issue 7, item 3 end to end: two gateway workers in EG_BROKER=external mode on the real
 * Mosquitto (shared subscriptions, round-robin) and one PostgreSQL database.
 */
describe('external-broker mode: two workers behind Mosquitto', () => {
  let database: TestDatabase
  let a: TestGateway
  let b: TestGateway
  let devices: SeededDevice[]

  beforeAll(async () => {
    database = await createPostgresDatabase()
    const group = uniqueShareGroup()
    a = await startWorker(database, group)
    b = await startWorker(database, group)
    devices = await seedElders(b.api, 3, { cameras: true, prefix: 'cluster' })
  })
  const stopped = new Set<TestGateway>()
  afterAll(async () => {
    for (const w of [a, b]) if (w && !stopped.has(w)) await w.stop()
    await database?.drop()
  })

  const settleAll = async () => {
    // Every writer first, then the lease holder's catch-up read: order matters.
    await Promise.all([a, b].map((w) => w.gateway.settle()))
    await Promise.all([a, b].map((w) => w.gateway.settle()))
  }

  // First: under EG_CLOCK=event the tenant's rule clock is its newest event time, so later
  // tests' readings (stamped today) would move it and change time-based findings.
  it('raises the same alerts as a single embedded gateway when one elder’s watch and camera land on different workers', async () => {
    const [watch, camera] = devices.slice(4, 6) as [SeededDevice, SeededDevice]
    expect([watch.kind, camera.kind, watch.elderId === camera.elderId]).toEqual(['watch', 'camera', true])
    const places = scenarioPlaces(watch.home)
    // Created through the worker that does NOT lead the tenant: the leader must still see them.
    const follower = a.gateway.cluster?.owns(a.gateway.tenantId) ? b : a
    await follower.api.request('POST', '/api/v1/venues', { name: '保健品讲座', kind: 'sales', ...places.lectureHall, radiusM: 80 })
    await follower.api.request('POST', '/api/v1/venues', { name: '菜市场', kind: 'other', ...places.market, radiusM: 80 })
    await settleAll()

    const ids = [watch.id, camera.id]
    const base = await storedRows(a.gateway.db, ids)
    const receivedBefore = [receivedBy(a), receivedBy(b)]
    await publishElderScenario({ watch, camera, ...places }, connectToCluster, async (rows) => {
      await waitFor(async () => (await storedRows(a.gateway.db, ids)) === base + rows, { what: 'the day stored' })
      await settleAll()
    })
    expect(receivedBy(a)).toBeGreaterThan(receivedBefore[0]!)
    expect(receivedBy(b)).toBeGreaterThan(receivedBefore[1]!)
    const clustered = await alertSummary(a, watch.elderId)

    const reference = await singleGatewayRun()
    expect(clustered).toEqual(reference)
    expect(clustered.some((s) => s.startsWith('venue.repeat:'))).toBe(true)
    expect(clustered.some((s) => s.startsWith('safety.sos:red'))).toBe(true)
  })

  it('gives every reading to exactly one worker, both take a share, and each is stored once', async () => {
    const before = receivedBy(a) + receivedBy(b)
    const perDevice = 15
    // Elders 0 and 1 only: elder 2 keeps a clean history for the rule scenario below.
    const sample = devices.slice(0, 4)
    const clients = await Promise.all(sample.map((d) => connectToCluster(d)))
    const t0 = Date.now() - 3_600_000
    await Promise.all(
      clients.map(async (client, i) => {
        const device = sample[i]!
        for (let n = 0; n < perDevice; n++) {
          const ts = t0 + n * 60_000
          const reading = device.kind === 'watch' ? { ts, hr: 70 + n, bat: 90 } : { ts, presence: true, persons: 1 }
          await client.publishAsync(`eg/v1/${device.id}/telemetry`, JSON.stringify(reading), { qos: 1 })
        }
      }),
    )
    await Promise.all(clients.map((c) => c.endAsync()))
    const total = sample.length * perDevice
    const ids = sample.map((d) => d.id)
    await waitFor(async () => (await storedRows(a.gateway.db, ids)) === total, { what: `${total} stored readings` })
    // Stored exactly once is also what the unique index enforces; received exactly once is not.
    expect(receivedBy(a) + receivedBy(b) - before).toBe(total)
    expect(receivedBy(a)).toBeGreaterThan(0)
    expect(receivedBy(b)).toBeGreaterThan(0)
    // Exactly one worker leads the tenant's rules.
    const owners = [a, b].filter((w) => w.gateway.cluster?.owns(w.gateway.tenantId))
    expect(owners).toHaveLength(1)
  })

  it('delivers a voice prompt issued through one worker’s API to a device subscribed at the cluster', async () => {
    const device = devices[0]!
    const client = await connectToCluster(device)
    try {
      const commands: Array<{ id: string; text: string }> = []
      client.on('message', (_topic, payload) => commands.push(JSON.parse(payload.toString()) as { id: string; text: string }))
      await client.subscribeAsync(`eg/v1/${device.id}/cmd`, { qos: 1 })
      // Online as DESIGN §3 says it: the retained status every worker subscribes to.
      await client.publishAsync(`eg/v1/${device.id}/status`, 'online', { qos: 1, retain: true })
      await waitFor(async () => a.gateway.broker.isConnected(device.id) && b.gateway.broker.isConnected(device.id), { what: 'device online on both workers' })
      const { commandId } = await b.api.request<{ commandId: string }>('POST', `/api/v1/devices/${device.id}/voice`, { text: '您好，请注意防范诈骗。' })
      const command = await waitFor(async () => commands.find((c) => c.id === commandId), { what: 'the command at the device' })
      expect(command.text).toBe('您好，请注意防范诈骗。')
    } finally {
      // Clear the retained status so no later run inherits it.
      await client.publishAsync(`eg/v1/${device.id}/status`, '', { qos: 1, retain: true })
      await client.endAsync()
    }
  })

  it('moves the tenant to the surviving worker when the leader stops, and keeps evaluating', async () => {
    const leader = a.gateway.cluster?.owns(a.gateway.tenantId) ? a : b
    const survivor = leader === a ? b : a
    await leader.stop()
    stopped.add(leader)
    // The leader gave its lease back on close; the survivor's own renewal timer picks it up.
    await waitFor(async () => survivor.gateway.cluster!.owns(survivor.gateway.tenantId), { what: 'the lease taken over' })

    const watch = devices[2]!
    const client = await connectToCluster(watch)
    await client.publishAsync(`eg/v1/${watch.id}/event`, JSON.stringify({ ts: Date.now() - 60_000, type: 'sos' }), { qos: 1 })
    await client.endAsync()
    const alerts = await waitFor(
      async () => {
        const summary = await alertSummary(survivor, watch.elderId)
        return summary.some((s) => s.startsWith('safety.sos:')) ? summary : null
      },
      { what: 'the SOS evaluated by the surviving worker' },
    )
    expect(alerts.filter((s) => s.startsWith('safety.sos:'))).toHaveLength(1)
  })
})

/** The same scenario on a fresh database through one gateway with its embedded broker. */
async function singleGatewayRun(): Promise<string[]> {
  const single = await startTestGateway({ env: { EG_CLOCK: 'event' } })
  try {
    const [watch, camera] = (await seedElders(single.api, 1, { cameras: true })) as [SeededDevice, SeededDevice]
    const places = scenarioPlaces(watch.home)
    await single.api.request('POST', '/api/v1/venues', { name: '保健品讲座', kind: 'sales', ...places.lectureHall, radiusM: 80 })
    await single.api.request('POST', '/api/v1/venues', { name: '菜市场', kind: 'other', ...places.market, radiusM: 80 })
    const scenario: ElderScenario = { watch, camera, ...places }
    const ids = [watch.id, camera.id]
    await publishElderScenario(scenario, (d) => connectDevice(single.mqttUrl, d.id, d.secret), async (rows) => {
      await waitFor(async () => (await storedRows(single.gateway.db, ids)) === rows, { what: 'the day stored (single gateway)' })
      await single.gateway.settle()
    })
    return await alertSummary(single, watch.elderId)
  } finally {
    await single.stop()
    await single.drop()
  }
}
