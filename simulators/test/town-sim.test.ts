import { describe, expect, it } from 'vitest'
import { DAY_MS } from '../src/core/clock'
import type { Connector } from '../src/devices/transport'
import { TownSim } from '../src/run/town-sim'
import { DAY0, testTown } from './helpers'

/** Records every reading and event body per device, arrays flattened, as the broker would see them. */
function recordingConnector(): { connector: Connector; bodies: Map<string, string[]> } {
  const bodies = new Map<string, string[]>()
  const connector: Connector = async (device) => ({
    async publish(topic, payload) {
      if (!topic.endsWith('/telemetry') && !topic.endsWith('/event')) return
      const parsed = JSON.parse(payload) as unknown
      const list = bodies.get(device.id) ?? []
      for (const body of Array.isArray(parsed) ? parsed : [parsed]) list.push(`${topic} ${JSON.stringify(body)}`)
      bodies.set(device.id, list)
    },
    onLost: () => undefined,
    drop: () => undefined,
    end: async () => undefined,
  })
  return { connector, bodies }
}

async function simulate(seed: number): Promise<{ bodies: Map<string, string[]>; buffered: number }> {
  const { connector, bodies } = recordingConnector()
  const sim = new TownSim({ town: testTown(3), mqttUrl: 'mqtt://unused', seed, speed: 2_000_000, days: 2, start: DAY0, connector, tickMs: 1 })
  await sim.startRun()
  const summary = await sim.done()
  await sim.stop()
  for (const list of bodies.values()) list.sort()
  return { bodies, buffered: summary.buffered }
}

describe('TownSim', () => {
  it('sends the same readings and events at the same event times for the same seed', async () => {
    const a = await simulate(42)
    const b = await simulate(42)
    expect(a.buffered).toBeGreaterThan(0)
    expect([...b.bodies.entries()]).toEqual([...a.bodies.entries()])
    const c = await simulate(43)
    expect([...c.bodies.entries()]).not.toEqual([...a.bodies.entries()])
  })

  it('keeps every event time inside the run window', async () => {
    const { bodies } = await simulate(42)
    for (const list of bodies.values()) {
      for (const line of list) {
        const ts = (JSON.parse(line.slice(line.indexOf(' ') + 1)) as { ts: number }).ts
        expect(ts).toBeGreaterThanOrEqual(DAY0)
        expect(ts).toBeLessThan(DAY0 + 2 * DAY_MS)
      }
    }
  })
})
