/**
 * npm run bench:ingest — QoS 1 watch readings through the whole gateway path (auth, ACL,
 * validation, enrichment, rule engine, batched persistence) against the same generator
 * driving a bare broker (Mosquitto on 127.0.0.1:1883 when it answers, else a bare aedes).
 * Prints messages/s accepted, rows/s persisted and the ratio to the bare broker; medians of
 * rounds, because this machine is shared and noisy.
 *
 *   npx tsx gateway/bench/ingest.ts [--devices 200] [--seconds 8] [--rounds 3] [--window 8]
 */
import { fork } from 'node:child_process'
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

async function gatewayRounds(label: string, databaseUrl: string | undefined): Promise<{ rates: number[]; persisted: number[] }> {
  const config = loadConfig({
    EG_MQTT_PORT: '0',
    EG_HTTP_PORT: '0',
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
    const devices: SeededDevice[] = await seedElders(api, DEVICES)
    const rates: number[] = []
    const persisted: number[] = []
    for (let round = 0; round < ROUNDS; round++) {
      const before = await countReadings(gateway.db)
      const started = performance.now()
      const cpuBefore = process.cpuUsage()
      const r = await drive(`mqtt://127.0.0.1:${gateway.mqttPort}`, devices, 'eg/v1/', round)
      const cpu = process.cpuUsage(cpuBefore)
      const gatewayCpu = (cpu.user + cpu.system) / 1000 / (performance.now() - started)
      await gateway.settle()
      const rows = (await countReadings(gateway.db)) - before
      const totalMs = performance.now() - started
      rates.push((r.acked / r.elapsedMs) * 1000)
      persisted.push((rows / totalMs) * 1000)
      console.log(
        `  ${label} round ${round + 1}: ${fmt(rates.at(-1) ?? 0)} msg/s accepted, ${fmt(persisted.at(-1) ?? 0)} rows/s persisted (${fmt(rows)} rows); CPU: gateway ${pct(gatewayCpu)}, generator ${pct(r.generatorCpu)} of a core`,
      )
    }
    return { rates, persisted }
  } finally {
    await gateway.close()
  }
}

async function countReadings(db: { query<R extends object>(sql: string): Promise<R[]> }): Promise<number> {
  const rows = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM readings')
  return rows[0]?.n ?? 0
}

async function main(): Promise<void> {
  console.log(`bench:ingest — ${DEVICES} devices, QoS 1, window ${WINDOW}, ${SECONDS} s × ${ROUNDS} rounds per target; load ${loadavg()}`)
  const bareRates: number[] = []
  let bareName = 'bare broker'
  if (TARGETS.has('bare')) {
    const bare = await bareBroker()
    bareName = bare.name
    const devices = Array.from({ length: DEVICES }, (_, i) => ({ id: `bench-${process.pid}-${i}` }))
    for (let round = 0; round < ROUNDS; round++) {
      const r = await drive(bare.url, devices, 'bench/', round)
      bareRates.push((r.acked / r.elapsedMs) * 1000)
      console.log(`  ${bare.name} round ${round + 1}: ${fmt(bareRates.at(-1) ?? 0)} msg/s; CPU: generator ${pct(r.generatorCpu)} of a core`)
    }
    await bare.close()
  }
  if (TARGETS.has('aedes')) {
    // The same embedded broker library without eldergate: separates aedes' own cost from ours.
    const aedes = await bareBroker(true)
    const devices = Array.from({ length: DEVICES }, (_, i) => ({ id: `bench-a-${process.pid}-${i}` }))
    for (let round = 0; round < ROUNDS; round++) {
      const r = await drive(aedes.url, devices, 'bench/', round)
      console.log(`  bare aedes round ${round + 1}: ${fmt((r.acked / r.elapsedMs) * 1000)} msg/s; CPU: generator ${pct(r.generatorCpu)} of a core`)
    }
    await aedes.close()
  }
  let postgres: { rates: number[]; persisted: number[] } | undefined
  if (TARGETS.has('postgres')) {
    const database = await createPostgresDatabase()
    try {
      postgres = await gatewayRounds('gateway+PostgreSQL', database.url)
    } finally {
      await database.drop()
    }
  }
  const pglite = TARGETS.has('pglite') ? await gatewayRounds('gateway+PGlite', undefined) : undefined

  console.log(`\nresult (medians; load ${loadavg()})`)
  const bareMedian = median(bareRates)
  if (bareRates.length) console.log(`  bare broker (${bareName}): ${fmt(bareMedian)} msg/s`)
  if (postgres) {
    console.log(`  gateway + PostgreSQL: ${fmt(median(postgres.rates))} msg/s accepted, ${fmt(median(postgres.persisted))} rows/s persisted`)
  }
  if (pglite) console.log(`  gateway + PGlite:     ${fmt(median(pglite.rates))} msg/s accepted, ${fmt(median(pglite.persisted))} rows/s persisted`)
  if (postgres && bareRates.length) {
    console.log(`  ratio gateway+PostgreSQL / bare broker: ${(median(postgres.rates) / bareMedian).toFixed(2)} (target ≥ 0.60)`)
  }
}

function loadavg(): string {
  return os.loadavg().map((l) => l.toFixed(1)).join(' ')
}

main().catch((err: unknown) => {
  console.error(err)
  process.exit(1)
})
