import net from 'node:net'
import { encodeFrame, isMessageEcho } from '../../../gateway/src/watch/frame'
import { FrameReader, isFrameProblem } from '../../../gateway/src/watch/frame-reader'
import type { DeviceEventBody, WatchReadingBody } from './messages'
import { hasSecret, leafOf, type Connector, type DeviceCredentialsForLink, type LinkTransport, type WatchNumberCredentials } from './transport'
import { voiceMessageText, WatchContentWriter, type WatchContent } from './watch-protocol-content'

/**
 * A watch on the 4G watch protocol (DESIGN §3b) behind the LinkTransport interface, so
 * DeviceLink's buffering and power saving work over it unchanged: what DeviceLink publishes on
 * a topic becomes frames (watch-protocol-content.ts says which), written to one TCP socket.
 *
 * Durability: publish() resolves only when the gateway has made the data durable, as a QoS 1
 * PUBACK says over MQTT. The gateway handles a connection's frames strictly in order and answers
 * a frame only once it and everything before it is durable; UD, UD2, heart and the MESSAGE echo
 * get no answer, so after a batch of them the transport sends a bare `LK` (a heartbeat, which
 * is answered, and carries no data of its own) and every frame written before it is confirmed
 * by that answer. An `AL` answer confirms what precedes it the same way. One LK is in flight at
 * a time: what is written meanwhile waits for the next one.
 */
export interface WatchProtocolOptions {
  host: string
  port: number
  /** The maker code in every frame (`3G`, `SG`, `CS`, …). */
  maker?: string
  connectTimeoutMs?: number
  /** An expected answer (LK, AL) that does not come within this long ends the connection, as a watch gives up on a dead link. */
  answerTimeoutMs?: number
}

/** What the protocol watches of one connector wrote and left out. */
export interface WatchProtocolStats {
  /** Frames written, by command (LK counts the barriers and connect heartbeats). */
  frames: Record<string, number>
  /** Messages with no frame in this protocol, by name (`event:worn`, `reading:hr-late`). */
  skipped: Record<string, number>
  /** Voice prompts received (and echoed). */
  prompts: number
}

export type WatchProtocolConnector = Connector & { readonly stats: WatchProtocolStats }

/** Parses `host:port` (a `--watch` option); the host defaults to 127.0.0.1. */
export function parseWatchAddress(text: string): { host: string; port: number } {
  const m = /^(?:(.*):)?(\d{1,5})$/.exec(text.trim())
  const port = m ? Number(m[2]) : NaN
  if (!m || !(port > 0 && port < 65_536)) throw new Error(`watch port address must be host:port or port, got '${text}'`)
  return { host: m[1] || '127.0.0.1', port }
}

export function watchProtocolConnector(opts: WatchProtocolOptions): WatchProtocolConnector {
  const stats: WatchProtocolStats = { frames: {}, skipped: {}, prompts: 0 }
  // Per watch, across its connections: an alarm reports the last fix the watch had.
  const writers = new Map<string, WatchContentWriter>()
  const connector: Connector = async (device, handlers) => {
    const watch = watchNumber(device)
    let writer = writers.get(watch.id)
    if (!writer) writers.set(watch.id, (writer = new WatchContentWriter(watch.clockOffsetMinutes ?? 0)))
    const socket = await openSocket(opts, watch)
    const transport = new WatchProtocolTransport(socket, watch, opts.maker ?? '3G', writer, handlers.onCommand, stats, opts.answerTimeoutMs ?? 30_000)
    // The first heartbeat names the watch; its answer says the gateway knows the number (an
    // unknown one is refused: the connection closes, and so this rejects).
    await transport.heartbeat()
    return transport
  }
  return Object.assign(connector, { stats })
}

function watchNumber(device: DeviceCredentialsForLink): WatchNumberCredentials {
  if (hasSecret(device)) throw new Error(`device ${device.id} has no watch number: register it with protocol "watch"`)
  return device
}

