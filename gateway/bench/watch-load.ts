/**
 * Load generator process for bench:watch (forked by watch.ts, one per transport and gateway).
 * It connects its devices once, then runs rounds on command: every device writes the readings
 * of watch-readings.ts with at most `window` unconfirmed at a time, and the process reports how
 * many were confirmed durable by the deadline. It runs in its own process so the gateway under
 * test and the generator each get a core, and it stays up across rounds so connecting (and a
 * tsx start-up) is not paid again every round.
 *
 *  - watch: a raw TCP socket per watch. Frames are written in groups of `every` `UD` frames
 *    followed by a bare `LK`; the gateway answers an `LK` only once it and every frame before
 *    it on the connection is durable (DESIGN §3b), so an answered `LK` confirms its group.
 *    Unanswered `UD`s confirm nothing, and nothing else is counted.
 *  - mqtt: an MQTT client per device publishing the same readings at QoS 1; a PUBACK is sent
 *    only once the reading is committed (DESIGN §3), so a PUBACK confirms its reading.
 */
import net from 'node:net'
import mqtt, { type MqttClient } from 'mqtt'
import { frame } from '../../test/support/watch-client'
import { type BenchDevice, mqttPayload, STEP_MS, udFrame } from './watch-readings'

export interface LoadJob {
  transport: 'watch' | 'mqtt'
  port: number
  devices: BenchDevice[]
  /** Readings written but not yet confirmed, per device, at most. */
  window: number
  /** watch: `UD` frames per `LK` barrier. */
  every: number
}

/**
 * `lastTs`: the newest event time a reading of this round may carry. Each reading is one second
 * after the previous of its device, so a fast device runs through event time; past the present
 * the gateway would refuse its readings (future_ts) — dead-lettered, durably, so confirmed yet
 * never stored — and the generator stops with an error instead.
 */
export type LoadCommand = { type: 'round'; startTs: number; seconds: number; lastTs: number } | { type: 'drain' } | { type: 'stop' }

export type LoadReport =
  | { type: 'ready'; connected: number; connectMs: number }
  /** At the deadline: what was confirmed by then is the figure. */
  | { type: 'done'; confirmed: number; written: number; elapsedMs: number; cpuMs: number }
  /** After the deadline, once every written reading was confirmed: the round's full account. */
  | { type: 'drained'; confirmed: number; written: number; maxWritten: number; drainMs: number }
  | { type: 'error'; message: string }

/** Set while the process closes its own connections: those closes are not faults. */
let closing = false

function report(message: LoadReport): void {
  process.send?.(message)
}

let failed = false

/**
 * Reports the first fault and ends the process once the report has left: an exit right after
 * send() can drop the message, and the bench would only see "exited with 1". Faults that
 * follow from the first (every socket closing) are not reported again.
 */
function fail(message: string): void {
  if (failed) return
  failed = true
  closing = true
  const error: LoadReport = { type: 'error', message }
  if (process.send) process.send(error, undefined, {}, () => process.exit(1))
  else process.exit(1)
}

/** One device's stream in a round. */
interface Lane {
  /** Readings written this round (indices 0 … written-1). */
  written: number
  confirmed: number
  start(startTs: number, lastTs: number): void
  stop(): void
  /** Written and not confirmed. */
  outstanding(): number
  close(): void
}

/** Answers as the watch reads them; the test client's regular expression, applied to a stream. */
const ANSWER = /\[([0-9A-Za-z]{2})\*([0-9]+)\*([0-9A-Fa-f]{4})\*([^\]]*)\]/g

class WatchLane implements Lane {
  written = 0
  confirmed = 0
  private running = false
  private startTs = 0
  private lastTs = 0
  /** Groups written this round whose LK is not answered yet. */
  private groups = 0
  private text = ''
  private identified: (() => void) | undefined
  private readonly lk: Buffer

