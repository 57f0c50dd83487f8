import {
  advance,
  buildVenueIndex,
  ingest,
  initialEngineState,
  type EngineContext,
  type EngineState,
  type Finding,
  type RuleConfig,
  type RuleInput,
} from '../../../rules/src/index'
import type { Db } from '../storage/db'
import { streamTenantInputs } from '../storage/telemetry-queries'
import { loadElderProfiles, loadVenues } from './engine-store'

/**
 * Replays stored readings through a rule config with no side effects (issue 3, item 7): a
 * fresh engine state, nothing written, nothing sent. Time advances with event time in fixed
 * steps, the way the gateway runs with EG_CLOCK=event, so time-based rules fire where they
 * would have.
 */
export interface BacktestOptions {
  from: number
  to: number
  config: RuleConfig
  timeZone: string
  sampleLimit?: number
  /** Event time between two evaluations of time-based rules. */
  stepMs?: number
}

export interface BacktestResult {
  from: string
  to: string
  inputs: number
  tooLate: number
  findings: number
  counts: Record<string, Record<string, number>>
  samples: Finding[]
}

export async function runBacktest(db: Db, tenantId: string, opts: BacktestOptions): Promise<BacktestResult> {
  const stepMs = opts.stepMs ?? 5 * 60_000
  const sampleLimit = opts.sampleLimit ?? 20
  const [venues, elders] = await Promise.all([loadVenues(db, tenantId), loadElderProfiles(db, tenantId)])
  const byId = new Map(elders.map((e) => [e.id, e]))
  const ctx: EngineContext = { config: opts.config, venues: buildVenueIndex(venues), elder: (id) => byId.get(id), timeZone: opts.timeZone }
  const result: BacktestResult = {
    from: new Date(opts.from).toISOString(),
    to: new Date(opts.to).toISOString(),
    inputs: 0,
    tooLate: 0,
    findings: 0,
    counts: {},
    samples: [],
  }
  let state: EngineState = initialEngineState()
  let nextAdvance = opts.from + stepMs

  const collect = (findings: Finding[]) => {
    for (const f of findings) {
      if (f.refresh === true) {
        // Not a finding: the evidence of one already counted, as it stands now.
        const sample = result.samples.find((s) => s.dedupKey === f.dedupKey)
        if (sample) sample.evidence = f.evidence
        continue
      }
      result.findings++
      const perRule = (result.counts[f.rule] ??= {})
      perRule[f.level] = (perRule[f.level] ?? 0) + 1
      if (result.samples.length < sampleLimit) result.samples.push(f)
    }
  }
  const run = (inputs: RuleInput[]) => {
    if (inputs.length === 0) return
    const step = ingest(state, inputs, ctx)
    state = step.state
    result.tooLate += step.tooLate
    collect(step.findings)
  }
  const advanceTo = (t: number) => {
    const step = advance(state, t, ctx)
    state = step.state
    collect(step.findings)
  }

  for await (const page of streamTenantInputs(db, { tenantId, from: opts.from, to: opts.to, pageSize: 5_000 })) {
    let chunk: RuleInput[] = []
    for (const input of page) {
      if (!byId.has(input.elderId)) continue
      result.inputs++
      while (input.ts >= nextAdvance) {
        run(chunk)
        chunk = []
        advanceTo(nextAdvance)
        nextAdvance += stepMs
      }
      chunk.push(input)
    }
    run(chunk)
  }
  advanceTo(opts.to)
  return result
}