function openSocket(opts: WatchProtocolOptions, watch: WatchNumberCredentials): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: opts.host, port: opts.port })
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error(`watch ${watch.imei}: no connection to ${opts.host}:${opts.port} within ${opts.connectTimeoutMs ?? 15_000} ms`))
    }, opts.connectTimeoutMs ?? 15_000)
    socket.once('connect', () => {
      clearTimeout(timer)
      socket.setNoDelay(true)
      resolve(socket)
    })
    socket.once('error', (err) => {
      clearTimeout(timer)
      reject(err)
    })
  })
}

/** A frame to write: what a message became, or the transport's own (the LK barrier, the MESSAGE echo). */
interface Frame {
  cmd: WatchContent['cmd'] | 'LK' | 'MESSAGE'
  content: string
  /** The gateway answers it (LK, AL). */
  answered: boolean
}

interface Waiter {
  /** Confirmed once the gateway has answered a frame at or after this one. */
  seq: number
  resolve: () => void
  reject: (err: Error) => void
}

class WatchProtocolTransport implements LinkTransport {
  private readonly reader = new FrameReader()
  /** Frames written so far on this connection (sequence number of the last). */
  private written = 0
  /** Every frame up to this one is durable (an answer to it, or to a later one, came). */
  private confirmed = 0
  /** Frames written that the gateway will answer (LK, AL), in order: its answers come in this order. */
  private readonly awaiting: Array<{ seq: number; cmd: 'LK' | 'AL' }> = []
  private readonly waiters: Waiter[] = []
  private barrierQueued = false
  private answerTimer: NodeJS.Timeout | undefined
  private closed = false
  private leaving = false
  private lostHandler: ((reason: string) => void) | undefined
  private prompts = 0
  private readonly closedPromise: Promise<void>

  constructor(
    private readonly socket: net.Socket,
    private readonly watch: WatchNumberCredentials,
    private readonly maker: string,
    private readonly writer: WatchContentWriter,
    private readonly onCommand: (payload: Buffer) => void,
    private readonly stats: WatchProtocolStats,
    private readonly answerTimeoutMs: number,
  ) {
    socket.on('data', (chunk: Buffer) => this.received(chunk))
    // A reset ends in 'close', handled there.
    socket.on('error', () => undefined)
    this.closedPromise = new Promise((resolve) => socket.once('close', () => {
      this.onClose()
      resolve()
    }))
  }

  /** Writes a bare `LK`; resolves when it (and so everything before it) is answered. */
  heartbeat(): Promise<void> {
    if (this.closed) return Promise.reject(new Error('not connected'))
    this.write({ cmd: 'LK', content: 'LK', answered: true })
    return this.confirmation(this.written)
  }

  async publish(topic: string, payload: string): Promise<void> {
    if (this.closed) throw new Error('not connected')
    const leaf = leafOf(this.watch.id, topic)
    // The TCP connection is the presence (the gateway marks the watch online while it is
    // open); the watch echoes a prompt when it arrives (received()), there is no played.
    if (leaf === 'status' || leaf === 'cmd/ack') return
    const parsed = JSON.parse(payload) as unknown
    // An array is a buffered upload: its fixes go out as UD2, "late from the buffer".
    const late = Array.isArray(parsed)
    const bodies = late ? parsed : [parsed]
    const { contents, skipped } =
      leaf === 'telemetry' ? this.writer.readings(bodies as WatchReadingBody[], late) : leaf === 'event' ? this.writer.events(bodies as DeviceEventBody[]) : { contents: [], skipped: [`topic:${leaf}`] }
    for (const name of skipped) this.stats.skipped[name] = (this.stats.skipped[name] ?? 0) + 1
    if (contents.length === 0) return
    for (const c of contents) this.write(c)
    if (!contents[contents.length - 1]?.answered) this.queueBarrier()
    return this.confirmation(this.written)
  }

  onLost(handler: (reason: string) => void): void {
    this.lostHandler = handler
  }

  drop(): void {
    this.leaving = true
    this.socket.destroy()
  }

