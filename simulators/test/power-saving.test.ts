import { describe, expect, it } from 'vitest'
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../src/core/clock'
import { Rng } from '../src/core/prng'
import { DeviceLink } from '../src/devices/device-link'
import type { DeviceDay, Upload, WatchReadingBody } from '../src/devices/messages'
import type { Connector } from '../src/devices/transport'
import { UploadPlanner, type WatchHabit } from '../src/devices/upload-plan'
import { WatchSim } from '../src/devices/watch-sim'
import { ElderRoutine } from '../src/routine/elder-routine'
import type { DayPlan } from '../src/routine/plan'
import { DeviceTimeline } from '../src/run/timeline'
import { DAY0, testTown } from './helpers'

/**
 * The power-saving watch (scenario `elder.watch`): a fix on a 10-minute timer whatever the
 * elder does, the link asleep between uploads, the buffer uploaded as arrays every 25 min —
 * in order — and the late and dead-link variants built on it.
 */
const town = testTown(4)
const elder = town.elders[1]!
const plans: DayPlan[] = (() => {
  const routine = new ElderRoutine(town, elder, 42)
  return Array.from({ length: 3 }, (_, d) => routine.planDay(DAY0 + d * DAY_MS))
})()
const POWER_SAVING: WatchHabit = { fixEveryMs: 10 * MINUTE_MS, uploadEveryMs: 25 * MINUTE_MS }

const simulate = (habit: WatchHabit): DeviceDay[] => {
  const sim = new WatchSim(elder, 42, { habit })
  return plans.map((p) => sim.simulateDay(p))
}
const fixesOf = (days: DeviceDay[]) => days.flatMap((d) => d.messages).filter((m) => m.channel === 'telemetry').map((m) => m.body as WatchReadingBody)

/** Records every publish with the connection it went out on. */
function recordingBroker() {
  const published: Array<{ connection: number; topic: string; payload: string }> = []
  let connections = 0
  const connector: Connector = async () => {
    const connection = ++connections
    return {
      async publish(topic, payload) {
        published.push({ connection, topic, payload })
      },
      onLost: () => undefined,
      drop: () => undefined,
      end: async () => undefined,
    }
  }
  return { connector, published }
}

describe('power-saving watch', () => {
  it('records a fix every 10 minutes whatever the elder does, and plans an upload every 25 minutes with the link down', () => {
    const days = simulate(POWER_SAVING)
    const fixes = fixesOf(days)
    expect(fixes.length).toBe(3 * 144)
    fixes.forEach((f, i) => {
      if (i > 0) expect(f.ts - fixes[i - 1]!.ts).toBe(10 * MINUTE_MS)
    })
    const uploads = days.flatMap((d) => d.uploads ?? [])
    expect(days.every((d) => d.outages.length === 0)).toBe(true)
    uploads.forEach((u, i) => {
      expect(u.at).toBe(u.upTo)
      if (i > 0) expect(u.at - uploads[i - 1]!.at).toBe(25 * MINUTE_MS)
    })
    expect(uploads.length).toBeGreaterThanOrEqual(Math.floor((3 * DAY_MS) / (25 * MINUTE_MS)) - 1)
  })

  it('uploads the buffer as arrays every 25 minutes, one connection each, every fix once and in order', async () => {
    const broker = recordingBroker()
    const link = new DeviceLink({ id: 'w1', secret: 'x' }, broker.connector, { clock: () => 0 })
    await link.connect()
    const timeline = new DeviceTimeline(new WatchSim(elder, 42, { habit: POWER_SAVING }), link)
    const days = plans.map((p) => timeline.sim.simulateDay(p))
    for (const day of days) timeline.addDay(day, DAY0, DAY0 + 3 * DAY_MS)
    const uploads = days.flatMap((d) => d.uploads ?? [])
    // Played in slices, as the run's clock does.
    for (let now = DAY0; now <= DAY0 + 3 * DAY_MS; now += 7 * MINUTE_MS) timeline.playUntil(now)
    await link.settled()

    const telemetry = broker.published.filter((p) => p.topic === 'eg/v1/w1/telemetry')
    const arrays = telemetry.map((p) => JSON.parse(p.payload) as WatchReadingBody[])
    expect(arrays.every((a) => Array.isArray(a))).toBe(true)
    // Upload k carries exactly the fixes recorded since upload k−1: 2 or 3 of them.
    const expected = uploads.map((u, i) => fixesOf(days).filter((f) => f.ts <= u.upTo && f.ts > (uploads[i - 1]?.upTo ?? -Infinity)).map((f) => f.ts))
    expect(arrays.map((a) => a.map((f) => f.ts))).toEqual(expected.filter((e) => e.length > 0))
    expect(arrays.slice(1).every((a) => a.length === 2 || a.length === 3)).toBe(true)
    // Order kept: across arrays and inside them; nothing twice, nothing lost before the last upload.
    const sent = arrays.flat().map((f) => f.ts)
    expect(sent).toEqual([...sent].sort((a, b) => a - b))
    expect(new Set(sent).size).toBe(sent.length)
    expect(sent).toEqual(fixesOf(days).map((f) => f.ts).filter((ts) => ts <= uploads.at(-1)!.upTo))
    // Each upload on a connection of its own (the first is the link's own, dropped at the start).
    expect(new Set(telemetry.map((p) => p.connection)).size).toBe(telemetry.length)
    expect(link.up).toBe(false)
    // The end of a run brings the link up: what was kept since the last upload goes out too.
    await link.goUp()
    await link.settled()
    const all = broker.published.filter((p) => p.topic === 'eg/v1/w1/telemetry').flatMap((p) => JSON.parse(p.payload) as WatchReadingBody[])
    expect(all.map((f) => f.ts)).toEqual(fixesOf(days).map((f) => f.ts))
  })

  it('drains the battery slower than live tracking', () => {
    const lowest = (days: DeviceDay[]) => Math.min(...fixesOf(days).map((f) => f.bat ?? 100))
    expect(lowest(simulate(POWER_SAVING))).toBeGreaterThan(lowest(simulate({})))
  })
})

