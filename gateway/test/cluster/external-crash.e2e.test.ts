import { afterAll, describe, expect, it } from 'vitest'
import { leaseHolders } from '../../src/cluster/index'
import { seedElders, type SeededDevice } from '../../../test/support/api-client'
import { ADMIN_PASSWORD, type TestGateway } from '../../../test/support/gateway'
import { spawnGateway, type GatewayProcess } from '../../../test/support/gateway-process'
import { createPostgresDatabase, type TestDatabase } from '../../../test/support/databases'
import { CLUSTER_URL, alertSummary, connectToCluster, receivedBy, startWorker, storedRows, uniqueShareGroup, waitFor } from './external-harness'

/**
 * A rule worker killed with SIGKILL (no shutdown, no lease given back): after its lease runs
 * out the surviving worker takes the tenant, rebuilds the engine from the checkpoint plus the
 * stored readings, evaluates what comes next, and raises nothing twice.
 */
describe('external-broker mode: the rule worker crashes', () => {
  let database: TestDatabase
  let crashed: GatewayProcess | undefined
  let survivor: TestGateway | undefined

  afterAll(async () => {
    await crashed?.kill()
    await survivor?.stop()
    await database?.drop()
  })

  const workerEnv = (group: string, extra: Record<string, string> = {}) => ({
    EG_BROKER: 'external',
    EG_MQTT_URL: CLUSTER_URL,
    EG_SHARE_GROUP: group,
    EG_CLOCK: 'event',
    EG_LEASE_TTL_MS: '3000',
    EG_FEED_POLL_MS: '100',
    DATABASE_URL: database.url,
    EG_ADMIN_PASSWORD: ADMIN_PASSWORD,
    ...extra,
  })

  async function pressSos(watch: SeededDevice): Promise<void> {
    const client = await connectToCluster(watch)
    await client.publishAsync(`eg/v1/${watch.id}/event`, JSON.stringify({ ts: Date.now() - 1_000, type: 'sos' }), { qos: 1 })
    await client.endAsync()
  }
  const sosAlerts = async (t: TestGateway, elderId: string) => (await alertSummary(t, elderId)).filter((s) => s.startsWith('safety.sos:'))

  it('moves the tenant after the lease TTL and keeps every alert exactly once', { timeout: 120_000 }, async () => {
    database = await createPostgresDatabase()
    const group = uniqueShareGroup()
    // Registry first, through a worker that then leaves, so the process below leads the tenant.
    const setup = await startWorker(database, group)
    const [first, second] = (await seedElders(setup.api, 2)) as [SeededDevice, SeededDevice]
    await setup.stop()

    crashed = await spawnGateway(workerEnv(group))
    survivor = await startWorker(database, group)
    const tenantId = survivor.gateway.tenantId
    const holder = (await leaseHolders(survivor.gateway.db)).get(tenantId)
    expect(holder).toBeDefined()
    expect(holder).not.toBe(survivor.gateway.cluster!.workerId)

    await pressSos(first)
    const t = survivor
    await waitFor(async () => (await sosAlerts(t, first.elderId)).length === 1, { what: 'the SOS raised by the process that leads' })

    await crashed.kill('SIGKILL')
    crashed = undefined
    await waitFor(async () => t.gateway.cluster!.owns(tenantId), { what: 'the lease taken over after its TTL', timeoutMs: 30_000 })

    await pressSos(second)
    await waitFor(async () => (await sosAlerts(t, second.elderId)).length === 1, { what: 'the SOS raised by the surviving worker' })
    // The take-over replayed what was stored since the dead worker's checkpoint, the first SOS
    // included: still one alert, seen once.
    await t.gateway.settle()
    expect(await sosAlerts(t, first.elderId)).toEqual(['safety.sos:red:1'])
  })

  it('gives a worker restarted under the same EG_WORKER_ID what the cluster queued for it while it was dead', { timeout: 120_000 }, async () => {
    const group = uniqueShareGroup()
    const workerId = `egtest-stable-${group}`
    const t = survivor!
    await t.stop()
    survivor = await startWorker(database, group)
    crashed = await spawnGateway(workerEnv(group, { EG_WORKER_ID: workerId }))
    const [watch] = (await seedElders(survivor.api, 1, { prefix: 'stable' })) as [SeededDevice]
    await crashed.kill('SIGKILL')
    crashed = undefined

    const client = await connectToCluster(watch)
    const total = 20
    const t0 = Date.now() - 600_000
    for (let n = 0; n < total; n++) {
      await client.publishAsync(`eg/v1/${watch.id}/telemetry`, JSON.stringify({ ts: t0 + n * 1_000, hr: 60 + n }), { qos: 1 })
    }
    await client.endAsync()
    const live = survivor

    crashed = await spawnGateway(workerEnv(group, { EG_WORKER_ID: workerId }))
    await waitFor(async () => (await storedRows(live.gateway.db, [watch.id])) === total, { what: 'every reading stored' })
    const metrics = await (await fetch(`http://127.0.0.1:${crashed.httpPort}/metrics`)).text()
    const resumed = Number(/eg_cluster_messages_received_total\{channel="telemetry"\} (\d+)/.exec(metrics)?.[1] ?? 0)
    // The dead worker's session stayed in the group and the broker queued its share there.
    expect(resumed).toBeGreaterThan(0)
    expect(resumed + receivedBy(live)).toBe(total)
  })
})
