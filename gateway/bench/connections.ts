/**
 * npm run bench:connections — capacity of one gateway: opens tens of thousands of device
 * connections (keepalive 60 s, one QoS 1 reading a minute each) and prints connections held,
 * the gateway's RSS per 10,000 connections, heap used, messages/s received and stored, connect
 * rate, failed connects, the gateway's CPU and the database's growth per stored reading.
 *
 *   npx tsx gateway/bench/connections.ts [--devices 100000] [--rate 2000] [--duration 120]
 *        [--pending 100] [--loaders <cores>] [--per-address 10000] [--heap-snapshot]
 *
 * The gateway runs as its own process (its RSS is read from /proc/<pid>/status, the gateway
 * alone) on a fresh PostgreSQL database, dropped at the end. Load comes from `--loaders` child
 * processes (connections-load.ts), each with its own slice of devices and its own source
 * addresses 127.0.0.x. Every process holds one file descriptor per connection, so the
 * open-files limit caps what one gateway process can hold: the bench raises the soft limit to
 * the hard one and, if the hard limit is below --devices, measures as many as it allows.
 */
import { fork, spawnSync, type ChildProcess } from 'node:child_process'
import { readdir, stat } from 'node:fs/promises'
import os from 'node:os'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { createPostgresDatabase } from '../../test/support/databases'
import { spawnGateway } from '../../test/support/gateway-process'
import { registerFleet } from './connections-fleet'
import type { LoadJob, LoadReport } from './connections-load'
import { fmt, kernelSettings, mib, openFilesLimit, sampleGateway, type GatewaySample } from './connections-probe'

const args = Object.fromEntries(
  process.argv.slice(2).flatMap((a, i, all) => (a.startsWith('--') ? [[a.slice(2), all[i + 1]?.startsWith('--') === false ? all[i + 1]! : '']] : [])),
) as Record<string, string>
const REQUESTED = Number(args.devices || 100_000)
const RATE = Number(args.rate || 2_000)
const DURATION_S = Number(args.duration || 120)
const PER_ADDRESS = Number(args['per-address'] || 10_000)
/**
 * CONNECTs awaiting their CONNACK, over all loaders. More only queues inside the gateway: on a
 * starved machine a deep queue makes handshakes exceed the devices' 30 s connect timeout.
 */
const MAX_PENDING = Number(args.pending || 100)
const KEEPALIVE_S = 60
const PASSWORD = 'connections-bench-password'
/** Descriptors a gateway needs besides device sockets: database pool, HTTP, logs, tsx, epoll. */
const FD_RESERVE = 200
const loadPath = fileURLToPath(new URL('./connections-load.ts', import.meta.url))

/** Child processes inherit rlimits: raise the soft open-files limit once, for all of them. */
async function raiseFdLimit(): Promise<void> {
  const limit = await openFilesLimit()
  if (limit.soft >= limit.hard || process.env.EG_BENCH_FD_RAISED === '1') return
  const hard = Number.isFinite(limit.hard) ? String(limit.hard) : 'unlimited'
  const argv = [process.execPath, ...process.execArgv, ...process.argv.slice(1)].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ')
  const result = spawnSync('bash', ['-c', `ulimit -n ${hard} && exec ${argv}`], { stdio: 'inherit', env: { ...process.env, EG_BENCH_FD_RAISED: '1' } })
  process.exit(result.status ?? 1)
}

/** Counts the gateway's warn/error log lines by message (pino JSON on stdout). */
function tallyWarnings(child: ChildProcess): Map<string, number> {
  const counts = new Map<string, number>()
  createInterface({ input: child.stdout! }).on('line', (text) => {
    if (!text.includes('"level":4') && !text.includes('"level":5')) return
    const msg = (JSON.parse(text) as { msg?: string; reason?: string }).msg ?? '?'
    counts.set(msg, (counts.get(msg) ?? 0) + 1)
  })
  return counts
}

interface Loader {
  child: ChildProcess
  latest: LoadReport | undefined
  final: Promise<LoadReport>
}