describe('late uploads and dead links', () => {
  const planner = (late?: readonly [number, number], dead: WatchHabit['deadLinks'] = []) => new UploadPlanner(10 * MINUTE_MS, Rng.for(1, 'test'), late, dead)
  const week = (p: UploadPlanner, alarms: number[] = []): Upload[] => Array.from({ length: 7 }, (_, d) => p.planDay(DAY0 + d * DAY_MS, DAY0 + (d + 1) * DAY_MS, alarms)).flat()

  it('delivers 0–4 h late, in order, the delay drifting so that deliveries stay under 25 min apart', () => {
    const uploads = week(planner([0, 240 * MINUTE_MS]))
    const lags = uploads.map((u) => u.at - u.upTo)
    expect(Math.min(...lags)).toBeGreaterThanOrEqual(0)
    expect(Math.max(...lags)).toBeLessThanOrEqual(240 * MINUTE_MS)
    // The week sweeps the range: it is late by hours and nearly on time.
    expect(Math.max(...lags)).toBeGreaterThan(180 * MINUTE_MS)
    expect(Math.min(...lags)).toBeLessThan(30 * MINUTE_MS)
    uploads.slice(1).forEach((u, i) => {
      expect(u.at).toBeGreaterThanOrEqual(uploads[i]!.at)
      expect(u.at - uploads[i]!.at).toBeLessThanOrEqual(25 * MINUTE_MS)
    })
  })

  it('skips uploads in a dead link and flushes when it returns; an alarm connects at once', () => {
    const dead = { from: DAY0 + DAY_MS + 22 * HOUR_MS, to: DAY0 + 2 * DAY_MS + 2 * HOUR_MS }
    const sos = DAY0 + 3 * DAY_MS + 10 * HOUR_MS + 3 * MINUTE_MS
    const uploads = week(planner(undefined, [dead]), [sos])
    expect(uploads.filter((u) => u.upTo >= dead.from && u.upTo < dead.to)).toEqual([])
    expect(uploads).toContainEqual({ at: dead.to, upTo: dead.to })
    expect(uploads).toContainEqual({ at: sos, upTo: sos })
  })

  it('gives an ordinary watch a dead link as one outage, across midnight, without drops inside it', () => {
    const dead = { from: plans[0]!.start + 22 * HOUR_MS, to: plans[1]!.start + 2 * HOUR_MS }
    const days = simulate({ deadLinks: [dead] })
    expect(days[0]!.outages).toContainEqual(dead)
    for (const o of days.flatMap((d) => d.outages)) expect(o.to <= dead.from || o.from >= dead.to || (o.from === dead.from && o.to === dead.to)).toBe(true)
  })

  it('plays late uploads across midnight: each carries what was recorded up to its cut, in order', async () => {
    const broker = recordingBroker()
    const link = new DeviceLink({ id: 'w1', secret: 'x' }, broker.connector, { clock: () => 0 })
    await link.connect()
    const timeline = new DeviceTimeline(new WatchSim(elder, 42, { habit: { ...POWER_SAVING, uploadEveryMs: 10 * MINUTE_MS, lateMs: [0, 240 * MINUTE_MS] } }), link)
    const days = plans.map((p) => timeline.sim.simulateDay(p))
    const uploads = days.flatMap((d) => d.uploads ?? [])
    expect(uploads.some((u) => u.at >= plans[1]!.start && u.upTo < plans[1]!.start)).toBe(true)
    // Days are added one at a time as the run reaches them, so late uploads meet the next day's entries.
    for (const [d, day] of days.entries()) {
      timeline.addDay(day, DAY0, DAY0 + 3 * DAY_MS)
      for (let now = plans[d]!.start; now < plans[d]!.end; now += 5 * MINUTE_MS) timeline.playUntil(now)
    }
    timeline.playUntil(DAY0 + 3 * DAY_MS)
    await link.settled()
    const arrays = broker.published.filter((p) => p.topic === 'eg/v1/w1/telemetry').map((p) => (JSON.parse(p.payload) as WatchReadingBody[]).map((f) => f.ts))
    const due = uploads.filter((u) => u.at < DAY0 + 3 * DAY_MS)
    const expected = due.map((u, i) => fixesOf(days).filter((f) => f.ts <= u.upTo && f.ts > (due[i - 1]?.upTo ?? -Infinity)).map((f) => f.ts)).filter((e) => e.length > 0)
    expect(arrays).toEqual(expected)
  })
})
