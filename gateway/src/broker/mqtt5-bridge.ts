import { Duplex } from 'node:stream'
import { generate, parser, type ISubscription, type Packet } from 'mqtt-packet'
import { FrameInspector, type FrameViolation } from './frame-inspector'
import { Mqtt5Translator, REASON, REASON_STRINGS } from './mqtt5-translate'
import type { SessionTerms } from './session-terms'

/**
 * MQTT 5 for aedes 1.2, which speaks only 3.1/3.1.1 (its CONNECT handler answers protocol level 5
 * with "unacceptable protocol version"). DESIGN §3 promises devices 3.1.1 *and* 5, so MQTT 5
 * connections are translated on the wire: this Duplex is the "socket" aedes sees. Bytes from the
 * device are parsed as MQTT 5 and re-encoded as 3.1.1 for aedes; aedes' 3.1.1 output is parsed
 * and re-encoded as MQTT 5 for the device (mqtt5-translate.ts says how).
 *
 * What MQTT 5 adds and the gateway honours (README "MQTT contract"): reason codes for refused
 * messages and connections, Session Expiry and Will Delay (sessions.ts), subscription options
 * (subscription-options.ts), the client's Maximum Packet Size (here) and the one CONNACK
 * declares, and a CONNACK that says what is not offered: Subscription Identifiers, Shared
 * Subscriptions, Topic Aliases. Other properties (user properties, message expiry, content
 * type, response topic) are dropped. 3.1.1 devices never pass through here and pay nothing.
 */

const V5 = { protocolVersion: 5 }
/** The refusal reason codes a CONNACK may carry (MQTT 5 §3.2.2.2). */
const CONNACK_REASONS: ReadonlySet<number> = new Set([
  0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8c, 0x90, 0x95, 0x97, 0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9f,
])

/**
 * The Maximum Packet Size CONNACK declares: the largest accepted payload (EG_PAYLOAD_MAX_BYTES)
 * plus room for the rest of a PUBLISH — any topic the protocol allows (≤ 65,535 bytes) and
 * properties. A packet within it always reaches validation, so a payload over the limit but
 * under this is refused with PUBACK 0x97 and dead-lettered; a bigger packet ends the connection
 * with 0x95 before its body is read. Capped at the largest packet MQTT can frame.
 */
export function declaredMaxPacketBytes(maxPayloadBytes: number): number {
  return Math.min(maxPayloadBytes + 64 * 1024, 268_435_455)
}

export interface Mqtt5BridgeOptions {
  /** Declared in CONNACK and enforced on what the device sends [MQTT-3.2.2-15]; undefined: none. */
  maxPacketBytes?: number | undefined
  /** A violation that ends the connection (for the broker's log and metrics). */
  onViolation?: ((violation: FrameViolation, clientId: string | undefined) => void) | undefined
}

interface PeerSocket extends Duplex {
  remoteAddress?: string | undefined
}

export class Mqtt5Bridge extends Duplex {
  /** Read by the broker's logs and throttle, like a net.Socket's. */
  readonly remoteAddress: string | undefined
  private readonly fromDevice = parser({ protocolVersion: 5 })
  private readonly fromBroker = parser({ protocolVersion: 4 })
  private readonly inspector: FrameInspector
  private readonly translator: Mqtt5Translator
  /** QoS 2 publishes dropped as too large for the device: their PUBREL is answered here. */
  private readonly droppedQos2 = new Set<number>()
  private deviceWritable = true
  /** Set when we sent the device a DISCONNECT: end the socket so it is flushed, not destroyed. */
  private closingGracefully = false

  constructor(private readonly socket: PeerSocket, head: Buffer, private readonly opts: Mqtt5BridgeOptions = {}) {
    super()
    this.remoteAddress = socket.remoteAddress
    this.inspector = new FrameInspector(5, opts.maxPacketBytes)
    this.translator = new Mqtt5Translator(opts.maxPacketBytes)
    this.fromDevice.on('packet', (packet: Packet) => this.toBroker(packet))
    this.fromDevice.on('error', (err: Error) => this.refuse(REASON.MALFORMED_PACKET, err))
    this.fromBroker.on('packet', (packet: Packet) => this.toDevice(packet))
    this.fromBroker.on('error', (err: Error) => this.destroy(err))
    socket.on('data', (chunk: Buffer) => this.fromSocket(chunk))
    socket.on('end', () => this.push(null))
    socket.on('error', (err) => this.destroy(err))
    socket.on('close', () => this.destroy())
    this.fromSocket(head)
  }

  /** The device's CONNECT terms, for the session table. */
  get terms(): SessionTerms {
    return this.translator
  }

  /** The gateway refused this publish: its PUBACK (or PUBREC) carries `reasonCode`. */
  refusePublish(messageId: number, reasonCode: number): void {
    this.translator.refusePublish(messageId, reasonCode)
  }

  /** Puts the MQTT 5 subscription options back on a SUBSCRIBE aedes parsed (subscription-options.ts). */
  restoreSubscriptionOptions(subscriptions: ISubscription[]): void {
    this.translator.restoreSubscriptionOptions(subscriptions)
  }