  private constructor(
    private readonly socket: net.Socket,
    private readonly device: BenchDevice & { imei: string },
    private readonly job: LoadJob,
  ) {
    this.lk = frame(device.imei, 'LK')
    socket.on('data', (chunk: Buffer) => this.received(chunk))
    socket.on('error', (err) => fail(`watch ${device.imei}: ${err.message}`))
    // The gateway closes a watch's connection only for a fault (unknown number, storage
    // failure): the bench must say so, not report a rate over fewer watches.
    socket.on('close', () => !closing && fail(`watch ${device.imei}: the gateway closed the connection`))
  }

  /** Connects and identifies the watch (its first `LK`, answered), outside any measured round. */
  static async open(port: number, device: BenchDevice, job: LoadJob): Promise<WatchLane> {
    const imei = device.imei
    if (imei === undefined) throw new Error(`device ${device.id} has no watch number`)
    const socket = net.connect({ port, host: '127.0.0.1' })
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve())
      socket.once('error', reject)
    })
    socket.setNoDelay(true)
    const lane = new WatchLane(socket, { ...device, imei }, job)
    await new Promise<void>((resolve) => {
      lane.identified = resolve
      socket.write(lane.lk)
    })
    return lane
  }

  start(startTs: number, lastTs: number): void {
    this.startTs = startTs
    this.lastTs = lastTs
    this.written = 0
    this.confirmed = 0
    this.running = true
    this.refill()
  }

  stop(): void {
    this.running = false
  }

  outstanding(): number {
    return this.written - this.confirmed
  }

  close(): void {
    this.socket.destroy()
  }

  /** Writes whole groups (UD × every, then LK) while the window has room for one. */
  private refill(): void {
    while (this.running && !failed && this.written + this.job.every - this.confirmed <= this.job.window) {
      if (!checkEventTime(this.startTs, this.written + this.job.every - 1, this.lastTs)) return
      const parts: Buffer[] = []
      for (let i = 0; i < this.job.every; i++) parts.push(udFrame(this.device.imei, this.device.home, this.written++, this.startTs))
      parts.push(this.lk)
      this.groups++
      // One write per group: what a watch flushing its buffer does, and one syscall for the generator.
      this.socket.write(Buffer.concat(parts))
    }
  }

  private received(chunk: Buffer): void {
    this.text += chunk.toString('latin1')
    let consumed = 0
    ANSWER.lastIndex = 0
    for (let m = ANSWER.exec(this.text); m !== null; m = ANSWER.exec(this.text)) {
      consumed = ANSWER.lastIndex
      // UD is never answered (DESIGN §3b): any other answer means the bench is not measuring what it says.
      if (m[4] !== 'LK' || m[2] !== this.device.imei) return fail(`watch ${this.device.imei}: unexpected answer ${m[0]}`)
      if (this.groups > 0) {
        this.groups--
        this.confirmed += this.job.every
        this.refill()
      } else if (this.identified !== undefined) {
        this.identified()
        this.identified = undefined
      } else {
        fail(`watch ${this.device.imei}: an LK answer with no LK outstanding`)
      }
    }
    this.text = this.text.slice(consumed)
  }
}

class MqttLane implements Lane {
  written = 0
  confirmed = 0
  private running = false
  private startTs = 0
  private lastTs = 0

  private constructor(
    private readonly client: MqttClient,
    private readonly device: BenchDevice,
    private readonly job: LoadJob,
  ) {
    client.on('error', (err) => fail(`mqtt ${device.id}: ${err.message}`))
    client.on('close', () => !closing && fail(`mqtt ${device.id}: the gateway closed the connection`))
  }

  static async open(port: number, device: BenchDevice, job: LoadJob): Promise<MqttLane> {
    const client = await new Promise<MqttClient>((resolve, reject) => {
      const c = mqtt.connect(`mqtt://127.0.0.1:${port}`, {
        clientId: device.id,
        username: device.id,
        password: device.secret,
        protocolVersion: 4,
        reconnectPeriod: 0,
        keepalive: 60,
      })
      c.once('connect', () => resolve(c))
      c.once('error', reject)
    })
    return new MqttLane(client, device, job)
  }

