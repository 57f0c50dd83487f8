/**
 * Rule-engine throughput: location events/s on one core through the pure engine (ingest),
 * 10,000 elders, with 10, 1,000 and 100,000 venues. Run: npx tsx rules/bench/rules.ts
 *
 * Events are pre-generated and identical for every venue count: elders random-walk around
 * their homes in a ~30 km town; a fifth of them spend their time at one of 10 "hotspots"
 * (lecture halls), which are registered venues in every configuration. The extra venues are
 * spread over a 300 km × 300 km prefecture around the town (a provincial registry), so
 * 100,000 venues put ~1,000 in the town itself; spreading all 100,000 over the 30 km town would
 * cover ~90 % of it with geofences, which no real town looks like.
 *
 * Fairness: only ingest() is timed; a full GC runs before each round so the previous round's
 * state (and the generator's garbage) is not collected on the engine's clock. The machine is
 * shared, so besides wall time the bench reports the main thread's own CPU time per event
 * (/proc/thread-self/stat), which time spent descheduled by other processes does not inflate.
 */
import { readFileSync } from 'node:fs'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import {
  buildVenueIndex,
  defaultRuleConfig,
  ingest,
  initialEngineState,
  type ElderProfile,
  type EngineContext,
  type Venue,
  type WatchReading,
} from '../src/index'

const ELDERS = 10_000
const EVENTS_PER_ELDER = 100
const BATCH = 1_000
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5)
const CENTRE = { lat: 30.25, lon: 120.15 }
const TOWN_M = 30_000
const M_PER_DEG = 111_195
const T0 = Date.UTC(2025, 2, 3, 0, 0)

// Deterministic pseudo-random numbers (mulberry32) so every run sees the same town.
let seed = 42
function rnd(): number {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

function inTown(): { lat: number; lon: number } {
  return at(CENTRE, (rnd() - 0.5) * TOWN_M, (rnd() - 0.5) * TOWN_M)
}

function at(p: { lat: number; lon: number }, northM: number, eastM: number): { lat: number; lon: number } {
  return { lat: p.lat + northM / M_PER_DEG, lon: p.lon + eastM / (M_PER_DEG * Math.cos((p.lat * Math.PI) / 180)) }
}

const hotspots = Array.from({ length: 10 }, inTown)

function inRegion(): { lat: number; lon: number } {
  return at(CENTRE, (rnd() - 0.5) * 10 * TOWN_M, (rnd() - 0.5) * 10 * TOWN_M)
}

function venues(n: number): Venue[] {
  const out: Venue[] = hotspots.map((p, i) => ({ id: `hot-${i}`, name: `Lecture hall ${i}`, kind: 'sales', risky: true, circle: { ...p, radiusM: 80 } }))
  for (let i = out.length; i < n; i++) {
    out.push({ id: `v-${i}`, name: `Venue ${i}`, kind: i % 3 === 0 ? 'sales' : 'other', risky: i % 3 === 0, circle: { ...inRegion(), radiusM: 20 + rnd() * 60 } })
  }
  return out
}

const profiles = new Map<string, ElderProfile>()
const elderIds: string[] = []
const homes: Array<{ lat: number; lon: number }> = []
for (let e = 0; e < ELDERS; e++) {
  const id = `elder-${e}`
  const home = inTown()
  elderIds.push(id)
  homes.push(home)
  profiles.set(id, { id, tenantId: 't1', name: id, home: { ...home, radiusM: 100 } })
}

// Round-robin over elders, one fix per elder per minute: event-time order overall.
// 60 % are at home (GPS scatter ±40 m), 20 % sit at a hotspot (a risky venue: a visit and an
// absence), 20 % walk across town at ~50 m/min, passing whatever venues lie on their way.
const walkers = homes.map((h) => ({ ...h }))
const events: WatchReading[] = []
for (let k = 0; k < EVENTS_PER_ELDER; k++) {
  for (let e = 0; e < ELDERS; e++) {
    let p: { lat: number; lon: number }
    if (e % 5 === 0) p = at(hotspots[e % hotspots.length]!, (rnd() - 0.5) * 80, (rnd() - 0.5) * 80)
    else if (e % 5 === 1) p = walkers[e] = at(walkers[e]!, (rnd() - 0.5) * 100, (rnd() - 0.5) * 100)
    else p = at(homes[e]!, (rnd() - 0.5) * 80, (rnd() - 0.5) * 80)
    events.push({ kind: 'watch', tenantId: 't1', elderId: elderIds[e]!, deviceId: `w-${e}`, ts: T0 + k * 60_000 + e, lat: p.lat, lon: p.lon, acc: 10 + rnd() * 20, src: 'gps', bat: 80, worn: true })
  }
}
const batches: WatchReading[][] = []
for (let i = 0; i < events.length; i += BATCH) batches.push(events.slice(i, i + BATCH))

setFlagsFromString('--expose-gc')
const fullGc = runInNewContext('gc') as () => void

/** CPU time of this thread in ns (utime + stime, clock ticks of 10 ms); 0 where /proc is absent. */
function threadCpuNs(): number {
  try {
    const fields = readFileSync('/proc/thread-self/stat', 'utf8').split(') ')[1]!.split(' ')
    return (Number(fields[11]) + Number(fields[12])) * 10_000_000
  } catch {
    return 0
  }
}

function round(ctx: EngineContext): { wall: number; cpu: number } {
  let state = initialEngineState()
  fullGc()
  const cpu0 = threadCpuNs()
  const start = process.hrtime.bigint()
  for (const batch of batches) state = ingest(state, batch, ctx).state
  const wall = Number(process.hrtime.bigint() - start)
  const cpu = threadCpuNs() - cpu0
  if (Object.keys(state.elders).length !== ELDERS) throw new Error('lost elders')
  return { wall, cpu }
}

function loadAverage(): string {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')
  } catch {
    return 'n/a'
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]!
}

