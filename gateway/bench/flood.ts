/**
 * Flood bench for the embedded broker (DESIGN §1: a county runs 1,000 watches + 1,000 cameras).
 *
 *   npx tsx gateway/bench/flood.ts [--devices 1000 --seconds 60] [--stock]
 *
 * Starts the broker in this process and a generator in a child process (so the two do not share
 * an event loop), which opens --devices connections and publishes QoS 0 telemetry on each as
 * fast as the sockets take it. Prints messages/s received by onMessage, RSS, and PUBACK latency of
 * a probe device every 5 s. `--stock` runs the same flood against a bare aedes with its default
 * message bus, to show the failure our emitter fixes.
 *
 * The same file is the generator: `--generate --port N --devices N --seconds N` (the broker tests
 * spawn it too). One role per process keeps the flood honest: the generator is plain sockets and
 * pre-encoded packets, so it costs the broker's machine little beyond the bytes it sends.
 */
import { spawn } from 'node:child_process'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import net from 'node:net'
import { fileURLToPath } from 'node:url'
import { Aedes } from 'aedes'
import mqtt from 'mqtt'
import { generate } from 'mqtt-packet'
import { startBroker, type Broker, type DeviceIdentity } from '../src/broker/index'
import { createLogger } from '../src/logger'
import { createMetrics } from '../src/metrics'

const GENERATOR_PATH = fileURLToPath(import.meta.url)

/** Fleet credentials, derived so the generator and the broker agree without a store. */
export const fleetDeviceId = (i: number): string => `flood-${i}`
const fleetSecret = (deviceId: string): string => `secret-of-${deviceId}`

export async function verifyFleetDevice(deviceId: string, secret: string): Promise<DeviceIdentity | null> {
  if (!deviceId.startsWith('flood-') && deviceId !== 'probe') return null
  if (secret !== fleetSecret(deviceId)) return null
  return { deviceId, tenantId: 'bench', elderId: 'elder-' + deviceId, kind: 'watch' }
}

export interface GeneratorResult {
  connected: number
  refused: number
  sent: number
  seconds: number
}

/** Runs the generator in a child process; resolves with what it reports when done. */
export function runGenerator(opts: { port: number; devices: number; seconds: number }): Promise<GeneratorResult> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', GENERATOR_PATH, '--generate', '--port', String(opts.port), '--devices', String(opts.devices), '--seconds', String(opts.seconds)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  )
  let out = ''
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()))
  return new Promise((resolve, reject) => {
    child.on('error', reject)
    child.on('exit', (code) => {
      const line = out.trim().split('\n').at(-1) ?? ''
      if (code !== 0) return reject(new Error(`flood generator exited with ${code}: ${out}`))
      resolve(JSON.parse(line) as GeneratorResult)
    })
  })
}

/** Connects a device as a probe and measures one QoS 1 PUBACK round trip, in ms. */
export async function probePuback(port: number, timeoutMs = 10_000): Promise<number> {
  const started = Date.now()
  const client = mqtt.connect(`mqtt://127.0.0.1:${port}`, {
    clientId: 'probe', username: 'probe', password: fleetSecret('probe'), reconnectPeriod: 0, connectTimeout: timeoutMs,
  })
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('probe timed out')), timeoutMs)
      client.once('error', (err) => (clearTimeout(timer), reject(err)))
      client.once('connect', () => {
        client.publish('eg/v1/probe/telemetry', '{"ts":0}', { qos: 1 }, (err) => (clearTimeout(timer), err ? reject(err) : resolve()))
      })
    })
    return Date.now() - started
  } finally {
    client.end(true)
  }
}

// ---------------------------------------------------------------------------------------------
// Generator role

