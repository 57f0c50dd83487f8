/**
 * bench:watch, part 2 — memory per idle connection: the gateway runs as its own process (so
 * the clients' memory does not mix in) with a forced GC on request (watch-gc-hook.ts), and
 * this process opens M identified connections, then reads the gateway's RSS and heap before
 * and after. Once for watch-port connections (one `LK`, answered, then silence) and once for
 * MQTT connections (CONNECT, CONNACK, then silence), in the same gateway process, in
 * alternating order per round, each round on a fresh process.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import mqtt, { type MqttClient } from 'mqtt'
import { mapLimit } from '../../simulators/src/core/api-client'
import { createPostgresDatabase } from '../../test/support/databases'
import { frame, WatchClient } from '../../test/support/watch-client'
import { loadConfig } from '../src/config'
import { createLogger } from '../src/logger'
import { ensureBootstrap } from '../src/registry/bootstrap'
import { insertDevice, NO_SECRET } from '../src/registry/device-store'
import { insertElder } from '../src/registry/elder-store'
import { generateDeviceSecret, hashDeviceSecret } from '../src/registry/secrets'
import { openDb } from '../src/storage/db'
import { migrate, resolveTimescale } from '../src/storage/migrate'

const mainPath = fileURLToPath(new URL('../src/main.ts', import.meta.url))
const hookPath = fileURLToPath(new URL('./watch-gc-hook.ts', import.meta.url))
const PASSWORD = 'bench-watch-password'
/** Connections of each kind opened and closed before the baseline (see measureIdleMemory). */
const WARM_UP = 50

export interface MemorySample {
  rss: number
  heapUsed: number
  external: number
}

interface MeasuredGateway {
  child: ChildProcess
  httpPort: number
  mqttPort: number
  watchPort: number
  /** Forced GC, then the process's memory. */
  memory(): Promise<MemorySample>
  stop(): Promise<void>
}

/**
 * The gateway process as test/support/gateway-process.ts starts it (same main.ts, same
 * "eldergate ready" line), plus --expose-gc and the GC hook. spawnGateway's command line is
 * fixed, and the hook cannot come through NODE_OPTIONS: Node 20 also runs NODE_OPTIONS'
 * --import in its module-hooks thread, which has no tsx, so a .ts hook fails to load there.
 */
async function spawnMeasuredGateway(env: Record<string, string>): Promise<MeasuredGateway> {
  const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', '--import', hookPath, mainPath], {
    env: { ...process.env, EG_MQTT_PORT: '0', EG_HTTP_PORT: '0', EG_WATCH_PORT: '0', EG_HOST: '127.0.0.1', EG_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const stderr: string[] = []
  const samples: Array<(s: MemorySample | Error) => void> = []
  createInterface({ input: child.stderr! }).on('line', (line) => {
    if (!line.startsWith('{"egBenchMemory"')) return void stderr.push(line)
    const m = (JSON.parse(line) as { egBenchMemory: MemorySample & { error?: string } }).egBenchMemory
    samples.shift()?.(m.error === undefined ? m : new Error(`gateway memory hook: ${m.error}`))
  })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const ports = await new Promise<{ httpPort: number; mqttPort: number; watchPort: number }>((resolve, reject) => {
    // Every stdout line is read, or a full pipe would stall the gateway's logging.
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (!line.includes('eldergate ready')) return
      const p = JSON.parse(line) as { httpPort: number; mqttPort: number; watchPort?: number }
      if (p.watchPort === undefined) reject(new Error('gateway started without its watch port'))
      else resolve({ httpPort: p.httpPort, mqttPort: p.mqttPort, watchPort: p.watchPort })
    })
    void exited.then((code) => reject(new Error(`gateway exited with ${code} before it was ready: ${stderr.join('\n')}`)))
  })
  return {
    child,
    ...ports,
    memory() {
      return new Promise<MemorySample>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('gateway did not answer the memory request within 20 s')), 20_000)
        samples.push((s) => {
          clearTimeout(timer)
          if (s instanceof Error) reject(s)
          else resolve(s)
        })
        child.kill('SIGUSR2')
      })
    },
    async stop() {
      child.kill('SIGTERM')
      await exited
    },
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0

/** Median of three forced-GC samples: one sample can catch a timer's or a flush's garbage mid-flight. */
async function settledMemory(gw: MeasuredGateway): Promise<MemorySample> {
  const taken: MemorySample[] = []
  for (let i = 0; i < 3; i++) {
    if (i > 0) await sleep(300)
    taken.push(await gw.memory())
  }
  return { rss: median(taken.map((s) => s.rss)), heapUsed: median(taken.map((s) => s.heapUsed)), external: median(taken.map((s) => s.external)) }
}

