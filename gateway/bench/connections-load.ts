/**
 * Load child of bench:connections: holds tens of thousands of idle-ish device connections with
 * as little memory per connection as plain Node allows — a raw socket and pre-encoded MQTT
 * 3.1.1 frames (mqtt-packet's generate), no mqtt.js client per device (~30 KB each, too heavy
 * at 100,000). Each device behaves like a watch in a care home: keepalive 60 s, one QoS 1
 * reading a minute, phases spread uniformly over the minute, PINGREQ only when it has sent
 * nothing for a whole keepalive (as mqtt.js does).
 *
 * Protocol with the parent (IPC): receives one LoadJob, sends LoadReport every second and a
 * final one after 'stop'. Connects are paced at job.rate per second with at most
 * job.maxPending handshakes in flight; a failed connect is retried with exponential backoff.
 */
import net from 'node:net'
import { generate } from 'mqtt-packet'
import { sourceAddressFor } from '../../simulators/src/load/connections'

export interface LoadJob {
  port: number
  devices: Array<{ id: string; secret: string; home: { lat: number; lon: number } }>
  /** Index of this child's first device in the whole fleet: picks its source addresses. */
  firstIndex: number
  /** Connects per second for this child. */
  rate: number
  maxPending: number
  perAddress: number
  keepaliveS: number
  readingEveryS: number
}

export interface LoadReport {
  type: 'report' | 'final'
  connected: number
  connectAttempts: number
  connectFailures: number
  failureReasons: Record<string, number>
  /** Established connections the gateway (or the kernel) closed. */
  dropped: number
  sent: number
  acked: number
  pings: number
  pongs: number
  /** When the last initial connect succeeded, ms after the job started (the ramp's end). */
  rampMs: number
  cpuMs: number
}

const MAX_BACKOFF_MS = 30_000
const PUBACK = 4
const PINGRESP = 13
const CONNACK = 2

/** State per device in flat arrays: a handful of bytes each, not an object with closures. */
class Fleet {
  readonly sockets: Array<net.Socket | undefined>
  readonly lastSentAt: Float64Array
  readonly readings: Uint32Array
  readonly attempts: Uint8Array
  readonly everConnected: Uint8Array
  readonly connectFrames: Buffer[]
  readonly topics: string[]
  constructor(readonly job: LoadJob) {
    const n = job.devices.length
    this.sockets = new Array<net.Socket | undefined>(n)
    this.lastSentAt = new Float64Array(n)
    this.readings = new Uint32Array(n)
    this.attempts = new Uint8Array(n)
    this.everConnected = new Uint8Array(n)
    this.connectFrames = job.devices.map((d) =>
      generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: d.id, username: d.id, password: Buffer.from(d.secret), keepalive: job.keepaliveS, clean: true }),
    )
    this.topics = job.devices.map((d) => `eg/v1/${d.id}/telemetry`)
  }
}

const PINGREQ_FRAME = generate({ cmd: 'pingreq' })

