import type { DeviceMessage } from './messages'
import { topicOf, type Connector, type DeviceCredentialsForLink, type LinkTransport } from './transport'

/**
 * One device's link to the gateway, with the habits of a cheap mobile device: while the link
 * is down (a planned drop or a real loss) readings and events are kept in order and uploaded
 * on reconnect as one JSON array per topic (DESIGN §3 "buffered upload", ≤ 5,000 per array);
 * `online` is published retained on every connect, `offline` is the will; voice commands are
 * acknowledged `delivered` at once and `played` after the prompt has been spoken.
 */
export interface LinkStats {
  published: number
  buffered: number
  uploads: number
  drops: number
  reconnects: number
  publishErrors: number
  commands: number
  acks: number
}

export interface VoiceCommand {
  id: string
  type?: string
  text?: string
  expiresAt?: string | number
}

export interface LinkOptions {
  /** Event time for acks (the simulation's virtual clock). */
  clock: () => number
  /** Wall ms between `delivered` and `played` (the prompt being spoken). */
  playDelayMs?: number
  /** Wall ms before reconnecting after a real (unplanned) loss. */
  retryMs?: number
  onCommand?: (deviceId: string, command: VoiceCommand) => void
  onError?: (deviceId: string, err: Error) => void
}

/** DESIGN §3: a buffered upload holds at most 5,000 readings. */
export const MAX_UPLOAD = 5_000

export class DeviceLink {
  readonly stats: LinkStats = { published: 0, buffered: 0, uploads: 0, drops: 0, reconnects: 0, publishErrors: 0, commands: 0, acks: 0 }
  private transport: LinkTransport | undefined
  private plannedDown = false
  private closing = false
  private buffer: DeviceMessage[] = []
  private readonly inflight = new Set<Promise<void>>()
  private reconnecting: Promise<void> | undefined

  constructor(
    readonly device: DeviceCredentialsForLink,
    private readonly connector: Connector,
    private readonly opts: LinkOptions,
  ) {}

  get up(): boolean {
    return this.transport !== undefined && !this.plannedDown
  }

  get bufferedCount(): number {
    return this.buffer.length
  }

  async connect(): Promise<void> {
    const transport = await this.connector(this.device, { onCommand: (payload) => this.handleCommand(payload) })
    transport.onLost((reason) => this.lost(transport, reason))
    if (this.plannedDown || this.closing) {
      // A planned drop began while connecting: honour it.
      transport.drop()
      return
    }
    this.transport = transport
    this.track(transport.publish(topicOf(this.device.id, 'status'), 'online', { qos: 1, retain: true }))
    this.flush()
  }

  /** One reading or event at its event time: published now, or kept while the link is down. */
  send(message: DeviceMessage): void {
    if (!this.up) {
      this.buffer.push(message)
      this.stats.buffered++
      return
    }
    this.publishOne(message)
  }

  /** A planned drop: the plug is pulled, the broker publishes the will. */
  goDown(): void {
    if (this.plannedDown) return
    this.plannedDown = true
    this.stats.drops++
    const transport = this.transport
    this.transport = undefined
    transport?.drop()
  }

  /** The end of a planned drop: reconnect and upload what was kept. */
  async goUp(): Promise<void> {
    if (!this.plannedDown) return
    this.plannedDown = false
    this.stats.reconnects++
    await this.reconnect()
  }

  /** Resolves when every publish so far has been acknowledged (PUBACK) or failed. */
  async settled(): Promise<void> {
    while (this.inflight.size > 0 || this.reconnecting) {
      await Promise.allSettled([...this.inflight, this.reconnecting])
    }
  }

  /** Power down cleanly: upload what is left, say `offline`, disconnect. */
  async close(opts: { announce?: boolean } = {}): Promise<void> {
    if (this.plannedDown) await this.goUp()
    await this.settled()
    this.closing = true
    const transport = this.transport
    this.transport = undefined
    if (!transport) return
    if (opts.announce ?? true) await transport.publish(topicOf(this.device.id, 'status'), 'offline', { qos: 1, retain: true }).catch(() => undefined)
    await transport.end()
  }

