/**
 * npm run bench:ingest — QoS 1 watch readings through the whole gateway path (auth, ACL,
 * validation, enrichment, rule engine, batched persistence) against the same generator
 * driving a bare broker (Mosquitto on 127.0.0.1:1883 when it answers, else a bare aedes).
 * Prints durable messages/s (a PUBACK is sent only once the reading is committed), checks the
 * stored rows against the acknowledged ones, and the ratio to the bare broker; medians of
 * alternating rounds, because this machine is shared and noisy.
 *
 *   npx tsx gateway/bench/ingest.ts [--devices 200] [--seconds 8] [--rounds 3] [--window 8]
 */
import { fork } from 'node:child_process'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { createServer, connect as tcpConnect } from 'node:net'
import os from 'node:os'
import { fileURLToPath } from 'node:url'
import { Aedes } from 'aedes'
import { ApiClient, seedElders, type SeededDevice } from '../../test/support/api-client'
import { createPostgresDatabase } from '../../test/support/databases'
import { loadConfig } from '../src/config'
import { startGateway } from '../src/gateway'
import { createLogger } from '../src/logger'

const args = Object.fromEntries(
  process.argv.slice(2).flatMap((a, i, all) => (a.startsWith('--') ? [[a.slice(2), all[i + 1] ?? '']] : [])),
) as Record<string, string>
const DEVICES = Number(args.devices ?? 200)
const SECONDS = Number(args.seconds ?? 8)
const ROUNDS = Number(args.rounds ?? 3)
const WINDOW = Number(args.window ?? 8)
const TARGETS = new Set((args.targets ?? 'bare,postgres,pglite').split(','))
const publisherPath = fileURLToPath(new URL('./publisher.ts', import.meta.url))

interface RoundResult {
  acked: number
  elapsedMs: number
  /** CPU the generator used, as a share of one core. */
  generatorCpu: number
}

async function drive(url: string, devices: Array<{ id: string; secret?: string }>, topicPrefix: string, round: number): Promise<RoundResult> {
  const child = fork(publisherPath, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const messages: Array<Record<string, unknown>> = []
  const next = () =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const m = messages.shift()
      if (m) return resolve(m)
      child.once('message', (msg) => resolve(msg as Record<string, unknown>))
      child.once('exit', (code) => reject(new Error(`publisher exited ${code}`)))
    })
  child.send({ url, devices, topicPrefix, seconds: SECONDS, window: WINDOW, startTs: Date.now() - 600_000 + round * 120_000, stepMs: 10 })
  const ready = await next()
  if (ready.type !== 'ready') throw new Error(`publisher: ${JSON.stringify(ready)}`)
  child.send('go')
  const done = await next()
  if (done.type !== 'done') throw new Error(`publisher: ${JSON.stringify(done)}`)
  return { acked: Number(done.acked), elapsedMs: Number(done.elapsedMs), generatorCpu: Number(done.cpuMs) / Number(done.elapsedMs) }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0
const fmt = (n: number) => Math.round(n).toLocaleString('en-US')
const pct = (share: number) => `${Math.round(share * 100)} %`

async function mosquittoAnswers(): Promise<boolean> {
  return new Promise((resolve) => {
    const s = tcpConnect(1883, '127.0.0.1')
    s.once('connect', () => {
      s.destroy()
      resolve(true)
    })
    s.once('error', () => resolve(false))
  })
}

async function bareBroker(preferAedes = false): Promise<{ url: string; name: string; close(): Promise<void> }> {
  if (!preferAedes && (await mosquittoAnswers())) return { url: 'mqtt://127.0.0.1:1883', name: 'Mosquitto 127.0.0.1:1883', close: async () => {} }
  const aedes = await Aedes.createBroker()
  const server = createServer(aedes.handle)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as { port: number }).port
  return {
    url: `mqtt://127.0.0.1:${port}`,
    name: 'bare aedes',
    close: () => new Promise<void>((r) => aedes.close(() => server.close(() => r()))),
  }
}

interface Target {
  label: string
  url: string
  devices: Array<{ id: string; secret?: string; home?: { lat: number; lon: number } }>
  topicPrefix: string
  /** Readings stored so far (gateways only): a PUBACK promises the reading is in this count. */
  stored?: () => Promise<number>
  /** Writer statements so far: count, rows and seconds (gateways only). */
  statements?: () => Promise<{ count: number; rows: number; seconds: number }>
  close(): Promise<void>
}

async function gatewayTarget(label: string, databaseUrl: string | undefined, cleanup: () => Promise<void>): Promise<Target> {
  const config = loadConfig({
    EG_MQTT_PORT: '0',
    EG_HTTP_PORT: '0',
    EG_HOST: '127.0.0.1',
    EG_DATA_DIR: databaseUrl ? './data-unused' : 'memory://',
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    EG_ADMIN_PASSWORD: 'bench-password',
    EG_LOG_LEVEL: 'warn',
    ...(process.env.EG_WRITER_CONCURRENCY ? { EG_WRITER_CONCURRENCY: process.env.EG_WRITER_CONCURRENCY } : {}),
  })
  const gateway = await startGateway(config, createLogger('warn'))
  const api = new ApiClient(`http://127.0.0.1:${gateway.httpPort}`)
  await api.login('admin', 'bench-password')
  const devices: SeededDevice[] = await seedElders(api, DEVICES)
  return {
    label,
    url: `mqtt://127.0.0.1:${gateway.mqttPort}`,
    devices,
    topicPrefix: 'eg/v1/',
    stored: () => countReadings(gateway.db),
    async statements() {
      const sum = async (metric: typeof gateway.metrics.batchSize, name: string) =>
        (await metric.get()).values.find((v) => v.metricName === name)?.value ?? 0
      return {
        count: await sum(gateway.metrics.batchSize, 'eg_writer_batch_rows_count'),
        rows: await sum(gateway.metrics.batchSize, 'eg_writer_batch_rows_sum'),
        seconds: await sum(gateway.metrics.flushSeconds, 'eg_writer_flush_seconds_sum'),
      }
    },
    async close() {
      await gateway.close()
      await cleanup()
    },
  }
}