async function generate_(port: number, devices: number, seconds: number): Promise<GeneratorResult> {
  const sockets: net.Socket[] = []
  let refused = 0
  const connectOne = (i: number): Promise<net.Socket | null> =>
    new Promise((resolve) => {
      const id = fleetDeviceId(i)
      const socket = net.connect(port, '127.0.0.1')
      socket.setNoDelay(true)
      socket.once('error', () => resolve(null))
      socket.once('data', (data: Buffer) => {
        // CONNACK: 0x20 0x02 flags rc
        if (data[0] === 0x20 && data[3] === 0) {
          socket.removeAllListeners('data')
          socket.on('data', () => {}) // PUBACKs, SUBACKs, own telemetry echoed to #-subscribers
          socket.on('error', () => {})
          resolve(socket)
        } else {
          refused++
          socket.destroy()
          resolve(null)
        }
      })
      const will = { topic: `eg/v1/${id}/status`, payload: Buffer.from('offline'), qos: 1 as const, retain: true }
      socket.write(generate({ cmd: 'connect', clientId: id, username: id, password: Buffer.from(fleetSecret(id)), keepalive: 60, clean: true, will }))
      socket.write(generate({ cmd: 'publish', topic: `eg/v1/${id}/status`, payload: Buffer.from('online'), qos: 1, messageId: 1, retain: true, dup: false }))
      // One device in ten subscribes to its whole tree, as some watch firmware does to catch
      // commands: those devices' telemetry then has a subscriber and is delivered asynchronously.
      const topic = i % 10 === 0 && process.env.EG_FLOOD_WHOLE_TREE !== '0' ? `eg/v1/${id}/#` : `eg/v1/${id}/cmd`
      socket.write(generate({ cmd: 'subscribe', messageId: 2, subscriptions: [{ topic, qos: 1 }] }))
    })

  // Ramp in batches: a thousand SYNs at once overflow a default listen backlog.
  for (let i = 0; i < devices; i += 100) {
    const batch = await Promise.all(Array.from({ length: Math.min(100, devices - i) }, (_, k) => connectOne(i + k)))
    for (const socket of batch) if (socket !== null) sockets.push(socket)
  }

  let sent = 0
  const started = Date.now()
  const deadline = started + seconds * 1000
  const perChunk = 20
  await Promise.all(
    sockets.map(
      (socket, n) =>
        new Promise<void>((resolve) => {
          const id = fleetDeviceId(n)
          const packets: Buffer[] = []
          for (let k = 0; k < perChunk; k++) {
            const payload = Buffer.from(`{"ts":${started + k},"hr":72,"steps":${k},"bat":88,"worn":true}`)
            packets.push(generate({ cmd: 'publish', topic: `eg/v1/${id}/telemetry`, payload, qos: 0, retain: false, dup: false }))
          }
          const chunk = Buffer.concat(packets)
          const pump = (): void => {
            if (socket.destroyed) return resolve()
            // Yield after a few chunks so one socket cannot monopolise the generator's loop.
            for (let burst = 0; burst < 8; burst++) {
              if (Date.now() >= deadline) return resolve()
              sent += perChunk
              if (!socket.write(chunk)) {
                socket.once('drain', pump)
                return
              }
            }
            setImmediate(pump)
          }
          socket.once('close', () => resolve())
          pump()
        }),
    ),
  )
  const elapsed = (Date.now() - started) / 1000
  for (const socket of sockets) socket.destroy()
  return { connected: sockets.length, refused, sent, seconds: elapsed }
}

// ---------------------------------------------------------------------------------------------
// Bench role

interface Target {
  port: number
  received: () => number
  close: () => Promise<void>
}

async function startTarget(stock: boolean): Promise<Target> {
  let received = 0
  if (stock) {
    // aedes exactly as shipped: default mqemitter (concurrency 100). Auth and counting only.
    const aedes = await Aedes.createBroker({
      authenticate: (client, username, password, done) => {
        void verifyFleetDevice(client.id, password?.toString() ?? '').then((d) => done(null, d !== null && username === client.id))
      },
      authorizePublish: (_client, packet, done) => {
        if (packet.topic.endsWith('/telemetry')) received++
        done(null)
      },
    })
    const server = net.createServer(aedes.handle)
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const address = server.address()
    return {
      port: typeof address === 'object' && address !== null ? address.port : 0,
      received: () => received,
      close: () => new Promise<void>((resolve) => aedes.close(() => server.close(() => resolve()))),
    }
  }
  const broker: Broker = await startBroker(
    {
      port: 0, host: '127.0.0.1', logger: createLogger('warn'), metrics: createMetrics(),
      authThrottle: { maxFailures: 5, windowMs: 60_000, blockMs: 300_000 },
      // EG_CLUSTER_REDIS_URL set: the same flood through the Redis-clustered bus (one node).
      ...(process.env.EG_CLUSTER_REDIS_URL ? { cluster: { redisUrl: process.env.EG_CLUSTER_REDIS_URL, name: `eg-bench-${process.pid}`, heartbeatMs: 10_000 } } : {}),
    },
    {
      verifyDevice: verifyFleetDevice,
      onMessage: (_device, channel) => {
        if (channel === 'telemetry') received++
      },
    },
  )
  return { port: broker.port, received: () => received, close: () => broker.close() }
}

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf('--' + name)
  const value = i === -1 ? undefined : Number(process.argv[i + 1])
  return value === undefined || !Number.isFinite(value) ? fallback : value
}

