import type net from 'node:net'
import type { DeviceIdentity } from '../broker/types'
import type { WatchRow } from '../registry/device-store'
import { decodeContent } from './content'
import { encodeFrame, isMessageEcho, type WatchFrame } from './frame'
import { FrameReader } from './frame-reader'
import type { WatchPortContext, WatchSession } from './port-context'

/**
 * One watch's TCP connection (DESIGN §3b). Frames are handled in order. Those without an answer
 * (`UD`, `UD2`, health) are handed to the intake and the next frame is read while their rows
 * commit — a watch uploading its buffer fills the writer's batches instead of waiting one commit
 * per fix (bench:watch: one row per statement otherwise). Before any answer goes out, every store
 * started so far must be durable, so an answered frame (a heartbeat `LK` after a run of `UD`s)
 * tells the watch that everything before it is stored too. At most `maxUnansweredFrames` stores
 * are in flight per connection, and the socket is paused while they are awaited: a slow database
 * slows the watch down, and never lets acknowledged data sit in memory. A store that fails
 * closes the connection at once.
 *
 * The first frame names the watch; a number that is not registered closes the connection, and
 * so does a later frame that names another number (one connection, one watch).
 */
export class WatchConnection implements WatchSession {
  private readonly reader: FrameReader
  private readonly queue: WatchFrame[] = []
  private busy = false
  private closed = false
  private problems = 0
  private frameTimer: NodeJS.Timeout | undefined
  /** Set by the first frame of a registered number. */
  watch: (WatchRow & { imei: string; maker: string }) | undefined
  /** Stores started and not yet awaited (each settles to undefined; a failure closes the connection). */
  private inFlight: Array<Promise<void>> = []
  private storeFailure: unknown
  /** Ids of voice prompts written to the watch, oldest first: its `MESSAGE` echo confirms the oldest. */
  private readonly awaitingEcho: string[] = []

  constructor(
    readonly socket: net.Socket,
    readonly address: string,
    private readonly ctx: WatchPortContext,
  ) {
    this.reader = new FrameReader({ maxContentBytes: ctx.limits.maxContentBytes })
    socket.setTimeout(ctx.limits.identifyMs)
    socket.on('timeout', () => this.close(this.watch === undefined ? 'identify_timeout' : 'idle'))
    socket.on('data', (chunk: Buffer) => this.received(chunk))
    // A reset from the watch (it lost its cell) is the ordinary end of a watch connection.
    socket.on('error', () => this.close('socket_error', false))
    socket.on('close', () => this.closed || this.close('peer_closed', false))
  }

  get device(): DeviceIdentity | undefined {
    const w = this.watch
    return w === undefined ? undefined : { deviceId: w.deviceId, tenantId: w.tenantId, elderId: w.elderId, kind: w.kind, crs: w.crs }
  }

  /** Writes a voice prompt as `MESSAGE,<UTF-16BE hex>` (DESIGN §3b); resolves once handed to the kernel. */
  sendMessage(promptId: string, content: string): Promise<void> {
    const w = this.watch
    if (w === undefined || this.closed) return Promise.reject(new Error('watch not connected'))
    // Bounded: a watch that never echoes must not grow this list with every re-send.
    if (this.awaitingEcho.length >= 32) this.awaitingEcho.shift()
    this.awaitingEcho.push(promptId)
    return new Promise((resolve, reject) => {
      this.socket.write(encodeFrame(w.maker, w.imei, content), (err) => (err ? reject(err) : resolve()))
    })
  }

  close(reason: string, count = true): void {
    if (this.closed) return
    this.closed = true
    clearTimeout(this.frameTimer)
    if (count) this.ctx.metrics.refused.inc({ reason })
    this.socket.destroy()
    this.ctx.closed(this, reason)
  }

  private received(chunk: Buffer): void {
    if (this.closed) return
    for (const item of this.reader.push(chunk)) {
      if ('problem' in item) {
        this.ctx.metrics.frameProblems.inc({ problem: item.problem })
        this.problems++
        // A giant first frame is not a watch. An identified watch's over-long frame (a voice
        // recording, TK) is skipped unbuffered and counted — but a stream of broken frames is not a watch either.
        if ((item.problem === 'too_long' && this.watch === undefined) || this.problems > this.ctx.limits.maxProblems) return this.close(`frame_${item.problem}`)
        continue
      }
      this.queue.push(item)
    }
    this.armFrameTimer()
    if (this.queue.length > 0) void this.pump()
  }

  /**
   * Slow-loris guard: a frame begun must end within frameMs. Socket inactivity alone does not
   * catch a peer that sends one byte every few seconds forever.
   */
  private armFrameTimer(): void {
    if (this.reader.buffered() === 0) {
      clearTimeout(this.frameTimer)
      this.frameTimer = undefined
      return
    }
    if (this.frameTimer !== undefined) return
    this.frameTimer = setTimeout(() => this.close('frame_timeout'), this.ctx.limits.frameMs)
    this.frameTimer.unref()
  }