async function gauge(httpPort: number, series: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text()
  const line = text.split('\n').find((l) => l.startsWith(`${series} `))
  return line === undefined ? 0 : Number(line.slice(series.length + 1))
}

interface Held {
  close(): Promise<void>
}

/** Opens `count` connections, 200 handshakes at a time; resolves when all are identified. */
async function openMany<T>(count: number, open: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = []
  // 200 at a time: under the watch port's limit of unidentified connections per address (256).
  for (let i = 0; i < count; i += 200) out.push(...(await Promise.all(Array.from({ length: Math.min(200, count - i) }, (_, k) => open(i + k)))))
  return out
}

async function holdWatches(port: number, imeis: string[]): Promise<Held> {
  const clients = await openMany(imeis.length, async (i) => {
    const c = await WatchClient.connect(port)
    c.write(frame(imeis[i]!, 'LK'))
    await c.answer('LK')
    return c
  })
  return {
    async close() {
      for (const c of clients) c.end()
      await Promise.all(clients.map((c) => c.closed))
    },
  }
}

async function holdMqtt(port: number, devices: Array<{ id: string; secret: string }>): Promise<Held> {
  const clients = await openMany(devices.length, (i) => {
    const d = devices[i]!
    return new Promise<MqttClient>((resolve, reject) => {
      const c = mqtt.connect(`mqtt://127.0.0.1:${port}`, { clientId: d.id, username: d.id, password: d.secret, protocolVersion: 4, reconnectPeriod: 0, keepalive: 60 })
      c.once('connect', () => resolve(c))
      c.once('error', reject)
    })
  })
  return {
    async close() {
      await Promise.all(clients.map((c) => c.endAsync(true)))
    },
  }
}

export interface PerConnection {
  rss: number
  heapUsed: number
  external: number
}

/** Per-connection figures of one kind, by whether that kind was opened first or second in its round. */
export interface ByPosition {
  first: PerConnection[]
  second: PerConnection[]
}

export interface IdleMemoryResult {
  watch: ByPosition
  mqtt: ByPosition
  baselines: MemorySample[]
}

/**
 * One figure per kind: the mean of its median opened-first and its median opened-second. The
 * kind opened second meets a process whose heap and RSS the first already grew (RSS grew less
 * for it: ~3 KB vs ~7.5 KB per watch connection here), so a plain median over an odd number of
 * rounds would give one kind its first-position figure and the other its second-position one.
 */
export function perConnection(p: ByPosition, key: keyof PerConnection): number {
  const med = (xs: PerConnection[]) => median(xs.map((x) => x[key]))
  if (p.first.length === 0 || p.second.length === 0) return med([...p.first, ...p.second])
  return (med(p.first) + med(p.second)) / 2
}

/**
 * Registers M elders, each with an MQTT watch and a protocol watch, straight into the registry
 * through its own store functions (as connections-fleet.ts does, same secret hashing): through
 * the API, POST /elders makes the rule engine reload every elder (O(n²) for a fleet) and 2,000
 * POST /devices took ~25 s on this loaded machine — most of a default run, and nothing this
 * bench measures. The protocol watches get exactly the row POST /api/v1/devices writes
 * (protocol "watch", their number, NO_SECRET); part 1 registers its watches through the API.
 */
async function registerWatchFleet(databaseUrl: string, count: number): Promise<{ mqtt: Array<{ id: string; secret: string }>; imeis: string[] }> {
  const logger = createLogger('warn')
  const db = await openDb({ databaseUrl, dataDir: 'unused', logger, poolSize: 4 })
  try {
    // What a gateway's first start does (gateway.ts), without a process start for it.
    const config = loadConfig({ DATABASE_URL: databaseUrl, EG_ADMIN_PASSWORD: PASSWORD })
    await migrate(db, { timescale: await resolveTimescale(db, config.EG_TIMESCALE, logger) })
    const { tenantId } = await ensureBootstrap(db, { tenantName: config.EG_TENANT_NAME, adminPassword: config.EG_ADMIN_PASSWORD })
    const batches = Array.from({ length: Math.ceil(count / 500) }, (_, b) => b)
    const parts = await mapLimit(batches, 4, (b) =>
      db.transaction(async (tx) => {
        const made: Array<{ id: string; secret: string; imei: string }> = []
        for (let i = b * 500; i < Math.min(count, (b + 1) * 500); i++) {
          const home = { lat: 30.7 + (i % 100) * 0.001, lon: 120.7 + Math.floor(i / 100) * 0.0005 }
          const elder = await insertElder(tx, tenantId, randomUUID(), { name: `idle-${i}`, home: { ...home, radiusM: 100 } })
          const secret = generateDeviceSecret()
          const device = await insertDevice(tx, tenantId, { id: randomUUID(), elderId: elder.id, kind: 'watch', secretHash: hashDeviceSecret(secret) })
          const imei = `87${String(i).padStart(13, '0')}`
          await insertDevice(tx, tenantId, { id: randomUUID(), elderId: elder.id, kind: 'watch', secretHash: NO_SECRET, protocol: 'watch', imei })
          made.push({ id: device.id, secret, imei })
        }
        return made
      }),
    )
    const all = parts.flat()
    return { mqtt: all.map(({ id, secret }) => ({ id, secret })), imeis: all.map((d) => d.imei) }
  } finally {
    await db.close()
  }
}