  /** Closes with a reason the device can read: CONNACK before the connection is accepted, DISCONNECT after. */
  disconnect(reasonCode: number): void {
    this.refuse(reasonCode)
  }

  override _read(): void {
    // aedes wants more: undo the pause toBroker() applied when aedes' buffer was full.
    if (this.socket.isPaused()) this.socket.resume()
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.fromBroker.parse(chunk)
    // Pass the device socket's backpressure on to aedes (its drain timeout then applies).
    if (this.deviceWritable || this.socket.destroyed) callback()
    else this.socket.once('drain', () => callback())
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.socket.end(callback)
  }

  override _destroy(err: Error | null, callback: (error: Error | null) => void): void {
    if (this.closingGracefully && !this.socket.destroyed) {
      this.socket.end()
      // A device that never closes its side must not hold the socket open.
      setTimeout(() => this.socket.destroy(), 2_000).unref()
    } else {
      this.socket.destroy()
    }
    callback(err)
  }

  private fromSocket(chunk: Buffer): void {
    if (this.destroyed) return
    const violation = this.inspector.inspect(chunk)
    if (violation === undefined) {
      this.fromDevice.parse(chunk)
      return
    }
    this.opts.onViolation?.(violation, this.translator.clientId)
    this.refuse(violation === 'packet_too_large' ? REASON.PACKET_TOO_LARGE : REASON.MALFORMED_PACKET)
  }

  private toBroker(packet: Packet): void {
    if (this.destroyed) return
    const result = this.translator.downgrade(packet)
    if ('refuse' in result) {
      this.refuse(result.refuse)
    } else if ('endWithWill' in result) {
      this.push(null)
      this.socket.end()
    } else {
      this.pushToBroker(result)
    }
  }

  private pushToBroker(packet: Packet): void {
    if (!this.push(generate(packet))) this.socket.pause()
  }

  private toDevice(packet: Packet): void {
    if (this.socket.destroyed || this.closingGracefully) return
    if (packet.cmd === 'pubrel' && packet.messageId !== undefined && this.droppedQos2.delete(packet.messageId)) {
      this.pushToBroker({ cmd: 'pubcomp', messageId: packet.messageId })
      return
    }
    const upgraded = this.translator.upgrade(packet)
    const bytes = generate(upgraded, V5)
    if (bytes.length > this.translator.clientMaxPacketBytes) {
      this.dropTooLarge(upgraded)
      return
    }
    if (upgraded.cmd === 'connack') this.translator.connack = upgraded.reasonCode === REASON.SUCCESS ? 'accepted' : 'refused'
    this.deviceWritable = this.socket.write(bytes)
  }

  /**
   * A packet over the device's Maximum Packet Size is never sent [MQTT-3.1.2-24]. A message is
   * discarded and aedes is told it was delivered, as the spec asks [MQTT-3.1.2-25]; there is no
   * such way out for anything else (our other packets carry nothing optional to leave out), so
   * the connection ends — only a device declaring a few dozen bytes gets there.
   */
  private dropTooLarge(packet: Packet): void {
    if (packet.cmd !== 'publish') {
      this.destroy(new Error(`MQTT 5 ${packet.cmd} exceeds the client's Maximum Packet Size`))
      return
    }
    if (packet.messageId === undefined || packet.qos === 0) return
    if (packet.qos === 1) {
      this.pushToBroker({ cmd: 'puback', messageId: packet.messageId })
    } else {
      this.droppedQos2.add(packet.messageId)
      this.pushToBroker({ cmd: 'pubrec', messageId: packet.messageId })
    }
  }

  private refuse(reasonCode: number, cause?: Error): void {
    if (this.closingGracefully || this.destroyed) return
    // After a refusing CONNACK the connection is over already: nothing more is said.
    if (!this.socket.destroyed && this.translator.connack !== 'refused') this.socket.write(this.closingPacket(reasonCode))
    this.closingGracefully = true
    this.destroy(cause ?? new Error(`MQTT 5 client disconnected with reason 0x${reasonCode.toString(16)}`))
  }

  /**
   * DISCONNECT only after a CONNACK [MQTT-3.14.0-1]; before it, a refusing CONNACK, whose reason
   * codes are fewer (§3.2.2.2): the others become Protocol Error. A Reason String says it in
   * words (some clients read the code only when properties follow), unless that would break the
   * client's Maximum Packet Size (§3.14.2.2.3).
   */
  private closingPacket(reasonCode: number): Buffer {
    const afterConnack = this.translator.connack === 'accepted'
    const code = afterConnack || CONNACK_REASONS.has(reasonCode) ? reasonCode : REASON.PROTOCOL_ERROR
    const packet = (properties?: { reasonString: string }): Buffer =>
      generate(afterConnack ? { cmd: 'disconnect', reasonCode: code, properties } : { cmd: 'connack', sessionPresent: false, reasonCode: code, properties }, V5)
    const reasonString = REASON_STRINGS[code]
    const withText = reasonString === undefined ? undefined : packet({ reasonString })
    return withText !== undefined && withText.length <= this.translator.clientMaxPacketBytes ? withText : packet()
  }
}
