/**
 * npm run bench:watch — the 4G watch port (DESIGN §3b) against MQTT on the same gateway:
 *
 *  1. Durable frames/s: N protocol watches stream `UD` fixes with a bare `LK` after every K; an
 *     `LK` is answered only once it and everything before it on the connection is committed,
 *     so only frames covered by an answered `LK` count. The same readings (watch-readings.ts)
 *     then go over MQTT QoS 1 from N MQTT watches of the same elders, where a PUBACK is the
 *     commit. Same gateway, same storage, same run, alternating rounds; PGlite and PostgreSQL.
 *     Every round's stored rows are counted: fewer stored than confirmed fails the bench.
 *  2. Memory per idle connection (watch-memory.ts): M identified watch connections vs M MQTT
 *     connections, on a separate gateway process with forced GC.
 *
 * This machine is shared (2 cores, other engineers' tests): figures are medians of rounds and
 * the comparison is a ratio measured in the same run, with the load average printed.
 *
 *   npx tsx gateway/bench/watch.ts [--watches 200] [--seconds 5] [--rounds 3] [--window 16]
 *        [--every 8] [--idle 2000] [--idle-rounds 2] [--storage pglite,postgres] [--parts rate,memory]
 */
import { fork, type ChildProcess } from 'node:child_process'
import os from 'node:os'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { ApiClient, seedElders, type SeededDevice } from '../../test/support/api-client'
import { createPostgresDatabase } from '../../test/support/databases'
import { registerWatch } from '../../test/support/watch-client'
import { loadConfig } from '../src/config'
import { startGateway, type Gateway } from '../src/gateway'
import { createLogger } from '../src/logger'
import { decodeContent } from '../src/watch/content'
import type { LoadCommand, LoadJob, LoadReport } from './watch-load'
import { fmt, measureIdleMemory, perConnection, type IdleMemoryResult } from './watch-memory'
import { type BenchDevice, mqttPayload, STEP_MS, udContent } from './watch-readings'

const args = Object.fromEntries(
  process.argv.slice(2).flatMap((a, i, all) => (a.startsWith('--') ? [[a.slice(2), all[i + 1] ?? '']] : [])),
) as Record<string, string>
const WATCHES = Number(args.watches ?? 200)
const SECONDS = Number(args.seconds ?? 5)
const ROUNDS = Number(args.rounds ?? 3)
const EVERY = Number(args.every ?? 8)
/** At least one whole group: a watch confirms frames only by an answered LK after them. */
const WINDOW = Math.max(Number(args.window ?? 16), EVERY)
const IDLE = Number(args.idle ?? 2000)
/** Even: as many rounds open the watches first as open MQTT first (see perConnection). */
const IDLE_ROUNDS = Number(args['idle-rounds'] ?? 2)
const STORAGES = (args.storage ?? 'pglite,postgres').split(',')
const PARTS = new Set((args.parts ?? 'rate,memory').split(','))
const loadPath = fileURLToPath(new URL('./watch-load.ts', import.meta.url))

type Transport = 'watch' | 'mqtt'
const TRANSPORT_LABEL: Record<Transport, string> = { watch: 'watch port', mqtt: 'MQTT QoS 1' }

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0
const pct = (share: number) => `${Math.round(share * 100)} %`
const loadavg = () => os.loadavg().map((l) => l.toFixed(1)).join(' ')

/** A watch-load.ts process: connects once, then runs rounds on command. */
class Generator {
  private readonly inbox: LoadReport[] = []
  private waiter: ((r: LoadReport) => void) | undefined
  private exitError: Error | undefined

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (m: LoadReport) => {
      if (this.waiter) {
        const w = this.waiter
        this.waiter = undefined
        w(m)
      } else this.inbox.push(m)
    })
    child.once('exit', (code) => {
      this.exitError = new Error(`load generator exited with ${code}`)
      this.waiter?.({ type: 'error', message: this.exitError.message })
    })
  }

  static async start(job: LoadJob): Promise<{ generator: Generator; connectMs: number }> {
    const g = new Generator(fork(loadPath, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }))
    g.child.send(job)
    const ready = await g.next('ready')
    return { generator: g, connectMs: ready.connectMs }
  }

  async round(startTs: number, seconds: number, lastTs: number) {
    this.send({ type: 'round', startTs, seconds, lastTs })
    return this.next('done')
  }

  async drain() {
    this.send({ type: 'drain' })
    return this.next('drained')
  }

  stop(): void {
    if (this.exitError === undefined) this.send({ type: 'stop' })
  }

  private send(command: LoadCommand): void {
    this.child.send(command)
  }

  private async next<T extends LoadReport['type']>(type: T): Promise<Extract<LoadReport, { type: T }>> {
    const m = this.inbox.shift() ?? (this.exitError ? { type: 'error' as const, message: this.exitError.message } : await new Promise<LoadReport>((resolve) => (this.waiter = resolve)))
    if (m.type === 'error') throw new Error(`load generator: ${m.message}`)
    if (m.type !== type) throw new Error(`load generator: expected ${type}, got ${JSON.stringify(m)}`)
    return m as Extract<LoadReport, { type: T }>
  }
}