console.log(`rules bench: ${ELDERS} elders, ${events.length} location events, batches of ${BATCH}, ${ROUNDS} rounds (median), node ${process.version}`)
console.log(`load average before: ${loadAverage()} (shared machine; wall figures include time other processes took)`)
const nsPerEvent = new Map<number, number>()
const cpuPerEvent = new Map<number, number>()
for (const n of (process.env.BENCH_VENUES ?? '10,1000,100000').split(',').map(Number)) {
  const index = buildVenueIndex(venues(n))
  const ctx: EngineContext = { config: defaultRuleConfig, venues: index, elder: (id) => profiles.get(id), timeZone: 'Asia/Shanghai' }
  round(ctx) // warm-up
  const walls: number[] = []
  const cpus: number[] = []
  for (let r = 0; r < ROUNDS; r++) {
    const t = round(ctx)
    walls.push(t.wall)
    cpus.push(t.cpu)
  }
  const ns = median(walls) / events.length
  const cpuNs = median(cpus) / events.length
  nsPerEvent.set(n, ns)
  cpuPerEvent.set(n, cpuNs)
  console.log(`venues ${String(n).padStart(7)}: ${Math.round(1e9 / ns).toLocaleString('en-US').padStart(11)} events/s  ${ns.toFixed(0).padStart(5)} ns/event` +
    `  (thread CPU: ${Math.round(1e9 / cpuNs).toLocaleString('en-US').padStart(11)} events/s  ${cpuNs.toFixed(0).padStart(5)} ns/event)`)
}
const ratio = (m: Map<number, number>): string => (m.has(100_000) && m.has(10) ? (m.get(100_000)! / m.get(10)!).toFixed(2) : 'n/a')
console.log(`cost ratio 100k/10 venues: ${ratio(nsPerEvent)} (thread CPU: ${ratio(cpuPerEvent)})`)
console.log('target: >= 1,000,000 events/s per core, cost ratio 100k/10 venues <= 1.5')
console.log(`load average after: ${loadAverage()}`)