  start(startTs: number, lastTs: number): void {
    this.startTs = startTs
    this.lastTs = lastTs
    this.written = 0
    this.confirmed = 0
    this.running = true
    for (let w = 0; w < this.job.window; w++) this.publish()
  }

  stop(): void {
    this.running = false
  }

  outstanding(): number {
    return this.written - this.confirmed
  }

  close(): void {
    this.client.end(true)
  }

  private publish(): void {
    if (!this.running || failed || !checkEventTime(this.startTs, this.written, this.lastTs)) return
    const payload = mqttPayload(this.device.home, this.written++, this.startTs)
    this.client.publish(`eg/v1/${this.device.id}/telemetry`, payload, { qos: 1 }, (err) => {
      if (err) return fail(`mqtt ${this.device.id}: ${err.message}`)
      this.confirmed++
      this.publish()
    })
  }
}

async function openAll(job: LoadJob): Promise<Lane[]> {
  const lanes: Lane[] = []
  // 50 at a time: well under the watch port's limit of unidentified connections per address
  // (EG_WATCH_MAX_PENDING_PER_ADDRESS, 256), and the same for MQTT so both connect alike.
  const batch = 50
  for (let i = 0; i < job.devices.length; i += batch) {
    const part = job.devices.slice(i, i + batch)
    lanes.push(...(await Promise.all(part.map((d) => (job.transport === 'watch' ? WatchLane.open(job.port, d, job) : MqttLane.open(job.port, d, job))))))
  }
  return lanes
}

/** False (and the process fails) when reading n would be newer than lastTs. */
function checkEventTime(startTs: number, n: number, lastTs: number): boolean {
  if (startTs + n * STEP_MS <= lastTs) return true
  fail(`event time ran out: reading ${n} of a device would be newer than the present (one second per reading per device); use more devices, fewer or shorter rounds`)
  return false
}

const sum = (lanes: Lane[], key: 'written' | 'confirmed') => lanes.reduce((s, l) => s + l[key], 0)

async function run(job: LoadJob): Promise<void> {
  const connectStarted = performance.now()
  const lanes = await openAll(job)
  report({ type: 'ready', connected: lanes.length, connectMs: performance.now() - connectStarted })
  process.on('message', (command: LoadCommand) => {
    if (command.type === 'round') {
      const started = performance.now()
      const cpuBefore = process.cpuUsage()
      for (const lane of lanes) lane.start(command.startTs, command.lastTs)
      setTimeout(() => {
        for (const lane of lanes) lane.stop()
        const cpu = process.cpuUsage(cpuBefore)
        report({ type: 'done', confirmed: sum(lanes, 'confirmed'), written: sum(lanes, 'written'), elapsedMs: performance.now() - started, cpuMs: (cpu.user + cpu.system) / 1000 })
      }, command.seconds * 1000)
    } else if (command.type === 'drain') {
      // The readings in flight at the deadline are still confirmed, outside the measurement, so
      // the next round (of either transport) starts on an idle gateway.
      const started = performance.now()
      const deadline = started + 60_000
      const poll = setInterval(() => {
        if (lanes.every((l) => l.outstanding() === 0)) {
          clearInterval(poll)
          report({ type: 'drained', confirmed: sum(lanes, 'confirmed'), written: sum(lanes, 'written'), maxWritten: Math.max(...lanes.map((l) => l.written)), drainMs: performance.now() - started })
        } else if (performance.now() > deadline) {
          clearInterval(poll)
          fail(`${lanes.filter((l) => l.outstanding() > 0).length} devices still have unconfirmed readings 60 s after the deadline`)
        }
      }, 20)
    } else {
      closing = true
      for (const lane of lanes) lane.close()
      setTimeout(() => process.exit(0), 200)
    }
  })
}

// The bench died (or was interrupted): a generator must not outlive it holding connections.
process.once('disconnect', () => process.exit(0))

process.once('message', (job: LoadJob) => {
  run(job).catch((err: unknown) => fail((err as Error).message))
})
