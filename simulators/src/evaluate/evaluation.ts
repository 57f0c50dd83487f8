import { GatewayApi } from '../core/api-client'
import { Rng } from '../core/prng'
import type { VoiceCommand } from '../devices/device-link'
import { NoticeReceiver, type StoredNotice } from '../police/receiver'
import { secretBook } from '../police/secret-book'
import { defaultStart, TownSim, type RunSummary } from '../run/town-sim'
import type { Scenario } from '../scenarios/load'
import { groundTruth, plantRoutines, prepareTown, registerExpectedAway, type Assignment, type GroundTruth } from '../scenarios/plant'
import { generateTown } from '../town/generate'
import { ALL_MQTT, assignProtocols, formatProtocolMix, type ProtocolMix } from '../town/protocols'
import { seedTown } from '../town/seed'
import { Town } from '../town/town'
import { forbidden, score, type Scorecard } from './score'
import { fetchAlerts, metric, waitUntilSettled, type AlertRecord } from './settle'

/**
 * One evaluation (or demo) run: a town with one elder per planted scenario (× copies) among
 * background elders, seeded through the API, the police receiver listening, the week run on
 * the virtual clock, the gateway left to settle, alerts read back and scored.
 */
export interface EvaluationOptions {
  scenarios: readonly Scenario[]
  httpUrl: string
  mqttUrl: string
  /**
   * What the elders' watches speak, percent of elders (cameras: MQTT); default all MQTT.
   * Watch-protocol watches need `watchAddress`; HTTP ones post to `httpUrl`.
   */
  protocols?: ProtocolMix
  /** host:port of the gateway's watch port (EG_WATCH_PORT). */
  watchAddress?: string
  user?: string
  password: string
  seed: number
  days: number
  speed: number
  /** Each scenario is planted on this many elders. */
  copies?: number
  background: number
  flakiness?: number
  start?: number
  policePort?: number
  policeHost?: string
  policeFormat?: 'json' | 'cap'
  onNotice?: (notice: StoredNotice) => void
  onCommand?: (deviceId: string, command: VoiceCommand, elderName: string) => void
  onPhase?: (phase: string) => void
  onTick?: (sim: TownSim) => void
  /** Resolves to stop the run early (Ctrl-C): the run ends, what is there is scored. */
  stopSignal?: Promise<unknown>
}

export interface EvaluationResult {
  card: Scorecard
  truths: GroundTruth[]
  alerts: AlertRecord[]
  run: RunSummary
  town: Town
  /** falsePolice: police notices for a rule the elder must not raise (the costliest false alarm). */
  notices: { police: number; family: number; byRule: Record<string, number>; falsePolice: number }
  voice: { received: number; acksSent: number; playedAtGateway: number }
  settleMs: number
  interrupted: boolean
}

/** Which elder carries which scenario: a seeded shuffle spreads them among the background elders. */
export function assign(scenarios: readonly Scenario[], copies: number, elderKeys: readonly string[], seed: number): Assignment[] {
  const keys = [...elderKeys]
  const rng = Rng.for(seed, 'assign')
  for (let i = keys.length - 1; i > 0; i--) {
    const j = rng.int(0, i)
    ;[keys[i], keys[j]] = [keys[j] as string, keys[i] as string]
  }
  const planted = scenarios.flatMap((scenario) => Array.from({ length: copies }, () => scenario))
  if (planted.length > keys.length) throw new Error(`${planted.length} planted scenarios need as many elders`)
  return planted.map((scenario, i) => ({ scenario, elderKey: keys[i] as string }))
}