  private async pump(): Promise<void> {
    if (this.busy) return
    this.busy = true
    this.socket.pause()
    try {
      for (let frame = this.queue.shift(); frame !== undefined && !this.closed; frame = this.queue.shift()) {
        await this.handle(frame)
      }
    } catch (err) {
      // A failed store was logged and closed the connection (track()); anything else is a bug here.
      if (this.storeFailure === undefined) {
        this.ctx.logger.error({ err, deviceId: this.watch?.deviceId }, 'watch frame handling failed; connection closed')
        this.close('internal_error')
      }
    } finally {
      this.busy = false
      if (!this.closed) this.socket.resume()
    }
  }

  private async handle(frame: WatchFrame): Promise<void> {
    if (this.watch === undefined) {
      if (!(await this.identify(frame))) return
    } else if (frame.id !== this.watch.imei) {
      return this.close('id_mismatch')
    }
    const watch = this.watch!
    const device = this.device!
    const arrivedAt = this.ctx.clock()
    const receivedAt = this.ctx.ruleNow(device.tenantId)
    const decoded = decodeContent(frame.content, { receivedAt, ...(watch.clockOffsetMinutes === null ? {} : { clockOffsetMinutes: watch.clockOffsetMinutes }) })
    this.ctx.metrics.frames.inc({ command: this.ctx.commandLabel(decoded.cmd) })
    this.ctx.activity.frame(device.deviceId, arrivedAt, decoded.cmd.slice(0, 16))
    this.ctx.activity.seen(device.deviceId, arrivedAt)
    if (decoded.error !== undefined) {
      this.ctx.metrics.rejectedFrames.inc()
      this.track(() =>
        this.ctx.deadLetters.record(
          { tenantId: device.tenantId, deviceId: device.deviceId, channel: 'watch', reason: 'bad_frame', message: `${decoded.cmd}: ${decoded.error}`, payload: rawFrame(frame) },
          { durable: true },
        ),
      )
    } else {
      if (decoded.telemetry.length > 0) this.track(() => this.ctx.intake.onMessage(device, 'telemetry', json(decoded.telemetry), 1))
      if (decoded.events.length > 0) this.track(() => this.ctx.intake.onMessage(device, 'event', json(decoded.events), 1))
      if (decoded.echo === true || isMessageEcho(frame.content)) {
        const promptId = this.awaitingEcho.shift()
        if (promptId !== undefined) this.track(() => this.ctx.intake.onMessage(device, 'cmd/ack', json({ id: promptId, status: 'delivered', ts: receivedAt }), 1))
      }
    }
    // An answer only when all before it is durable; and never more than the bound in flight.
    if (decoded.answer !== undefined || this.inFlight.length >= this.ctx.limits.maxUnansweredFrames) await this.barrier()
    if (decoded.answer !== undefined && !this.closed) this.socket.write(encodeFrame(watch.maker, watch.imei, decoded.answer))
    // An identified watch is judged idle only after the long timeout.
    this.socket.setTimeout(this.ctx.limits.idleMs)
  }

  /** Starts a store; its outcome is awaited by the next barrier. A failure closes the connection now. */
  private track(store: () => unknown): void {
    let result: unknown
    try {
      result = store()
    } catch (err) {
      result = Promise.reject(err)
    }
    if (!(result instanceof Promise)) return
    this.inFlight.push(
      result.then(
        () => undefined,
        (err: unknown) => {
          if (this.storeFailure !== undefined) return
          this.storeFailure = err
          // Not durable (the database did not answer): nothing more is answered, and the watch
          // resends on its next connection — as an MQTT device without its PUBACK does.
          this.ctx.logger.warn({ err: (err as Error).message, deviceId: this.watch?.deviceId }, 'watch frame not stored; connection closed so the watch resends')
          this.close('storage_failed')
        },
      ),
    )
  }

  /** Resolves once every store started so far is durable; throws if one failed. */
  private async barrier(): Promise<void> {
    const all = this.inFlight
    this.inFlight = []
    await Promise.all(all)
    if (this.storeFailure !== undefined) throw this.storeFailure
  }

  private async identify(frame: WatchFrame): Promise<boolean> {
    const row = await this.ctx.directory.lookup(frame.id)
    if (this.closed) return false
    if (row === null) {
      this.close('unknown_watch')
      return false
    }
    this.watch = { ...row, imei: frame.id, maker: frame.maker }
    this.ctx.identified(this)
    return true
  }
}

/** One payload as MQTT would carry it: a single object, or an array for several. */
function json(items: unknown): Buffer {
  return Buffer.from(JSON.stringify(Array.isArray(items) && items.length === 1 ? items[0] : items))
}

function rawFrame(frame: WatchFrame): Buffer {
  return Buffer.concat([Buffer.from(`[${frame.maker}*${frame.id}*${frame.content.length.toString(16).toUpperCase().padStart(4, '0')}*`), frame.content, Buffer.from(']')])
}
