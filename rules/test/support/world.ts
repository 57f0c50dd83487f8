/**
 * Test helpers: a small town in Asia/Shanghai (UTC+8, no DST) with fixed timestamps, an elder
 * at home, venues, and builders for watch / camera / event inputs and tracks.
 */
import {
  advance,
  buildVenueIndex,
  defaultRuleConfig,
  ingest,
  initialEngineState,
  parseRuleConfig,
  type CameraReading,
  type DeviceEvent,
  type ElderProfile,
  type EngineContext,
  type EngineState,
  type Finding,
  type RuleConfig,
  type RuleInput,
  type Venue,
  type WatchReading,
} from '../../src/index'

export const MIN = 60_000
export const HOUR = 60 * MIN
export const DAY = 24 * HOUR
export const TZ = 'Asia/Shanghai'

/** Epoch ms of local Shanghai time on day `day` after Monday 2025-03-03. */
export function at(day: number, hour: number, minute = 0): number {
  return Date.UTC(2025, 2, 3 + day, hour - 8, minute)
}

export const HOME = { lat: 30.25, lon: 120.15, radiusM: 100 }
const M_PER_DEG = 111_195

/** A point `northM` / `eastM` metres from (lat, lon). */
export function offset(lat: number, lon: number, northM: number, eastM: number): { lat: number; lon: number } {
  return { lat: lat + northM / M_PER_DEG, lon: lon + eastM / (M_PER_DEG * Math.cos((lat * Math.PI) / 180)) }
}

export const MARKET_AT = offset(HOME.lat, HOME.lon, 800, 0)
export const LECTURE_AT = offset(HOME.lat, HOME.lon, 0, 1500)
export const INVEST_AT = offset(HOME.lat, HOME.lon, -1500, 0)
export const BANK_AT = offset(HOME.lat, HOME.lon, 0, -1500)
export const HOSPITAL_AT = offset(HOME.lat, HOME.lon, 2000, 2000)

export const VENUES: Venue[] = [
  { id: 'v-market', name: 'Wet market', kind: 'other', risky: false, circle: { ...MARKET_AT, radiusM: 80 } },
  { id: 'v-lecture', name: 'Free health lecture hall', kind: 'sales', risky: true, circle: { ...LECTURE_AT, radiusM: 60 } },
  {
    id: 'v-invest',
    name: 'Golden Years pension project office',
    kind: 'investment',
    risky: true,
    polygon: [
      [INVEST_AT.lat - 0.0005, INVEST_AT.lon - 0.0005],
      [INVEST_AT.lat - 0.0005, INVEST_AT.lon + 0.0005],
      [INVEST_AT.lat + 0.0005, INVEST_AT.lon + 0.0005],
      [INVEST_AT.lat + 0.0005, INVEST_AT.lon - 0.0005],
    ],
  },
  { id: 'v-bank', name: 'Agricultural bank branch', kind: 'bank', risky: false, circle: { ...BANK_AT, radiusM: 50 } },
  { id: 'v-hospital', name: 'County hospital', kind: 'hospital', risky: false, circle: { ...HOSPITAL_AT, radiusM: 150 } },
]

export function elder(id = 'e1', extra: Partial<ElderProfile> = {}): ElderProfile {
  return { id, tenantId: 't1', name: `Elder ${id}`, home: { ...HOME }, ...extra }
}

export function makeCtx(opts: { elders?: ElderProfile[]; venues?: Venue[]; config?: unknown } = {}): EngineContext {
  const elders = new Map((opts.elders ?? [elder()]).map((e) => [e.id, e]))
  let config: RuleConfig = defaultRuleConfig
  if (opts.config !== undefined) {
    const parsed = parseRuleConfig(opts.config)
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors))
    config = parsed.config
  }
  return { config, venues: buildVenueIndex(opts.venues ?? VENUES), elder: (id) => elders.get(id), timeZone: TZ }
}

export function fix(ts: number, p: { lat: number; lon: number }, extra: Partial<WatchReading> = {}, elderId = 'e1'): WatchReading {
  return { kind: 'watch', tenantId: 't1', elderId, deviceId: `w-${elderId}`, ts, lat: p.lat, lon: p.lon, acc: 15, src: 'gps', ...extra }
}

export function watch(ts: number, extra: Partial<WatchReading> = {}, elderId = 'e1'): WatchReading {
  return { kind: 'watch', tenantId: 't1', elderId, deviceId: `w-${elderId}`, ts, ...extra }
}

export function camera(ts: number, extra: Partial<CameraReading> = {}, elderId = 'e1'): CameraReading {
  return { kind: 'camera', tenantId: 't1', elderId, deviceId: `c-${elderId}`, ts, ...extra }
}

export function event(ts: number, type: DeviceEvent['type'], elderId = 'e1', deviceKind: DeviceEvent['deviceKind'] = 'watch'): DeviceEvent {
  return { kind: 'event', tenantId: 't1', elderId, deviceId: deviceKind === 'watch' ? `w-${elderId}` : `c-${elderId}`, ts, deviceKind, type }
}

/** Watch fixes every `stepMs` in [from, to), positioned by `where(ts, i)`. */
export function track(from: number, to: number, stepMs: number, where: (ts: number, i: number) => { lat: number; lon: number }, extra: Partial<WatchReading> = {}, elderId = 'e1'): WatchReading[] {
  const out: WatchReading[] = []
  for (let ts = from, i = 0; ts < to; ts += stepMs, i++) out.push(fix(ts, where(ts, i), extra, elderId))
  return out
}

/** A stay at `p` from `from` to `to`, fixes each minute. */
export function stayAt(p: { lat: number; lon: number }, from: number, to: number, elderId = 'e1'): WatchReading[] {
  return track(from, to, MIN, () => p, {}, elderId)
}

/** An outing: leave home, stay at `p` for `dwellMin`, come back; fixes each minute. */
export function outing(p: { lat: number; lon: number }, start: number, dwellMin: number, elderId = 'e1'): RuleInput[] {
  return [
    ...stayAt(HOME, start - 10 * MIN, start, elderId),
    ...stayAt(p, start, start + dwellMin * MIN, elderId),
    ...stayAt(HOME, start + dwellMin * MIN, start + dwellMin * MIN + 20 * MIN, elderId),
  ]
}

export function sortInputs(inputs: RuleInput[]): RuleInput[] {
  return [...inputs].sort((a, b) => a.ts - b.ts)
}

/** Ingest everything (in `batches`), then advance to `end`: all findings, in emission order. */
export function run(inputs: RuleInput[], ctx: EngineContext, end: number, batches?: RuleInput[][]): { findings: Finding[]; state: EngineState; tooLate: number } {
  let state = initialEngineState()
  const findings: Finding[] = []
  let tooLate = 0
  for (const batch of batches ?? [sortInputs(inputs)]) {
    const r = ingest(state, batch, ctx)
    state = r.state
    findings.push(...r.findings)
    tooLate += r.tooLate
  }
  const r = advance(state, end, ctx)
  findings.push(...r.findings)
  return { findings, state: r.state, tooLate }
}

export function rulesOf(findings: Finding[]): string[] {
  return findings.map((f) => `${f.rule}:${f.level}`)
}

/** The findings' keys, sorted; refreshes (updates of a finding's evidence, not findings) left out. */
export function keysOf(findings: Finding[]): string[] {
  return findings.filter((f) => f.refresh !== true).map((f) => `${f.rule}|${f.level}|${f.dedupKey}`).sort()
}