interface Target {
  label: string
  gateway: Gateway
  generators: Record<Transport, Generator>
  /**
   * Event time of the next round's first reading, shared by both transports: each round's
   * readings are newer than every earlier reading of the same elders, as live data is. (With a
   * cursor per transport, the slower transport's readings arrived minutes of event time behind
   * the other's for the same elders, and the rule engine's late-data replays, not the
   * transport, set its rate: the event loop stalled at p50 120–140 ms in those rounds.)
   */
  cursor: number
  rates: Record<Transport, number[]>
  close(): Promise<void>
}

async function startTarget(label: string, databaseUrl: string | undefined, cleanup: () => Promise<void>): Promise<Target> {
  const config = loadConfig({
    EG_MQTT_PORT: '0',
    EG_HTTP_PORT: '0',
    EG_WATCH_PORT: '0',
    EG_HOST: '127.0.0.1',
    EG_DATA_DIR: databaseUrl ? './data-unused' : 'memory://',
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    EG_ADMIN_PASSWORD: 'bench-password',
    EG_LOG_LEVEL: 'warn',
  })
  const gateway = await startGateway(config, createLogger('warn'))
  try {
    const api = new ApiClient(`http://127.0.0.1:${gateway.httpPort}`)
    await api.login('admin', 'bench-password')
    const seedStarted = performance.now()
    // Each elder gets an MQTT watch (seedElders) and a protocol watch: both transports carry the
    // same elders' readings, so the rule engine has the same work either way.
    const mqttDevices: SeededDevice[] = await seedElders(api, WATCHES)
    const watchDevices: BenchDevice[] = []
    for (const [i, d] of mqttDevices.entries()) {
      const imei = `86${String(i).padStart(13, '0')}`
      const w = await registerWatch(api, d.elderId, imei)
      watchDevices.push({ id: w.id, imei, home: d.home })
    }
    const seedS = (performance.now() - seedStarted) / 1000
    const job = (transport: Transport, devices: BenchDevice[]): LoadJob => ({ transport, port: transport === 'watch' ? gateway.watchPort! : gateway.mqttPort, devices, window: WINDOW, every: EVERY })
    const watch = await Generator.start(job('watch', watchDevices))
    const mqtt = await Generator.start(job('mqtt', mqttDevices.map((d) => ({ id: d.id, secret: d.secret, home: d.home }))))
    console.log(`  ${label}: ${WATCHES} elders, each with a protocol watch and an MQTT watch, registered in ${seedS.toFixed(1)} s; connected ${WATCHES} watches in ${(watch.connectMs / 1000).toFixed(1)} s, ${WATCHES} MQTT devices in ${(mqtt.connectMs / 1000).toFixed(1)} s`)
    // Five hours back: room for every round's stretch (one second of event time per reading per
    // device; ~1,500 s per device in a default run), still inside the rule engine's 6 h
    // lateness bound, so readings are evaluated as live ones are.
    const start = Math.floor((Date.now() - 5 * 3_600_000) / 1000) * 1000
    return {
      label,
      gateway,
      generators: { watch: watch.generator, mqtt: mqtt.generator },
      cursor: start,
      rates: { watch: [], mqtt: [] },
      async close() {
        watch.generator.stop()
        mqtt.generator.stop()
        await gateway.close()
        await cleanup()
      },
    }
  } catch (err) {
    await gateway.close()
    await cleanup()
    throw err
  }
}