function run(job: LoadJob): void {
  const fleet = new Fleet(job)
  const n = job.devices.length
  const started = performance.now()
  const cpuAtStart = process.cpuUsage()
  const stats: Omit<LoadReport, 'type' | 'cpuMs'> = {
    connected: 0, connectAttempts: 0, connectFailures: 0, failureReasons: {}, dropped: 0, sent: 0, acked: 0, pings: 0, pongs: 0, rampMs: 0,
  }
  let pending = 0
  let stopping = false
  const retryQueue: number[] = []

  const fail = (i: number, reason: string): void => {
    stats.connectFailures++
    stats.failureReasons[reason] = (stats.failureReasons[reason] ?? 0) + 1
    const attempt = Math.min(fleet.attempts[i]!, 15)
    const delay = Math.min(MAX_BACKOFF_MS, 500 * 2 ** attempt) * (0.5 + Math.random() / 2)
    setTimeout(() => retryQueue.push(i), delay).unref()
  }

  const connect = (i: number): void => {
    stats.connectAttempts++
    fleet.attempts[i]!++
    pending++
    const socket = net.connect({ port: job.port, host: '127.0.0.1', localAddress: sourceAddressFor(job.firstIndex + i, job.perAddress) })
    socket.setNoDelay(true)
    let handshaking = true
    let rest: Buffer | undefined
    socket.on('data', (chunk: Buffer) => {
      // Frames from the gateway: CONNACK, PUBACK, PINGRESP (a few bytes each). Keep a partial
      // frame only in the rare case one is split across reads.
      const data = rest === undefined ? chunk : Buffer.concat([rest, chunk])
      rest = undefined
      let at = 0
      while (at + 2 <= data.length) {
        const type = data[at]! >> 4
        let length = 0
        let multiplier = 1
        let p = at + 1
        let complete = false
        while (p < data.length) {
          const byte = data[p++]!
          length += (byte & 0x7f) * multiplier
          multiplier *= 128
          if ((byte & 0x80) === 0) {
            complete = true
            break
          }
        }
        if (!complete || p + length > data.length) break
        if (type === CONNACK && handshaking) {
          handshaking = false
          pending--
          if (data[p + 1] !== 0) {
            socket.destroy()
            fail(i, `connack-${data[p + 1]}`)
            return
          }
          fleet.sockets[i] = socket
          fleet.attempts[i] = 0
          fleet.lastSentAt[i] = performance.now()
          stats.connected++
          if (fleet.everConnected[i] === 0) {
            fleet.everConnected[i] = 1
            stats.rampMs = performance.now() - started
          }
        } else if (type === PUBACK) stats.acked++
        else if (type === PINGRESP) stats.pongs++
        at = p + length
      }
      if (at < data.length) rest = Buffer.from(data.subarray(at))
    })
    socket.on('error', () => {})
    socket.on('close', () => {
      if (handshaking) {
        pending--
        handshaking = false
        fail(i, 'closed-before-connack')
        return
      }
      if (fleet.sockets[i] === socket) {
        fleet.sockets[i] = undefined
        stats.connected--
        if (!stopping) {
          stats.dropped++
          fail(i, 'dropped')
        }
      }
    })
    socket.once('connect', () => socket.write(fleet.connectFrames[i]!))
    // A connect that never completes (SYN backlog overflow) must not hold a pending slot.
    socket.setTimeout(30_000, () => {
      if (handshaking) socket.destroy(new Error('timeout'))
      else socket.setTimeout(0)
    })
  }

  // Ramp: device i may start at i / rate seconds; retries share the same pacing.
  let next = 0
  let allowance = 0
  let lastTick = performance.now()
  const ramp = setInterval(() => {
    const now = performance.now()
    allowance = Math.min(job.rate, allowance + ((now - lastTick) / 1000) * job.rate)
    lastTick = now
    while (allowance >= 1 && pending < job.maxPending && !stopping) {
      const i = retryQueue.length > 0 ? retryQueue.shift()! : next < n ? next++ : -1
      if (i < 0) break
      allowance--
      connect(i)
    }
  }, 10)

  // Traffic: one slot per second of the keepalive period; device i lives in slot i mod period.
  const period = job.keepaliveS
  const readingRounds = Math.max(1, Math.round(job.readingEveryS / period))
  let slot = 0
  const visit = (now: number): void => {
    const round = Math.floor(slot / period)
    for (let i = slot % period; i < n; i += period) {
      const socket = fleet.sockets[i]
      if (socket === undefined || socket.writableLength > 64 * 1024) continue
      const d = job.devices[i]!
      // A reading on every visit when readings are at least as frequent as the keepalive;
      // otherwise on every (readingEveryS / keepalive)-th visit, with PINGREQs in between.
      if (round % readingRounds === 0) {
        const k = fleet.readings[i]!
        fleet.readings[i] = k + 1
        const ts = Date.now()
        const body = `{"ts":${ts},"lat":${(d.home.lat + (k % 7) * 2e-5).toFixed(6)},"lon":${d.home.lon.toFixed(6)},"acc":12,"src":"gps","hr":${60 + (k % 40)},"steps":${k * 9},"bat":80,"worn":true}`
        socket.write(generate({ cmd: 'publish', topic: fleet.topics[i]!, payload: Buffer.from(body), qos: 1, messageId: (k % 65535) + 1, retain: false, dup: false }))
        stats.sent++
        fleet.lastSentAt[i] = now
      } else if (now - fleet.lastSentAt[i]! >= period * 1000 - 1000) {
        socket.write(PINGREQ_FRAME)
        stats.pings++
        fleet.lastSentAt[i] = now
      }
    }
  }
  // Slots follow the wall clock, not the timer count: on a loaded machine a 1 s timer fires
  // late, and a device skipped that way would exceed keepalive × 1.5 and be dropped.
  const traffic = setInterval(() => {
    const now = performance.now()
    const due = Math.floor((now - started) / 1000)
    for (; slot <= due; slot++) visit(now)
  }, 250)

  const report = (type: LoadReport['type']): void => {
    const cpu = process.cpuUsage(cpuAtStart)
    process.send?.({ type, ...stats, cpuMs: (cpu.user + cpu.system) / 1000 } satisfies LoadReport)
  }
  const reporter = setInterval(() => report('report'), 1000)

  process.on('message', (message) => {
    if (message !== 'stop') return
    stopping = true
    clearInterval(ramp)
    clearInterval(traffic)
    clearInterval(reporter)
    for (const socket of fleet.sockets) socket?.destroy()
    report('final')
    process.disconnect()
  })
}

process.once('message', (job: LoadJob) => run(job))
