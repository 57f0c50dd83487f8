import type { DeviceMessage } from './messages'
import type { CommandAckStatus, VoiceCommand as ContractCommand } from '../../../contract/device-events'
import { MAX_BATCH } from '../../../contract/device-limits'
import { topicOf } from '../../../contract/topics'
import { type Connector, type DeviceCredentialsForLink, type LinkTransport } from './transport'

/**
 * One device's link to the gateway, with the habits of a cheap mobile device: while the link
 * is down (a planned drop or a real loss) readings and events are kept in order and uploaded
 * on reconnect as one JSON array per topic (DESIGN §3 "buffered upload", ≤ 5,000 per array);
 * `online` is published retained on every connect, `offline` is the will; voice commands are
 * acknowledged `delivered` at once and `played` after the prompt has been spoken. A watch in
 * power saving keeps its link down and calls wake() then upload() on its schedule: connect,
 * upload, drop.
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

/** A command as received (contract/device-events.ts), parsed off the wire: any field but `id` may be missing. */
export type VoiceCommand = Pick<ContractCommand, 'id'> & Partial<ContractCommand>

export interface LinkOptions {
  /** Event time for acks (the simulation's virtual clock). */
  clock: () => number
  /** Wall ms between `delivered` and `played` (the prompt being spoken). */
  playDelayMs?: number
  /** Wall ms before reconnecting after a real (unplanned) loss. */
  retryMs?: number
  onCommand?: (deviceId: string, command: VoiceCommand) => void
  onError?: (deviceId: string, err: Error) => void
  /**
   * Awaited before a power-saving upload goes out, with the run's clock held (TownSim: until no
   * device has a publish in flight). Under EG_CLOCK=event the gateway stamps an upload's arrival
   * with the newest event time it has processed: an upload read while the gateway still works
   * off a backlog would be stamped minutes early, and the next one minutes "late" — silence
   * that a real watch, whose gateway lags by milliseconds, never shows.
   */
  beforeUpload?: () => Promise<void>
}

export class DeviceLink {
  readonly stats: LinkStats = { published: 0, buffered: 0, uploads: 0, drops: 0, reconnects: 0, publishErrors: 0, commands: 0, acks: 0 }
  private transport: LinkTransport | undefined
  private plannedDown = false
  private closing = false
  private buffer: DeviceMessage[] = []
  private readonly inflight = new Set<Promise<void>>()
  private reconnecting: Promise<void> | undefined
  /** Power-saving uploads, chained: one radio, so they go out one after another, in order. */
  private bursts: Promise<void> = Promise.resolve()
  private burstsPending = 0
  /** The connection a wake() opened for the next upload (undefined inside: it failed). */
  private woken: Promise<LinkTransport | undefined> | undefined
  /** Uploads handed to upload() whose arrays are not yet on the wire. */
  private unsent = 0

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

  /**
   * Whether an upload is waiting for its connection. The run's clock holds still meanwhile:
   * readings other devices record later must not reach the gateway before this upload does
   * only because its handshake took wall milliseconds (event minutes at ×2000).
   */
  get uploading(): boolean {
    return this.unsent > 0
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
    // A connection woken for an upload that will not come now carries everything kept.
    if (this.woken) this.upload(Infinity)
    // Uploads already under way go first: what they carry is older than what is left.
    await this.bursts
    await this.reconnect()
  }

  /**
   * A power-saving watch waking its radio for the next upload: the connection is opened now so
   * that upload() publishes at once, and the run's clock, which waits at an upload until it is
   * on the wire, seldom waits for a handshake.
   */
  wake(): void {
    if (this.up || this.woken) return
    this.woken = this.chain(() => this.open())
  }