/** Rows of one transport's devices from `from` on: this round's stretch, as later ones are not written yet. */
async function storedSince(t: Target, transport: Transport, from: number): Promise<number> {
  const rows = await t.gateway.db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM readings WHERE time >= $1::timestamptz AND device_id IN (SELECT id FROM devices WHERE protocol = $2)`,
    [new Date(from).toISOString(), transport],
  )
  return rows[0]?.n ?? 0
}

/** Messages refused by the intake so far, by reason (eg_messages_rejected_total). */
async function rejected(g: Gateway): Promise<Map<string, number>> {
  const values = (await g.metrics.messagesRejected.get()).values
  return new Map(values.map((v) => [String(v.labels.reason), v.value]))
}

function diff(after: Map<string, number>, before: Map<string, number>): Map<string, number> {
  return new Map([...after].map(([k, v]) => [k, v - (before.get(k) ?? 0)] as const).filter(([, v]) => v > 0))
}

async function writerStatements(g: Gateway): Promise<{ count: number; rows: number; seconds: number }> {
  const value = async (metric: typeof g.metrics.batchSize, name: string) => (await metric.get()).values.find((v) => v.metricName === name)?.value ?? 0
  return {
    count: await value(g.metrics.batchSize, 'eg_writer_batch_rows_count'),
    rows: await value(g.metrics.batchSize, 'eg_writer_batch_rows_sum'),
    seconds: await value(g.metrics.flushSeconds, 'eg_writer_flush_seconds_sum'),
  }
}

/**
 * One timed round of one transport. The figure is readings confirmed durable by the deadline
 * over the elapsed time. Right after the deadline the stored rows of the round's stretch are
 * counted (every confirmed reading must be among them); then what was in flight is drained,
 * the gateway settles, and the count is checked again against everything confirmed.
 */
async function runRound(t: Target, transport: Transport, round: number): Promise<number> {
  const from = t.cursor
  const statementsBefore = await writerStatements(t.gateway)
  const rejectedBefore = await rejected(t.gateway)
  const loop = monitorEventLoopDelay({ resolution: 1 })
  loop.enable()
  const started = performance.now()
  const cpuBefore = process.cpuUsage()
  // A minute short of the present: event time never runs into the gateway's future-skew bound.
  const done = await t.generators[transport].round(from, SECONDS, Date.now() - 60_000)
  const cpu = process.cpuUsage(cpuBefore)
  const wall = performance.now() - started
  loop.disable()
  const statements = await writerStatements(t.gateway)
  const storedAtDeadline = await storedSince(t, transport, from)
  const settling = performance.now()
  const drained = await t.generators[transport].drain()
  await t.gateway.settle()
  const settleS = (performance.now() - settling) / 1000
  const storedFinal = await storedSince(t, transport, from)
  const refused = diff(await rejected(t.gateway), rejectedBefore)
  t.cursor = from + (drained.maxWritten + 1) * STEP_MS

  const rate = (done.confirmed / done.elapsedMs) * 1000
  const n = statements.count - statementsBefore.count
  const batches = n > 0 ? `; ${fmt(n)} statements of ${fmt((statements.rows - statementsBefore.rows) / n)} rows, ${(((statements.seconds - statementsBefore.seconds) / n) * 1000).toFixed(1)} ms each` : ''
  // A refused reading is dead-lettered durably and so confirmed too (PUBACK, LK answer) but is
  // no row: every reading here is valid, so any refusal means the bench measured something else.
  const ok = storedAtDeadline >= done.confirmed && storedFinal >= drained.confirmed
  console.log(
    `  ${t.label} ${TRANSPORT_LABEL[transport]} round ${round + 1}: ${fmt(rate)} readings/s durable; ${fmt(done.confirmed)} confirmed, ${fmt(storedAtDeadline)} stored at the deadline` +
      ` (after drain and settle, ${settleS.toFixed(1)} s: ${fmt(drained.confirmed)} confirmed, ${fmt(storedFinal)} stored)` +
      `${refused.size > 0 ? ` — REFUSED: ${[...refused].map(([reason, count]) => `${reason} ${fmt(count)}`).join(', ')}` : ''}${ok ? '' : ' — FEWER STORED THAN CONFIRMED'}` +
      `; CPU: gateway ${pct((cpu.user + cpu.system) / 1000 / wall)}, generator ${pct(done.cpuMs / done.elapsedMs)} of a core${batches}` +
      `; event loop delay p50 ${(loop.percentile(50) / 1e6).toFixed(1)} ms, p99 ${(loop.percentile(99) / 1e6).toFixed(1)} ms`,
  )
  if (refused.size > 0) throw new Error(`${t.label} ${TRANSPORT_LABEL[transport]} round ${round + 1}: the gateway refused readings the bench sent as valid`)
  if (!ok) throw new Error(`${t.label} ${TRANSPORT_LABEL[transport]} round ${round + 1}: fewer readings stored than confirmed durable — the durability promise is broken`)
  return rate
}

/** The two transports must carry the very same readings, or the ratio compares two workloads. */
function checkSameReadings(): void {
  const home = { lat: 31.23, lon: 121.47 }
  const start = Math.floor(Date.now() / 1000) * 1000 - 3_600_000
  for (const n of [0, 1, 6, 999]) {
    const decoded = decodeContent(Buffer.from(udContent(home, n, start)), { receivedAt: Date.now() })
    const viaWatch = JSON.stringify(decoded.telemetry.length === 1 ? decoded.telemetry[0] : decoded.telemetry)
    const viaMqtt = mqttPayload(home, n, start)
    if (viaWatch !== viaMqtt) throw new Error(`reading ${n} differs between the transports: watch port makes ${viaWatch}, MQTT sends ${viaMqtt}`)
  }
}

async function rates(): Promise<Array<{ label: string; watch: number; mqtt: number; roundRatios: number[] }>> {
  checkSameReadings()
  console.log(
    `\n1. durable readings/s — ${WATCHES} devices per transport, ${WINDOW} unconfirmed readings per device at most (watch: an LK after every ${EVERY} UD), ` +
      `${SECONDS} s × ${ROUNDS} rounds per transport, alternating; load ${loadavg()}`,
  )
  const targets: Target[] = []
  const results: Array<{ label: string; watch: number; mqtt: number; roundRatios: number[] }> = []
  try {
    // Both gateways are seeded at once: registration is not measured, and through the API it is
    // O(n²) in elders (every POST /elders reloads the tenant's elders into the rule engine).
    const started = await Promise.allSettled(
      STORAGES.map(async (storage) => {
        if (storage === 'pglite') return startTarget('PGlite', undefined, async () => undefined)
        if (storage !== 'postgres') throw new Error(`unknown storage ${storage}`)
        const database = await createPostgresDatabase()
        return startTarget('PostgreSQL', database.url, () => database.drop())
      }),
    )
    for (const s of started) if (s.status === 'fulfilled') targets.push(s.value)
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected')
    if (failed) throw failed.reason
    // Alternating rounds, and the order of the transports flips each round: a noisy minute on
    // this shared machine, or a table that grows round by round, hits both transports alike.
    for (let round = 0; round < ROUNDS; round++) {
      for (const t of targets) {
        const order: Transport[] = round % 2 === 0 ? ['watch', 'mqtt'] : ['mqtt', 'watch']
        for (const transport of order) t.rates[transport].push(await runRound(t, transport, round))
      }
    }
    for (const t of targets) {
      results.push({ label: t.label, watch: median(t.rates.watch), mqtt: median(t.rates.mqtt), roundRatios: t.rates.watch.map((w, i) => w / (t.rates.mqtt[i] ?? NaN)) })
    }
  } finally {
    for (const t of targets) await t.close()
  }
  return results
}

async function main(): Promise<void> {
  const benchStarted = performance.now()
  console.log(`bench:watch — ${os.cpus().length} cores, load average ${loadavg()} (shared machine: compare ratios, not absolute figures)`)
  const rateResults = PARTS.has('rate') ? await rates() : []
  let memory: IdleMemoryResult | undefined
  if (PARTS.has('memory')) {
    console.log(`\n2. memory per idle connection — ${fmt(IDLE)} connections of each kind on a separate gateway process (PostgreSQL), forced GC, ${IDLE_ROUNDS} rounds on fresh processes, alternating which kind is opened first; load ${loadavg()}`)
    memory = await measureIdleMemory({ connections: IDLE, rounds: IDLE_ROUNDS, log: (line) => console.log(line) })
  }

  console.log(`\nresult (medians; load average ${loadavg()})`)
  for (const r of rateResults) {
    const ratios = r.roundRatios.map((x) => x.toFixed(2)).join(', ')
    console.log(`  ${r.label}: watch port ${fmt(r.watch)} frames/s durable (LK-confirmed), MQTT QoS 1 ${fmt(r.mqtt)} msg/s durable (PUBACKed) → watch/MQTT ${(r.watch / r.mqtt).toFixed(2)} (per round: ${ratios})`)
  }
  if (memory) {
    const m = memory
    for (const kind of ['watch', 'mqtt'] as const) {
      const p = m[kind]
      console.log(
        `  idle ${kind === 'watch' ? 'watch-port' : 'MQTT'} connection: rss ${fmt(perConnection(p, 'rss'))} B, heap ${fmt(perConnection(p, 'heapUsed'))} B, external ${fmt(perConnection(p, 'external'))} B per connection (mean of opened first and opened second)`,
      )
    }
    const ratio = (key: 'rss' | 'heapUsed') => (perConnection(m.watch, key) / perConnection(m.mqtt, key)).toFixed(2)
    console.log(`  → watch/MQTT per idle connection: rss ${ratio('rss')}, heap ${ratio('heapUsed')}`)
  }
  console.log(`  (bench ran ${((performance.now() - benchStarted) / 1000).toFixed(0)} s)`)
}

main().catch((err: unknown) => {
  console.error(err)
  process.exit(1)
})