function startLoader(job: LoadJob): Loader {
  const child = fork(loadPath, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const loader: Loader = {
    child,
    latest: undefined,
    final: new Promise((resolve, reject) => {
      child.on('message', (m: LoadReport) => {
        loader.latest = m
        if (m.type === 'final') resolve(m)
      })
      child.once('exit', (code) => reject(new Error(`load child exited with ${code} before its final report`)))
    }),
  }
  child.send(job)
  return loader
}

function total(loaders: Loader[], key: 'connected' | 'connectAttempts' | 'connectFailures' | 'dropped' | 'sent' | 'acked' | 'pings' | 'pongs' | 'cpuMs'): number {
  return loaders.reduce((sum, l) => sum + (l.latest?.[key] ?? 0), 0)
}

function reasons(reports: ReadonlyArray<LoadReport | undefined>): string {
  const all = new Map<string, number>()
  for (const r of reports) for (const [k, v] of Object.entries(r?.failureReasons ?? {})) all.set(k, (all.get(k) ?? 0) + v)
  return all.size === 0 ? 'none' : [...all].map(([k, v]) => `${k} ${fmt(v)}`).join(', ')
}

const loadavg = () => os.loadavg().map((l) => l.toFixed(1)).join(' ')
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const cpuPct = (a: GatewaySample, b: GatewaySample) => `${(((b.cpuMs - a.cpuMs) / (b.at - a.at)) * 100).toFixed(0)} %`

function line(label: string, t0: number, s: GatewaySample, prev: GatewaySample, loaders: Loader[]): string {
  const rate = ((s.accepted - prev.accepted) / (s.at - prev.at)) * 1000
  return `  ${label} t=${((s.at - t0) / 1000).toFixed(0).padStart(4)} s  held ${fmt(s.connected).padStart(7)}  rss ${mib(s.rssBytes).padStart(9)}  heap ${mib(s.heapUsedBytes).padStart(8)}  cpu ${cpuPct(prev, s).padStart(5)}  ${rate.toFixed(0).padStart(5)} msg/s  attempts ${fmt(total(loaders, 'connectAttempts'))}  failed ${fmt(total(loaders, 'connectFailures'))}  dropped ${fmt(total(loaders, 'dropped'))}`
}

/**
 * With NODE_OPTIONS=--heapsnapshot-signal=SIGUSR2 in the environment the gateway writes
 * Heap.<date>.<pid>.heapsnapshot into its working directory (after a full GC). It is blocked
 * while it writes, so this runs after every measurement; waits until the file stops growing.
 */
async function heapSnapshot(pid: number): Promise<void> {
  const before = new Set(await readdir('.'))
  process.kill(pid, 'SIGUSR2')
  let size = -1
  for (let stable = 0; stable < 3; ) {
    await sleep(5_000)
    const file = (await readdir('.')).find((f) => f.endsWith('.heapsnapshot') && !before.has(f))
    const now = file === undefined ? -1 : (await stat(file)).size
    stable = now > 0 && now === size ? stable + 1 : 0
    size = now
  }
  console.log(`  heap snapshot written (${mib(size)}) in the working directory`)
}

interface DatabaseSize {
  rows: number
  tableBytes: number
  databaseBytes: number
  /** pg_total_relation_size of every table, by name. */
  tables: Map<string, number>
}

async function databaseSize(url: string): Promise<DatabaseSize> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const { rows } = await client.query<{ rows: number; table_bytes: string; database_bytes: string }>(
      `SELECT (SELECT count(*)::int FROM readings) AS rows, pg_total_relation_size('readings') AS table_bytes, pg_database_size(current_database()) AS database_bytes`,
    )
    const tables = await client.query<{ name: string; bytes: string }>(
      `SELECT relname AS name, pg_total_relation_size(relid) AS bytes FROM pg_stat_user_tables`,
    )
    const r = rows[0]!
    return { rows: r.rows, tableBytes: Number(r.table_bytes), databaseBytes: Number(r.database_bytes), tables: new Map(tables.rows.map((t) => [t.name, Number(t.bytes)])) }
  } finally {
    await client.end()
  }
}

/** The tables that grew most between two sizes, per stored reading. */
function topGrowth(before: DatabaseSize, after: DatabaseSize, rows: number): string {
  return [...after.tables]
    .map(([name, bytes]) => [name, bytes - (before.tables.get(name) ?? 0)] as const)
    .filter(([, grew]) => grew > 0)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 5)
    .map(([name, grew]) => `${name} +${fmt(grew / Math.max(1, rows))}`)
    .join(', ')
}

/**
 * A first start migrates the database and bootstraps the tenant; the fleet is registered while
 * no gateway runs; the measured gateway then loads it at start-up.
 */
async function prepare(databaseUrl: string, devices: number) {
  const env = { DATABASE_URL: databaseUrl, EG_ADMIN_PASSWORD: PASSWORD, EG_LOG_LEVEL: 'info' }
  await (await spawnGateway(env)).kill('SIGTERM')
  const registerStarted = performance.now()
  const fleet = await registerFleet(databaseUrl, devices, (done) => {
    if (done % 10_000 === 0) console.log(`  registered ${fmt(done)}`)
  })
  const registerS = (performance.now() - registerStarted) / 1000
  const startStarted = performance.now()
  const gateway = await spawnGateway(env)
  return { fleet, gateway, registerS, startS: (performance.now() - startStarted) / 1000 }
}