  private publishOne(message: DeviceMessage): void {
    const transport = this.transport
    if (!transport) return
    const topic = topicOf(this.device.id, message.channel)
    this.stats.published++
    this.track(
      transport.publish(topic, JSON.stringify(message.body), { qos: 1 }).catch((err: Error) => {
        // Not acknowledged: keep it for the next upload (readings are unique per device and
        // time, so one that did arrive is not stored twice).
        this.stats.publishErrors++
        this.buffer.push(message)
        // In flight when the plug was pulled on purpose: expected, not worth reporting.
        if (!this.plannedDown) this.opts.onError?.(this.device.id, err)
      }),
    )
  }

  /** Uploads the buffer in event-time order as arrays, one topic at a time. */
  private flush(): void {
    const transport = this.transport
    if (!transport || this.buffer.length === 0) return
    const kept = this.buffer.sort((a, b) => a.ts - b.ts)
    this.buffer = []
    for (const channel of ['telemetry', 'event'] as const) {
      const bodies = kept.filter((m) => m.channel === channel)
      for (let i = 0; i < bodies.length; i += MAX_UPLOAD) {
        const chunk = bodies.slice(i, i + MAX_UPLOAD)
        this.stats.uploads++
        this.stats.published += chunk.length
        this.track(
          transport.publish(topicOf(this.device.id, channel), JSON.stringify(chunk.map((m) => m.body)), { qos: 1 }).catch((err: Error) => {
            this.stats.publishErrors++
            this.buffer.push(...chunk)
            if (!this.plannedDown) this.opts.onError?.(this.device.id, err)
          }),
        )
      }
    }
  }

  private lost(transport: LinkTransport, reason: string): void {
    if (this.transport !== transport || this.closing) return
    this.transport = undefined
    this.stats.drops++
    this.opts.onError?.(this.device.id, new Error(reason))
    if (!this.plannedDown) void this.reconnect()
  }

  private reconnect(): Promise<void> {
    this.reconnecting ??= (async () => {
      for (let attempt = 0; !this.closing && !this.plannedDown && !this.transport; attempt++) {
        try {
          await this.connect()
        } catch (err) {
          this.opts.onError?.(this.device.id, err as Error)
          await new Promise((r) => setTimeout(r, Math.min(10_000, (this.opts.retryMs ?? 1_000) * 2 ** Math.min(attempt, 4))))
        }
      }
    })().finally(() => {
      this.reconnecting = undefined
    })
    return this.reconnecting
  }

  private handleCommand(payload: Buffer): void {
    let command: VoiceCommand
    try {
      command = JSON.parse(payload.toString('utf8')) as VoiceCommand
    } catch {
      this.opts.onError?.(this.device.id, new Error('command is not JSON'))
      return
    }
    if (typeof command.id !== 'string') return
    this.stats.commands++
    this.opts.onCommand?.(this.device.id, command)
    this.ack(command.id, 'delivered')
    setTimeout(() => this.ack(command.id, 'played'), this.opts.playDelayMs ?? 200).unref()
  }

  private ack(id: string, status: 'delivered' | 'played' | 'failed'): void {
    const transport = this.transport
    if (!transport) return
    this.stats.acks++
    this.track(transport.publish(topicOf(this.device.id, 'cmd/ack'), JSON.stringify({ id, status, ts: Math.round(this.opts.clock()) }), { qos: 1 }).catch(() => undefined))
  }

  private track(p: Promise<void>): void {
    const tracked: Promise<void> = p
      .catch((err: Error) => this.opts.onError?.(this.device.id, err))
      .finally(() => this.inflight.delete(tracked))
    this.inflight.add(tracked)
  }
}