export async function evaluate(opts: EvaluationOptions): Promise<EvaluationResult> {
  const phase = opts.onPhase ?? (() => undefined)
  const copies = opts.copies ?? 1
  const secrets = new Map<string, string[]>()
  const receiver = new NoticeReceiver({ port: opts.policePort ?? 0, host: opts.policeHost ?? '127.0.0.1', secrets, ...(opts.onNotice ? { onNotice: opts.onNotice } : {}) })
  const policePort = await receiver.listen()
  let sim: TownSim | undefined
  try {
    const elders = opts.scenarios.length * copies + opts.background
    const file = generateTown({ seed: opts.seed, elders, receiverUrl: `http://${opts.policeHost ?? '127.0.0.1'}:${policePort}`, policeFormat: opts.policeFormat ?? 'json' })
    const assignments = assign(opts.scenarios, copies, file.elders.map((e) => e.key), opts.seed)
    prepareTown(file, assignments, opts.seed)
    assignProtocols(file, opts.protocols ?? ALL_MQTT, opts.seed)
    const town = new Town(file)
    for (const [path, list] of secretBook(file)) secrets.set(path, list)

    phase(`seeding ${elders} elders (${assignments.length} with planted scenarios; watches ${formatProtocolMix(opts.protocols ?? ALL_MQTT)}) into ${opts.httpUrl}`)
    const api = new GatewayApi(opts.httpUrl)
    await api.login(opts.user ?? 'admin', opts.password)
    await seedTown(api, town)
    const start = opts.start ?? defaultStart(opts.days, file.utcOffsetMin)
    await registerExpectedAway(api, town, assignments, start)

    const nameOf = new Map(town.elders.flatMap((e) => [[e.watch?.id ?? '', e.name], [e.camera?.id ?? '', e.name]]))
    sim = new TownSim({
      town, mqttUrl: opts.mqttUrl, seed: opts.seed, speed: opts.speed, days: opts.days, start,
      ingestUrl: opts.httpUrl, ...(opts.watchAddress !== undefined ? { watchAddress: opts.watchAddress } : {}),
      ...(opts.flakiness !== undefined ? { flakiness: opts.flakiness } : {}),
      onCommand: (deviceId, command) => opts.onCommand?.(deviceId, command, nameOf.get(deviceId) ?? deviceId),
    })
    plantRoutines(sim, town, assignments)
    phase(`running ${opts.days} days at ×${opts.speed} (≈ ${((opts.days * 86_400) / opts.speed / 60).toFixed(1)} min)`)
    await sim.startRun()
    const running = sim
    const ticker = opts.onTick ? setInterval(() => opts.onTick?.(running), 500) : undefined
    let interrupted = false
    try {
      const stop = opts.stopSignal?.then(() => {
        interrupted = true
      })
      await Promise.race([sim.done(), ...(stop ? [stop] : [])])
    } finally {
      if (ticker) clearInterval(ticker)
    }
    const run = sim.summary()

    phase(interrupted ? 'interrupted: reading the alerts so far' : 'waiting for the gateway to settle (stored rows, alerts, notices and voice prompts stop changing)')
    const settleStarted = Date.now()
    const alerts = interrupted ? await fetchAlerts(api) : await waitUntilSettled(api, { extra: async () => `${receiver.stats.received}|${await metric(opts.httpUrl, 'eg_voice_prompt_transitions_total')}` })
    const settleMs = Date.now() - settleStarted
    // A stopped run scores only what it reached: expectations whose window had closed.
    const truths = groundTruth(town, assignments, start).map((t) => (interrupted ? { ...t, expect: t.expect.filter((e) => e.deadline <= run.eventTo) } : t))
    const card = score(truths, alerts.map((a) => ({ id: a.id, elderId: a.elderId, rule: a.rule, level: a.level, firstAt: Date.parse(a.firstAt), summary: a.summary })))
    const byRule: Record<string, number> = {}
    for (const n of receiver.notices) if (n.audience === 'police') byRule[n.rule] = (byRule[n.rule] ?? 0) + 1
    const truthOf = new Map(truths.map((t) => [t.elderId, t]))
    const falsePolice = receiver.notices.filter((n) => {
      const truth = n.elderId === undefined ? undefined : truthOf.get(n.elderId)
      return n.audience === 'police' && truth !== undefined && forbidden(truth, n.rule)
    }).length
    const final = sim.summary()
    return {
      card, truths, alerts, run, town, settleMs, interrupted,
      notices: { police: receiver.notices.filter((n) => n.audience === 'police').length, family: receiver.notices.filter((n) => n.audience === 'family').length, byRule, falsePolice },
      voice: { received: final.commands, acksSent: final.acks, playedAtGateway: await metric(opts.httpUrl, 'eg_voice_prompt_transitions_total', 'status="played"') },
    }
  } finally {
    await sim?.stop()
    await receiver.close()
  }
}