async function countReadings(db: { query<R extends object>(sql: string): Promise<R[]> }): Promise<number> {
  const rows = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM readings')
  return rows[0]?.n ?? 0
}

/**
 * One round of one target. For a gateway the figure is durable messages/s: a PUBACK is sent
 * only once the reading is committed (DESIGN §3), and the count of stored rows right after the
 * round is checked to hold at least every acknowledged reading — the figure cannot run ahead
 * of storage.
 */
async function runRound(t: Target, round: number): Promise<number> {
  const before = t.stored ? await t.stored() : 0
  const statementsBefore = await t.statements?.()
  const started = performance.now()
  const cpuBefore = process.cpuUsage()
  const loop = monitorEventLoopDelay({ resolution: 1 })
  loop.enable()
  const r = await drive(t.url, t.devices, t.topicPrefix, round)
  const rate = (r.acked / r.elapsedMs) * 1000
  loop.disable()
  const loopDelay = `; event loop delay p50 ${(loop.percentile(50) / 1e6).toFixed(1)} ms, p99 ${(loop.percentile(99) / 1e6).toFixed(1)} ms`
  if (!t.stored) {
    console.log(`  ${t.label} round ${round + 1}: ${fmt(rate)} msg/s; CPU: generator ${pct(r.generatorCpu)} of a core`)
    return rate
  }
  const cpu = process.cpuUsage(cpuBefore)
  const gatewayCpu = (cpu.user + cpu.system) / 1000 / (performance.now() - started)
  const stored = (await t.stored()) - before
  const after = await t.statements?.()
  const n = (after?.count ?? 0) - (statementsBefore?.count ?? 0)
  const batches = n > 0 ? `; ${fmt(n)} statements of ${fmt(((after?.rows ?? 0) - (statementsBefore?.rows ?? 0)) / n)} rows, ${(((after?.seconds ?? 0) - (statementsBefore?.seconds ?? 0)) / n * 1000).toFixed(1)} ms each` : ''
  console.log(
    `  ${t.label} round ${round + 1}: ${fmt(rate)} msg/s durable (PUBACKed = committed); ${fmt(r.acked)} acknowledged, ${fmt(stored)} stored` +
      `${stored >= r.acked ? '' : ' — FEWER STORED THAN ACKNOWLEDGED'}; CPU: gateway ${pct(gatewayCpu)}, generator ${pct(r.generatorCpu)} of a core${batches}${loopDelay}`,
  )
  return rate
}

async function main(): Promise<void> {
  console.log(`bench:ingest — ${DEVICES} devices, QoS 1, window ${WINDOW}, ${SECONDS} s × ${ROUNDS} alternating rounds per target; load ${loadavg()}`)
  const targets: Target[] = []
  if (TARGETS.has('bare')) {
    const bare = await bareBroker()
    targets.push({ label: bare.name, url: bare.url, devices: Array.from({ length: DEVICES }, (_, i) => ({ id: `bench-${process.pid}-${i}` })), topicPrefix: 'bench/', close: bare.close })
  }
  if (TARGETS.has('aedes')) {
    // The same embedded broker library without eldergate: separates aedes' own cost from ours.
    const aedes = await bareBroker(true)
    targets.push({ label: 'bare aedes', url: aedes.url, devices: Array.from({ length: DEVICES }, (_, i) => ({ id: `bench-a-${process.pid}-${i}` })), topicPrefix: 'bench/', close: aedes.close })
  }
  if (TARGETS.has('postgres')) {
    const database = await createPostgresDatabase()
    targets.push(await gatewayTarget('gateway+PostgreSQL', database.url, () => database.drop()))
  }
  if (TARGETS.has('pglite')) targets.push(await gatewayTarget('gateway+PGlite', undefined, async () => undefined))
  const rates = new Map<Target, number[]>(targets.map((t) => [t, []]))
  try {
    // Alternating rounds: a noisy minute on this shared machine hits every target alike.
    for (let round = 0; round < ROUNDS; round++) for (const t of targets) rates.get(t)!.push(await runRound(t, round))
  } finally {
    for (const t of targets) await t.close()
  }

  console.log(`\nresult (medians; load ${loadavg()})`)
  const bare = targets.find((t) => !t.stored && t.label !== 'bare aedes')
  const bareMedian = bare ? median(rates.get(bare)!) : 0
  for (const t of targets) console.log(`  ${t.label}: ${fmt(median(rates.get(t)!))} msg/s${t.stored ? ' durable' : ''}`)
  if (bare) {
    for (const t of targets.filter((x) => x.stored)) {
      const target = t.label.includes('PostgreSQL') ? ' (target ≥ 0.60, stretch 0.80)' : ''
      console.log(`  ratio ${t.label} / ${bare.label}: ${(median(rates.get(t)!) / bareMedian).toFixed(2)}${target}`)
    }
  }
}

function loadavg(): string {
  return os.loadavg().map((l) => l.toFixed(1)).join(' ')
}

main().catch((err: unknown) => {
  console.error(err)
  process.exit(1)
})