/** Measures `rounds` fresh gateway processes on one fleet of M elders; rounds alternate which kind is opened first. */
export async function measureIdleMemory(opts: { connections: number; rounds: number; log(line: string): void }): Promise<IdleMemoryResult> {
  const database = await createPostgresDatabase()
  const env = { DATABASE_URL: database.url, EG_ADMIN_PASSWORD: PASSWORD }
  try {
    const registered = await registerWatchFleet(database.url, opts.connections + WARM_UP)
    const fleet = registered.mqtt.slice(WARM_UP)
    const imeis = registered.imeis.slice(WARM_UP)
    const result: IdleMemoryResult = { watch: { first: [], second: [] }, mqtt: { first: [], second: [] }, baselines: [] }
    for (let round = 0; round < opts.rounds; round++) {
      const spawned = performance.now()
      const gw = await spawnMeasuredGateway(env)
      try {
        const startS = (performance.now() - spawned) / 1000
        // A few connections of each kind opened and closed before the baseline, on devices of
        // their own: code paths, pools and buffers set up once per process are not charged to
        // the measured connections (at 200 connections they doubled the MQTT figure), while
        // everything kept per device (auth and number caches, activity) still is.
        await (await holdWatches(gw.watchPort, registered.imeis.slice(0, WARM_UP))).close()
        await (await holdMqtt(gw.mqttPort, registered.mqtt.slice(0, WARM_UP))).close()
        // Start-up work (rule engine load, the first retention prune) is over before the baseline.
        await sleep(1_500)
        let before = await settledMemory(gw)
        result.baselines.push(before)
        const parts: string[] = [`started in ${startS.toFixed(1)} s; baseline rss ${mib(before.rss)}, heap ${mib(before.heapUsed)}`]
        // Alternating order: whichever kind goes second meets a heap the first already grew.
        const order: Array<'watch' | 'mqtt'> = round % 2 === 0 ? ['watch', 'mqtt'] : ['mqtt', 'watch']
        const held: Held[] = []
        for (const kind of order) {
          const opening = performance.now()
          held.push(kind === 'watch' ? await holdWatches(gw.watchPort, imeis) : await holdMqtt(gw.mqttPort, fleet))
          const openS = (performance.now() - opening) / 1000
          await sleep(1_000)
          // The gateway must hold what the clients think they hold, or the figure divides by a wrong count.
          const watches = await gauge(gw.httpPort, 'eg_watch_connected_watches')
          const devices = await gauge(gw.httpPort, 'eg_connected_devices')
          const opened = order.slice(0, order.indexOf(kind) + 1)
          const expected = { watches: opened.includes('watch') ? imeis.length : 0, devices: opened.includes('mqtt') ? fleet.length : 0 }
          if (watches !== expected.watches || devices !== expected.devices) {
            throw new Error(`gateway reports ${watches} identified watches and ${devices} MQTT devices, expected ${expected.watches} and ${expected.devices}`)
          }
          const after = await settledMemory(gw)
          const per: PerConnection = {
            rss: (after.rss - before.rss) / opts.connections,
            heapUsed: (after.heapUsed - before.heapUsed) / opts.connections,
            external: (after.external - before.external) / opts.connections,
          }
          result[kind][order.indexOf(kind) === 0 ? 'first' : 'second'].push(per)
          parts.push(`+${fmt(opts.connections)} ${kind === 'watch' ? 'watch' : 'MQTT'} (opened in ${openS.toFixed(1)} s): rss ${fmt(per.rss)} B, heap ${fmt(per.heapUsed)} B, external ${fmt(per.external)} B per connection`)
          before = after
        }
        opts.log(`  round ${round + 1} (gateway pid ${gw.child.pid}): ${parts.join('; ')}`)
        for (const h of held) await h.close()
      } finally {
        await gw.stop()
      }
    }
    return result
  } finally {
    await database.drop()
  }
}

export const fmt = (n: number): string => Math.round(n).toLocaleString('en-US')
const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MiB`