async function bench(): Promise<void> {
  const devices = arg('devices', 1000)
  const seconds = arg('seconds', 60)
  const stock = process.argv.includes('--stock')
  const target = await startTarget(stock)
  console.log(`flood: ${devices} devices × QoS 0 for ${seconds} s against ${stock ? 'stock aedes' : 'the eldergate broker'} on port ${target.port}`)

  const started = Date.now()
  let last = { at: started, received: 0 }
  let peakRss = 0
  const generator = runGenerator({ port: target.port, devices, seconds })
  let running = true
  void generator.finally(() => (running = false))

  const probes: string[] = []
  // The broker's responsiveness: the longest the event loop was blocked in each interval.
  const loopDelay = monitorEventLoopDelay({ resolution: 10 })
  loopDelay.enable()
  let worstLoopDelay = 0
  while (running) {
    await new Promise((resolve) => setTimeout(resolve, 5_000))
    const now = Date.now()
    const received = target.received()
    const rss = process.memoryUsage().rss / 2 ** 20
    peakRss = Math.max(peakRss, rss)
    let probe: string
    try {
      probe = `${await probePuback(target.port, 5_000)} ms`
    } catch (err) {
      probe = `FAILED (${(err as Error).message})`
    }
    probes.push(probe)
    const rate = ((received - last.received) / (now - last.at)) * 1000
    const blockedMs = loopDelay.max / 1e6
    worstLoopDelay = Math.max(worstLoopDelay, blockedMs)
    loopDelay.reset()
    console.log(
      `t=${((now - started) / 1000).toFixed(0).padStart(3)} s  ${Math.round(rate).toLocaleString('en').padStart(9)} msg/s  total ${received.toLocaleString('en').padStart(11)}  rss ${rss.toFixed(0)} MB  max loop delay ${blockedMs.toFixed(0)} ms  probe PUBACK ${probe}`,
    )
    last = { at: now, received }
  }

  const result = await generator
  let after: string
  try {
    after = `${await probePuback(target.port)} ms`
  } catch (err) {
    after = `FAILED (${(err as Error).message})`
  }
  const received = target.received()
  console.log('---')
  // "written" counts packets handed to the generator's sockets; the difference to "received" sat
  // in TCP buffers when the generator hung up (backpressure working), not lost inside the broker.
  console.log(`generator: ${result.connected} connected, ${result.refused} refused, ${result.sent.toLocaleString('en')} packets written in ${result.seconds.toFixed(1)} s`)
  console.log(
    `broker: ${received.toLocaleString('en')} received by onMessage = ${Math.round(received / result.seconds).toLocaleString('en')} msg/s average over the flood; peak rss ${peakRss.toFixed(0)} MB; worst loop delay ${worstLoopDelay.toFixed(0)} ms`,
  )
  console.log(`probe PUBACK after the flood: ${after}; failed probes during the flood: ${probes.filter((p) => p.startsWith('FAILED')).length}/${probes.length}`)
  await target.close()
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  if (process.argv.includes('--generate')) {
    const result = await generate_(arg('port', 1883), arg('devices', 1000), arg('seconds', 60))
    console.log(JSON.stringify(result))
    process.exit(0)
  } else {
    await bench()
  }
}
