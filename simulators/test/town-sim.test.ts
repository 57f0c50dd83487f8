import { describe, expect, it } from 'vitest'
import { DAY_MS, MINUTE_MS } from '../src/core/clock'
import type { Connector } from '../src/devices/transport'
import { TownSim } from '../src/run/town-sim'
import { DAY0, testTown } from './helpers'

/** Records every reading and event body per device, arrays flattened, as the broker would see them. */
function recordingConnector(): { connector: Connector; bodies: Map<string, string[]>; single: Set<string> } {
  const bodies = new Map<string, string[]>()
  /** Devices that published a reading or event on its own (not in an array). */
  const single = new Set<string>()
  const connector: Connector = async (device) => ({
    async publish(topic, payload) {
      if (!topic.endsWith('/telemetry') && !topic.endsWith('/event')) return
      const parsed = JSON.parse(payload) as unknown
      if (!Array.isArray(parsed)) single.add(device.id)
      const list = bodies.get(device.id) ?? []
      for (const body of Array.isArray(parsed) ? parsed : [parsed]) list.push(`${topic} ${JSON.stringify(body)}`)
      bodies.set(device.id, list)
    },
    onLost: () => undefined,
    drop: () => undefined,
    end: async () => undefined,
  })
  return { connector, bodies, single }
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
    const sorted = (m: Map<string, string[]>) => [...m.entries()].sort(([x], [y]) => x.localeCompare(y))
    expect(sorted(b.bodies)).toEqual(sorted(a.bodies))
    const c = await simulate(43)
    expect(sorted(c.bodies)).not.toEqual(sorted(a.bodies))
  })

  it('gives one elder a power-saving watch: fixes every 10 min, only ever uploaded as arrays; the others unchanged', async () => {
    const { connector, bodies, single } = recordingConnector()
    const town = testTown(3)
    const sim = new TownSim({ town, mqttUrl: 'mqtt://unused', seed: 42, speed: 2_000_000, days: 2, start: DAY0, connector, tickMs: 1 })
    sim.setWatchHabit(town.elders[0]!.key, { fixEveryMs: 10 * MINUTE_MS, uploadEveryMs: 25 * MINUTE_MS })
    await sim.startRun()
    await sim.done()
    await sim.stop()
    expect(single.has('w-0')).toBe(false)
    expect(single.has('w-1') || single.has('w-2')).toBe(true)
    const fixes = (bodies.get('w-0') ?? []).filter((l) => l.includes('/telemetry ')).map((l) => (JSON.parse(l.slice(l.indexOf(' ') + 1)) as { ts: number }).ts)
    expect(fixes).toHaveLength(2 * 144)
    fixes.forEach((ts, i) => i > 0 && expect(ts - fixes[i - 1]!).toBe(10 * MINUTE_MS))
    expect(() => sim.setWatchHabit(town.elders[1]!.key, {})).toThrow(/before startRun/)
  })

  it('holds the clock at a power-saving upload until it is on the wire, however slow the connection', async () => {
    const published: Array<{ device: string; topic: string; maxTs: number }> = []
    const connector: Connector = async (device) => {
      // The watch's handshakes take 10 ms of wall time: at this speed, over five event hours.
      if (device.id === 'w-0') await new Promise((r) => setTimeout(r, 10))
      return {
        async publish(topic, payload) {
          if (!topic.endsWith('/telemetry') && !topic.endsWith('/event')) return
          const parsed = JSON.parse(payload) as { ts: number } | Array<{ ts: number }>
          published.push({ device: device.id, topic, maxTs: Math.max(...(Array.isArray(parsed) ? parsed : [parsed]).map((b) => b.ts)) })
        },
        onLost: () => undefined,
        drop: () => undefined,
        end: async () => undefined,
      }
    }
    const town = testTown(3)
    const sim = new TownSim({ town, mqttUrl: 'mqtt://unused', seed: 42, speed: 2_000_000, days: 1, start: DAY0, connector, tickMs: 1 })
    sim.setWatchHabit(town.elders[0]!.key, { fixEveryMs: 10 * MINUTE_MS, uploadEveryMs: 25 * MINUTE_MS })
    await sim.startRun()
    await sim.done()
    await sim.stop()
    let othersNewest = -Infinity
    let uploads = 0
    for (const p of published) {
      if (p.device !== 'w-0') othersNewest = Math.max(othersNewest, p.maxTs)
      else if (p.topic.endsWith('/telemetry')) {
        uploads++
        // Its upload moment is within 10 min (one fix) after its newest fix; nothing newer went first.
        expect(othersNewest).toBeLessThanOrEqual(p.maxTs + 10 * MINUTE_MS)
      }
    }
    expect(uploads).toBeGreaterThan(50)
  })

  it('never lets its clock lead the acknowledged instant by more than maxLeadMs, however slow the acks', async () => {
    // The gateway acknowledges after 5–40 ms of wall time: at ×500,000 a tick of 20 ms is almost
    // three event hours. Unpaced, a device whose turn in the tick comes last reaches the gateway
    // hours "late" on its event clock (DESIGN §5: silence by arrival).
    const maxLeadMs = 10 * MINUTE_MS
    const sent: Array<{ ts: number; acked: boolean }> = []
    let violations = 0
    let rng = 7
    const delay = () => 5 + ((rng = (rng * 48271) % 2147483647) % 36)
    const connector: Connector = async () => ({
      async publish(topic, payload) {
        if (!topic.endsWith('/telemetry') && !topic.endsWith('/event')) return
        const { ts } = JSON.parse(payload) as { ts: number }
        // Every earlier publish more than maxLeadMs older than this one must be acknowledged.
        if (sent.some((p) => !p.acked && p.ts < ts - maxLeadMs)) violations++
        const entry = { ts, acked: false }
        sent.push(entry)
        await new Promise((r) => setTimeout(r, delay()))
        entry.acked = true
      },
      onLost: () => undefined,
      drop: () => undefined,
      end: async () => undefined,
    })
    const sim = new TownSim({ town: testTown(3), mqttUrl: 'mqtt://unused', seed: 42, speed: 500_000, days: 1, start: DAY0, connector, flakiness: 0, maxLeadMs })
    await sim.startRun()
    await sim.done()
    await sim.stop()
    expect(sent.length).toBeGreaterThan(200)
    expect(violations).toBe(0)
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
