import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { WILL_SWEEP_CHANNEL, guardDeadNodeWills, type WillSweep } from '../../src/broker/cluster-wills'
import { createLogger } from '../../src/logger'

/**
 * The dead-node will guard (cluster-wills.ts) with everything around it faked: the persistence
 * aedes sweeps, aedes' publish, and the cluster's liveness and presence views. Each will is
 * judged as it would be in a sweep; the timing in a real cluster is in
 * redis-cluster-young-wills.test.ts and redis-cluster-young-node.e2e.test.ts.
 */
const SELF = 'node-self'
const FRESH = 'node-fresh' // started a moment ago: beats in Redis, no aedes heartbeat yet
const DEAD = 'node-dead'
const LIVE = 'node-live'

interface Will {
  clientId: string
  brokerId: string
  topic: string
  payload: Buffer
  qos: 1
  retain: true
}

const will = (clientId: string, brokerId: string, channel = 'status'): Will => ({
  clientId,
  brokerId,
  topic: `eg/v1/${clientId}/${channel}`,
  payload: Buffer.from('offline'),
  qos: 1,
  retain: true,
})

/** A guarded persistence holding `wills`; `steps` records what happened, in order. */
function setup(wills: Will[], opts: { failPublish?: boolean } = {}) {
  const stored = new Map(wills.map((w) => [`${w.brokerId}:${w.clientId}`, w]))
  const steps: string[] = []
  const livenessReads: string[] = []
  const persistence = {
    streamWill: (_brokers: unknown) => Readable.from([...stored.values()]),
    async delWill(client: { id: string; brokerId: string }) {
      steps.push(`delete ${client.id}`)
      stored.delete(`${client.brokerId}:${client.id}`)
    },
  }
  const aedes = {
    id: SELF,
    publish(packet: { topic: string; payload: Buffer; retain: boolean }, done: (err?: Error) => void) {
      steps.push(`publish ${packet.topic} ${packet.payload.toString()} retain=${packet.retain}`)
      // Completes later, as aedes does once the retained message is stored.
      setTimeout(() => {
        steps.push(`published ${packet.topic}`)
        done(opts.failPublish ? new Error('persistence away') : undefined)
      }, 20)
    },
  }
  // Where devices are connected, as this node sees it: `dead-owned` is still listed under the
  // dead node (its announcement is fresh), `moved` is on a live node, `here` on this one.
  const owners = new Map([
    ['dev-moved', LIVE],
    ['dev-dead-owned', DEAD],
  ])
  const local = new Set(['dev-here'])
  guardDeadNodeWills(persistence, {
    aedes: aedes as unknown as Parameters<typeof guardDeadNodeWills>[1]['aedes'],
    logger: createLogger('silent'),
    async nodeAlive(node) {
      livenessReads.push(node)
      return node === FRESH || node === LIVE
    },
    isLocal: (deviceId) => local.has(deviceId),
    connectedOn: (deviceId) => owners.get(deviceId),
  })
  /** One sweep, as aedes runs it: it drains the stream (which yields nothing to it). */
  const sweep = async () => {
    const yielded = await persistence.streamWill({}).toArray()
    expect(yielded).toEqual([])
  }
  return { stored, steps, livenessReads, sweep }
}

describe('dead-node will guard', () => {
  it("never touches this node's own wills", async () => {
    const t = setup([will('dev-own-1', SELF), will('dev-own-2', SELF, 'telemetry')])
    await t.sweep()
    expect(t.steps).toEqual([])
    expect(t.stored.size).toBe(2)
    expect(t.livenessReads).toEqual([])
  })

  it('leaves the wills of a node with a fresh beat alone, even if aedes has not heard it yet', async () => {
    const t = setup([will('dev-new-1', FRESH), will('dev-new-2', FRESH), will('dev-moved', FRESH)])
    await t.sweep()
    expect(t.steps).toEqual([])
    expect(t.stored.size).toBe(3)
    // Read once per node and sweep, not once per will.
    expect(t.livenessReads).toEqual([FRESH])
  })

  it('drops unsent the will of a dead node whose device is connected on another live node or here', async () => {
    const t = setup([will('dev-moved', DEAD), will('dev-here', DEAD)])
    await t.sweep()
    expect(t.steps).toEqual(['delete dev-moved', 'delete dev-here'])
    expect(t.stored.size).toBe(0)
  })

  it('publishes the status will of a device "connected" only on the dead node, and deletes it after the publish completed', async () => {
    const t = setup([will('dev-dead-owned', DEAD)])
    await t.sweep()
    expect(t.steps).toEqual([
      'publish eg/v1/dev-dead-owned/status offline retain=true',
      'published eg/v1/dev-dead-owned/status',
      'delete dev-dead-owned',
    ])
    expect(t.stored.size).toBe(0)
  })

  it('publishes the status will of a device connected nowhere, and drops unsent a will on any other topic', async () => {
    const t = setup([will('dev-away', DEAD), will('dev-odd', DEAD, 'telemetry')])
    await t.sweep()
    expect(t.steps).toEqual(['publish eg/v1/dev-away/status offline retain=true', 'published eg/v1/dev-away/status', 'delete dev-away', 'delete dev-odd'])
  })

  it('keeps a will whose publish failed, for the next sweep (at least once)', async () => {
    const t = setup([will('dev-away', DEAD)], { failPublish: true })
    await expect(t.sweep()).rejects.toThrow('persistence away')
    expect(t.steps).not.toContain('delete dev-away')
    expect(t.stored.has(`${DEAD}:dev-away`)).toBe(true)
  })

  it('announces every sweep on its diagnostics channel, with the node id', async () => {
    const seen: WillSweep[] = []
    const onSweep = (message: unknown) => seen.push(message as WillSweep)
    subscribe(WILL_SWEEP_CHANNEL, onSweep)
    try {
      const t = setup([])
      await t.sweep()
      await t.sweep()
    } finally {
      unsubscribe(WILL_SWEEP_CHANNEL, onSweep)
    }
    expect(seen).toEqual([{ node: SELF }, { node: SELF }])
  })
})