async function main(): Promise<void> {
  await raiseFdLimit()
  const limit = await openFilesLimit()
  const devices = Math.min(REQUESTED, limit.soft - FD_RESERVE)
  // Each loader holds one descriptor per connection too; one per core unless the limit needs more.
  const loaderCount = Math.max(Number(args.loaders || os.cpus().length), Math.ceil(devices / (limit.soft - FD_RESERVE)))
  console.log(`bench:connections — ${fmt(REQUESTED)} devices requested, connect rate ${fmt(RATE)}/s, hold ${DURATION_S} s, keepalive ${KEEPALIVE_S} s, one QoS 1 reading/min each; load average ${loadavg()}`)
  console.log(`  open files: soft ${limit.soft}, hard ${limit.hard} (this process and its children); ${await kernelSettings()}`)
  if (devices < REQUESTED) {
    console.log(`  ! the open-files hard limit (${limit.hard}) caps one gateway process at ~${fmt(devices)} connections: measuring ${fmt(devices)}, not ${fmt(REQUESTED)}.`)
    console.log(`    Raising it needs root (CAP_SYS_RESOURCE): e.g. LimitNOFILE=200000 in the systemd unit, or ulimit -Hn in a root shell.`)
  }

  const database = await createPostgresDatabase()
  const databaseName = new URL(database.url).pathname.slice(1)
  let prepared: Awaited<ReturnType<typeof prepare>>
  try {
    prepared = await prepare(database.url, devices)
  } catch (err) {
    await database.drop()
    throw err
  }
  const { fleet, gateway } = prepared
  console.log(`  registered ${fmt(devices)} elders + watches in ${prepared.registerS.toFixed(0)} s (${fmt(devices / prepared.registerS)} devices/s, registry store functions, no API)`)
  const pid = gateway.child.pid!
  const warnings = tallyWarnings(gateway.child)
  const gatewayLimit = await openFilesLimit(pid)
  console.log(`  gateway pid ${pid} started in ${prepared.startS.toFixed(1)} s (open files soft ${gatewayLimit.soft}), MQTT ${gateway.mqttPort}, HTTP ${gateway.httpPort}, database ${databaseName}`)
  const loaders: Loader[] = []
  try {
    const dbBefore = await databaseSize(database.url)

    // Idle baseline: the same gateway with its registry loaded and no device connected.
    await sleep(3_000)
    const baseline = await sampleGateway(pid, gateway.httpPort)
    console.log(`  baseline (no connections): rss ${mib(baseline.rssBytes)}, heap ${mib(baseline.heapUsedBytes)}`)

    const slice = Math.ceil(devices / loaderCount)
    for (let k = 0; k < loaderCount; k++) {
      const part = fleet.slice(k * slice, (k + 1) * slice)
      if (part.length === 0) continue
      loaders.push(
        startLoader({
          port: gateway.mqttPort, devices: part, firstIndex: k * slice, rate: RATE / loaderCount, maxPending: Math.ceil(MAX_PENDING / loaderCount),
          perAddress: PER_ADDRESS, keepaliveS: KEEPALIVE_S, readingEveryS: 60,
        }),
      )
    }
    console.log(`  ramp: ${loaders.length} load processes, ${Math.ceil(devices / PER_ADDRESS)} source addresses 127.0.0.x (${fmt(PER_ADDRESS)} each)`)

    // Ramp until every device has connected once, or nothing has improved for 30 s.
    const rampStart = baseline
    let prev = baseline
    let best = { held: 0, at: performance.now() }
    while (true) {
      await sleep(5_000)
      const s = await sampleGateway(pid, gateway.httpPort)
      console.log(line('ramp', rampStart.at, s, prev, loaders))
      prev = s
      if (s.connected > best.held) best = { held: s.connected, at: s.at }
      if (s.connected >= devices || s.at - best.at > 30_000) break
    }
    const rampS = Math.max(...loaders.map((l) => l.latest?.rampMs ?? 0)) / 1000
    const rampEnd = prev

    // Hold: readings flow (one per device per minute), sampled every 5 s.
    const holdStart = await sampleGateway(pid, gateway.httpPort)
    const ackedAtHold = total(loaders, 'acked')
    const samples: GatewaySample[] = [holdStart]
    prev = holdStart
    while (prev.at - holdStart.at < DURATION_S * 1000 - 2_500) {
      await sleep(5_000)
      const s = await sampleGateway(pid, gateway.httpPort)
      console.log(line('hold', holdStart.at, s, prev, loaders))
      samples.push(s)
      prev = s
    }
    const holdEnd = prev
    const ackedInHold = total(loaders, 'acked') - ackedAtHold
    // Let the writer flush what it buffered, then size the database.
    const flushDeadline = performance.now() + 15_000
    let last = holdEnd
    while (performance.now() < flushDeadline && last.persisted < last.accepted) last = (await sleep(500), await sampleGateway(pid, gateway.httpPort))
    const dbAfter = await databaseSize(database.url)

    const held = Math.min(...samples.map((s) => s.connected))
    const peakRss = Math.max(...samples.map((s) => s.rssBytes))
    const meanRss = samples.reduce((sum, s) => sum + s.rssBytes, 0) / samples.length
    const holdS = (holdEnd.at - holdStart.at) / 1000
    const perTenK = ((meanRss - baseline.rssBytes) / held) * 10_000
    const rows = dbAfter.rows - dbBefore.rows
    const bytesPerRow = (dbAfter.tableBytes - dbBefore.tableBytes) / Math.max(1, rows)
    const dbBytesPerRow = (dbAfter.databaseBytes - dbBefore.databaseBytes) / Math.max(1, rows)
    console.log(`\nresult (load average ${loadavg()} on ${os.cpus().length} cores: other work on a shared machine slows connects, not memory)`)
    console.log(`  connections held: ${fmt(held)} of ${fmt(devices)} (minimum over the ${holdS.toFixed(0)} s hold)`)
    console.log(`  connect: ${fmt(devices)} devices in ${rampS.toFixed(1)} s = ${fmt(devices / Math.max(rampS, 0.001))}/s achieved; ${fmt(total(loaders, 'connectFailures'))} failed attempts (${reasons(loaders.map((l) => l.latest))}); gateway cpu during ramp ${cpuPct(rampStart, rampEnd)}`)
    console.log(`  gateway rss: baseline ${mib(baseline.rssBytes)}, hold mean ${mib(meanRss)}, peak ${mib(peakRss)} → ${mib(perTenK)} per 10,000 connections above baseline (${mib((meanRss / held) * 10_000)} per 10,000 including it); no forced GC (the gateway does not expose one)`)
    console.log(`  extrapolated rss for 100,000 connections: ${mib(baseline.rssBytes + perTenK * 10)} (target < 3 GiB)`)
    console.log(`  gateway heap used: baseline ${mib(baseline.heapUsedBytes)}, end of hold ${mib(holdEnd.heapUsedBytes)} → ${mib(((holdEnd.heapUsedBytes - baseline.heapUsedBytes) / held) * 10_000)} per 10,000 connections`)
    console.log(`  messages: ${fmt(((holdEnd.accepted - holdStart.accepted) / holdS))} readings/s accepted, ${fmt((holdEnd.persisted - holdStart.persisted) / holdS)} rows/s stored, ${fmt(ackedInHold / holdS)} PUBACKs/s at the devices (expected ${fmt(held / 60)}/s); gateway cpu during hold ${cpuPct(holdStart, holdEnd)}`)
    console.log(`  keepalive: ${fmt(total(loaders, 'pings'))} PINGREQ, ${fmt(total(loaders, 'pongs'))} PINGRESP; ${fmt(total(loaders, 'dropped'))} established connections dropped`)
    console.log(`  gateway warnings/errors: ${warnings.size === 0 ? 'none' : [...warnings].map(([m, n]) => `${m} ×${fmt(n)}`).join('; ')}`)
    console.log(`  load processes: ${((total(loaders, 'cpuMs') / ((performance.now() - rampStart.at) * loaders.length)) * 100).toFixed(0)} % of a core each on average`)
    console.log(`  database: ${fmt(rows)} readings stored, readings table +${fmt(bytesPerRow)} bytes/reading (with indexes), whole database +${fmt(dbBytesPerRow)} bytes/reading (largest: ${topGrowth(dbBefore, dbAfter, rows)})`)
    console.log(`  → at one reading/min/device: ${((bytesPerRow * 1440 * 100_000) / 2 ** 30).toFixed(1)} GiB/day per 100,000 devices (${((bytesPerRow * 1440 * 10_000) / 2 ** 30).toFixed(2)} GiB/day per 10,000), PostgreSQL without compression`)
    if (args['heap-snapshot'] !== undefined) await heapSnapshot(pid)
  } finally {
    await Promise.all(
      loaders.map(async (l) => {
        l.child.send('stop')
        await Promise.race([l.final.catch(() => undefined), sleep(10_000)])
        l.child.kill()
      }),
    )
    const stopStarted = performance.now()
    await gateway.kill('SIGTERM')
    console.log(`  gateway stopped cleanly in ${((performance.now() - stopStarted) / 1000).toFixed(1)} s; dropping ${databaseName}`)
    await database.drop()
  }
}

main().catch((err: unknown) => {
  console.error(err)
  process.exit(1)
})
