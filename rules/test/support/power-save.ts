/**
 * A week of one elder whose watch records a fix every 10 minutes around the clock (power
 * saving) and whose camera reports every 30 minutes — no true silence anywhere — with lectures
 * three days running, a bank visit after them, a watch taken off at the market, strangers at
 * home, a night out, a two-day tour 60 km away with an SOS on it. How the data is UPLOADED is
 * the test's business (buffered-uploads.test.ts); in order, it shows every rule below.
 */
import type { Finding, RuleInput } from '../../src/index'
import { advance, ingest, initialEngineState } from '../../src/index'
import type { EngineContext } from '../../src/index'
import { BANK_AT, HOME, LECTURE_AT, MARKET_AT, MIN, at, camera, event, fix, offset, watch } from './world'

const NEAR = offset(HOME.lat, HOME.lon, 3000, 0)
const TOUR = offset(HOME.lat, HOME.lon, 60_000, 0)
export const WEEK_START = at(0, 0)
export const WEEK_END = at(7, 0)

/** Where the elder is at `ts`. */
function place(ts: number): { lat: number; lon: number } {
  for (const d of [0, 1, 2]) if (ts >= at(d, 9) && ts < at(d, 10)) return LECTURE_AT
  if (ts >= at(2, 14) && ts < at(2, 14, 40)) return BANK_AT
  if (ts >= at(3, 14) && ts < at(3, 15)) return MARKET_AT
  if (ts >= at(4, 22) && ts < at(5, 2)) return NEAR
  if (ts >= at(5, 8) && ts < at(6, 18)) return TOUR
  return HOME
}

export function powerSaveWeek(): RuleInput[] {
  const out: RuleInput[] = []
  for (let ts = WEEK_START; ts < WEEK_END; ts += 10 * MIN) {
    const p = place(ts)
    // Off at the market for 40 minutes: the watch still records (worn: false) and uploads.
    const worn = !(ts >= at(3, 14, 10) && ts < at(3, 14, 50))
    out.push(fix(ts, p, worn ? {} : { worn: false }))
  }
  for (let ts = WEEK_START + 5 * MIN; ts < WEEK_END; ts += 30 * MIN) {
    const home = place(ts) === HOME
    const strangers = home && [0, 2, 4].some((d) => ts >= at(d, 15) && ts < at(d, 16)) ? 1 : 0
    out.push(camera(ts, { presence: home, strangers }))
  }
  out.push(watch(at(3, 14, 50, ), { worn: true }))
  out.push(event(at(6, 10, 3), 'sos'))
  return out.sort((a, b) => a.ts - b.ts)
}

/** One upload: what reached the gateway at `at` on the rule clock. */
export interface Upload {
  at: number
  inputs: RuleInput[]
}

/** Every input delivered live, at its own event time. */
export function live(inputs: RuleInput[]): Upload[] {
  const byTime = new Map<number, RuleInput[]>()
  for (const input of inputs) {
    const list = byTime.get(input.ts)
    if (list) list.push(input)
    else byTime.set(input.ts, [input])
  }
  return [...byTime].sort((a, b) => a[0] - b[0]).map(([t, list]) => ({ at: t, inputs: list }))
}

/**
 * The engine as the gateway drives it: uploads ingested as they arrive (stamped with their
 * arrival) with the touched elders advanced, and the whole engine advanced on a clock tick.
 */
export function drive(uploads: Upload[], ctx: EngineContext, tickMs = 5 * MIN, end = Math.max(WEEK_END, ...uploads.map((u) => u.at)) + 30 * MIN): Finding[] {
  let state = initialEngineState()
  const findings: Finding[] = []
  const sorted = [...uploads].sort((a, b) => a.at - b.at)
  let next = 0
  for (let tick = WEEK_START; tick <= end; tick += tickMs) {
    while (next < sorted.length && sorted[next]!.at <= tick) {
      const u = sorted[next++]!
      const r = ingest(state, u.inputs.map((i) => ({ ...i, arrivedAt: u.at })), ctx)
      state = r.state
      findings.push(...r.findings)
      const a = advance(state, u.at, ctx)
      state = a.state
      findings.push(...a.findings)
    }
    const a = advance(state, tick, ctx)
    state = a.state
    findings.push(...a.findings)
  }
  return findings
}

const SILENCE = new Set(['device.offline', 'device.removed'])

/**
 * Findings for comparison: silence findings by what went silent and its newest event time (the
 * key carries the arrival, which differs with the upload pattern); the rest by dedup key. The
 * week's data ends at WEEK_END: silence after that is the end of the data, not of the test.
 */
export function comparable(findings: Finding[]): string[] {
  return findings
    .filter((f) => f.refresh !== true && !(SILENCE.has(f.rule) && f.ts > WEEK_END))
    .map((f) => {
      const ev = f.evidence as Record<string, unknown>
      if (SILENCE.has(f.rule) && ev['reason'] !== 'removed') return `${f.rule}|${f.elderId}|${String(ev['deviceId'] ?? ev['reason'])}|newest ${String(ev['newestEventAt'])}`
      return `${f.rule}|${f.level}|${f.dedupKey}`
    })
    .sort()
}

/** Each non-silence finding's evidence as it finally stands (after its refreshes), by key. */
export function finalEvidence(findings: Finding[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (const f of findings) if (!SILENCE.has(f.rule)) out[f.dedupKey] = JSON.stringify(f.evidence)
  return out
}