  /**
   * A power-saving upload while the link is down: send what was kept up to event time `upTo`
   * as arrays on the woken connection (or a new one), then drop it. Which messages go is
   * decided now, in event time; only the network part runs later.
   */
  upload(upTo: number): void {
    if (this.up) {
      // Connected anyway (a test, or a habit without sleep): it all went out live; retry the rest.
      this.flush()
      return
    }
    const kept = this.buffer.sort((a, b) => a.ts - b.ts)
    const cut = kept.findIndex((m) => m.ts > upTo)
    const batch = cut < 0 ? kept : kept.slice(0, cut)
    this.buffer = cut < 0 ? [] : kept.slice(cut)
    const woken = this.woken
    this.woken = undefined
    // Nothing kept (a dead watch): nothing to connect for.
    if (batch.length === 0 && !woken) return
    this.unsent++
    void this.chain(async () => {
      let acked: Promise<unknown> = Promise.resolve()
      let transport: LinkTransport | undefined
      try {
        transport = woken ? await woken : await this.open()
        if (transport) await this.opts.beforeUpload?.()
        // No connection this time: the batch waits for the next upload, as on a real watch.
        if (!transport) this.buffer.push(...batch)
        else acked = Promise.all(this.publishArrays(transport, batch, () => true))
      } finally {
        this.unsent--
      }
      if (!transport) return
      // Dropped once the PUBACKs are in: a QoS 1 publish cut off before its PUBACK is not sent.
      await acked
      if (this.transport === transport) this.transport = undefined
      this.stats.drops++
      transport.drop()
    })
  }

  /** Resolves when the publishes in flight now (not power-saving uploads) are acknowledged or failed. */
  async idle(): Promise<void> {
    if (this.inflight.size > 0) await Promise.allSettled([...this.inflight])
  }

  /** Resolves when every publish so far has been acknowledged (PUBACK) or failed. */
  async settled(): Promise<void> {
    while (this.inflight.size > 0 || this.reconnecting || this.burstsPending > 0) {
      await Promise.allSettled([...this.inflight, this.reconnecting, this.bursts])
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
    // In flight when the plug was pulled on purpose: expected, not worth reporting.
    for (const p of this.publishArrays(transport, kept, () => !this.plannedDown)) this.track(p)
  }

  /** Power-saving steps run one after another (one radio): uploads arrive in order. */
  private chain<T>(step: () => Promise<T>): Promise<T> {
    this.burstsPending++
    const done = this.bursts.then(step).finally(() => {
      this.burstsPending--
    })
    this.bursts = done.then(
      () => undefined,
      () => undefined,
    )
    return done
  }

  /** A connection of its own for one power-saving upload; undefined when it cannot be had. */
  private async open(): Promise<LinkTransport | undefined> {
    try {
      if (this.closing) throw new Error('link closed')
      const transport = await this.connector(this.device, { onCommand: (payload) => this.handleCommand(payload) })
      // Commands that arrive while connected are acknowledged on this connection.
      this.transport = transport
      this.stats.reconnects++
      this.track(transport.publish(topicOf(this.device.id, 'status'), 'online', { qos: 1, retain: true }))
      return transport
    } catch (err) {
      this.opts.onError?.(this.device.id, err as Error)
      return undefined
    }
  }

  /** Publishes messages as arrays (≤ MAX_BATCH each), readings then events; a failed array goes back to the buffer. */
  private publishArrays(transport: LinkTransport, kept: readonly DeviceMessage[], report: () => boolean): Promise<void>[] {
    const sent: Promise<void>[] = []
    for (const channel of ['telemetry', 'event'] as const) {
      const bodies = kept.filter((m) => m.channel === channel)
      for (let i = 0; i < bodies.length; i += MAX_BATCH) {
        const chunk = bodies.slice(i, i + MAX_BATCH)
        this.stats.uploads++
        this.stats.published += chunk.length
        sent.push(
          transport.publish(topicOf(this.device.id, channel), JSON.stringify(chunk.map((m) => m.body)), { qos: 1 }).catch((err: Error) => {
            this.stats.publishErrors++
            this.buffer.push(...chunk)
            if (report()) this.opts.onError?.(this.device.id, err)
          }),
        )
      }
    }
    return sent
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

  private ack(id: string, status: CommandAckStatus): void {
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