  /** A clean leave: whatever was written is confirmed first (one last LK if needed), then FIN. */
  async end(): Promise<void> {
    if (this.closed) return
    this.leaving = true
    if (this.written > this.confirmed) {
      if (this.awaiting.length === 0) this.write({ cmd: 'LK', content: 'LK', answered: true })
      await this.confirmation(this.written).catch(() => undefined)
    }
    this.socket.end()
    const timer = setTimeout(() => this.socket.destroy(), 5_000)
    await this.closedPromise
    clearTimeout(timer)
  }

  private write(c: Frame): void {
    this.written++
    this.stats.frames[c.cmd] = (this.stats.frames[c.cmd] ?? 0) + 1
    if (c.answered) {
      this.awaiting.push({ seq: this.written, cmd: c.cmd === 'AL' ? 'AL' : 'LK' })
      this.armAnswerTimer()
    }
    this.socket.write(encodeFrame(this.maker, this.watch.imei, c.content))
  }

  private confirmation(seq: number): Promise<void> {
    if (seq <= this.confirmed) return Promise.resolve()
    return new Promise((resolve, reject) => this.waiters.push({ seq, resolve, reject }))
  }

  /**
   * An LK after the current batch (the rest of this turn's publishes join it), unless one is in
   * flight: its answer sends the next if frames were written after it.
   */
  private queueBarrier(): void {
    if (this.barrierQueued || this.awaiting.some((a) => a.cmd === 'LK')) return
    this.barrierQueued = true
    setImmediate(() => {
      this.barrierQueued = false
      if (this.closed) return
      const answeredUpTo = this.awaiting.at(-1)?.seq ?? this.confirmed
      if (this.written > answeredUpTo) this.write({ cmd: 'LK', content: 'LK', answered: true })
    })
  }

  private received(chunk: Buffer): void {
    for (const item of this.reader.push(chunk)) {
      if (isFrameProblem(item)) continue // not a frame: nothing a watch could act on
      const content = item.content
      const text = voiceMessageText(content)
      if (text !== undefined) this.prompt(text)
      else if (!isMessageEcho(content)) this.answered(content.toString('latin1'))
    }
  }

  /** An answer (LK, AL) to the oldest frame awaiting one: everything up to it is durable. */
  private answered(cmd: string): void {
    const head = this.awaiting[0]
    if (!head || head.cmd !== cmd) return // an answer to nothing sent (TKQ, or the gateway's own): ignored
    this.awaiting.shift()
    this.confirmed = head.seq
    // Waiters are in write order: the confirmed ones are at the front.
    while ((this.waiters[0]?.seq ?? Infinity) <= head.seq) this.waiters.shift()?.resolve()
    this.armAnswerTimer()
    if (this.written > (this.awaiting.at(-1)?.seq ?? this.confirmed)) this.queueBarrier()
  }

  /** A voice prompt: echoed at once (the echo is "delivered", DESIGN §3b), then handed on as a voice command. */
  private prompt(text: string): void {
    this.stats.prompts++
    this.write({ cmd: 'MESSAGE', content: 'MESSAGE', answered: false })
    this.queueBarrier()
    // The frame carries no id: the simulated watch names it, for DeviceLink's bookkeeping.
    const id = `${this.watch.id}:message:${++this.prompts}`
    this.onCommand(Buffer.from(JSON.stringify({ id, type: 'voice', text })))
  }

  private armAnswerTimer(): void {
    clearTimeout(this.answerTimer)
    this.answerTimer = undefined
    if (this.awaiting.length === 0 || this.closed) return
    this.answerTimer = setTimeout(() => this.socket.destroy(new Error(`no answer within ${this.answerTimeoutMs} ms`)), this.answerTimeoutMs)
    this.answerTimer.unref()
  }

  private onClose(): void {
    this.closed = true
    clearTimeout(this.answerTimer)
    const err = new Error(this.leaving ? 'link dropped' : 'connection lost')
    for (const w of this.waiters.splice(0)) w.reject(err)
    if (!this.leaving) this.lostHandler?.('connection lost')
  }
}
