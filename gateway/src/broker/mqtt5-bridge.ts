import { Duplex } from 'node:stream'
import { generate, parser, type Packet } from 'mqtt-packet'

/**
 * MQTT 5 for aedes 1.2, which speaks only 3.1/3.1.1 (its CONNECT handler answers protocol level 5
 * with "unacceptable protocol version"). DESIGN §3 promises devices 3.1.1 *and* 5, so MQTT 5
 * connections are translated on the wire: this Duplex is the "socket" aedes sees. Bytes from the
 * device are parsed as MQTT 5 and re-encoded as 3.1.1 for aedes; aedes' 3.1.1 output is parsed
 * and re-encoded as MQTT 5 for the device.
 *
 * What a device loses: MQTT 5 properties (user properties, message expiry, session expiry,
 * response topic) are dropped, subscription options (no-local, retain-as-published, retain
 * handling) take their defaults, and topic aliases are refused — the CONNACK never grants any
 * (Topic Alias Maximum absent = 0), so a device that sends one gets DISCONNECT 0x94. Devices on
 * our contract need none of these. 3.1.1 devices never pass through here and pay nothing.
 */

/** 3.1.1 CONNACK return code → MQTT 5 reason code (MQTT 5 §3.2.2.2). */
const connackReason: Record<number, number> = {
  0: 0x00, // success
  1: 0x84, // unsupported protocol version
  2: 0x85, // client identifier not valid
  3: 0x88, // server unavailable
  4: 0x86, // bad user name or password
  5: 0x87, // not authorized
}

const V5 = { protocolVersion: 5 }
const TOPIC_ALIAS_INVALID = 0x94
const BAD_AUTHENTICATION_METHOD = 0x8c
const DISCONNECT_WITH_WILL = 0x04

interface PeerSocket extends Duplex {
  remoteAddress?: string | undefined
}

export class Mqtt5Bridge extends Duplex {
  /** Read by the broker's logs and throttle, like a net.Socket's. */
  readonly remoteAddress: string | undefined
  private readonly fromDevice = parser({ protocolVersion: 5 })
  private readonly fromBroker = parser({ protocolVersion: 4 })
  /** UNSUBACK in MQTT 5 carries one reason code per filter; 3.1.1's carries none: remember the count. */
  private readonly unsubscribeCounts = new Map<number, number>()
  private deviceWritable = true
  /** Set when we sent the device a DISCONNECT: end the socket so it is flushed, not destroyed. */
  private closingGracefully = false

  constructor(private readonly socket: PeerSocket, head: Buffer) {
    super()
    this.remoteAddress = socket.remoteAddress
    this.fromDevice.on('packet', (packet: Packet) => this.toBroker(packet))
    this.fromDevice.on('error', (err: Error) => this.destroy(err))
    this.fromBroker.on('packet', (packet: Packet) => this.toDevice(packet))
    this.fromBroker.on('error', (err: Error) => this.destroy(err))
    socket.on('data', (chunk: Buffer) => this.fromDevice.parse(chunk))
    socket.on('end', () => this.push(null))
    socket.on('error', (err) => this.destroy(err))
    socket.on('close', () => this.destroy())
    this.fromDevice.parse(head)
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

  private toBroker(packet: Packet): void {
    const downgraded = this.downgrade(packet)
    if (downgraded === null) return
    if (!this.push(generate(downgraded))) this.socket.pause()
  }

  private toDevice(packet: Packet): void {
    const upgraded = this.upgrade(packet)
    if (upgraded === null || this.socket.destroyed) return
    this.deviceWritable = this.socket.write(generate(upgraded, V5))
  }

  /** Device (MQTT 5) → aedes (3.1.1); null when the packet was handled here. */
  private downgrade(packet: Packet): Packet | null {
    switch (packet.cmd) {
      case 'connect': {
        const { clientId, clean, keepalive, username, password, will } = packet
        return {
          cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId, clean, keepalive, username, password,
          will: will === undefined ? undefined : { topic: will.topic, payload: will.payload, qos: will.qos, retain: will.retain },
        }
      }
      case 'publish': {
        if (packet.properties?.topicAlias !== undefined) {
          this.disconnectDevice(TOPIC_ALIAS_INVALID)
          return null
        }
        const { topic, payload, qos, retain, dup, messageId } = packet
        return { cmd: 'publish', topic, payload, qos, retain, dup, messageId }
      }
      case 'puback':
      case 'pubrec':
      case 'pubrel':
      case 'pubcomp':
        return { cmd: packet.cmd, messageId: packet.messageId }
      case 'subscribe':
        return { cmd: 'subscribe', messageId: packet.messageId, subscriptions: packet.subscriptions.map(({ topic, qos }) => ({ topic, qos })) }
      case 'unsubscribe':
        if (packet.messageId !== undefined) this.unsubscribeCounts.set(packet.messageId, packet.unsubscriptions.length)
        return { cmd: 'unsubscribe', messageId: packet.messageId, unsubscriptions: packet.unsubscriptions }
      case 'pingreq':
        return { cmd: 'pingreq' }
      case 'disconnect':
        if (packet.reasonCode === DISCONNECT_WITH_WILL) {
          // 3.1.1 has no "disconnect but publish my will": end the stream without DISCONNECT,
          // which aedes treats as an unclean close and so publishes the will.
          this.push(null)
          this.socket.end()
          return null
        }
        return { cmd: 'disconnect' }
      case 'auth':
        // Enhanced authentication is not offered; devices authenticate with username/password.
        this.disconnectDevice(BAD_AUTHENTICATION_METHOD)
        return null
      default:
        // Server-to-client packets from a client are a protocol error.
        this.destroy(new Error(`unexpected ${packet.cmd} from an MQTT 5 client`))
        return null
    }
  }

  /** aedes (3.1.1) → device (MQTT 5). */
  private upgrade(packet: Packet): Packet | null {
    switch (packet.cmd) {
      case 'connack':
        return { cmd: 'connack', sessionPresent: packet.sessionPresent, reasonCode: connackReason[packet.returnCode ?? 0] ?? 0x80 }
      case 'suback':
        // 3.1.1 granted QoS 0/1/2 and failure 0x80 are the same numbers as the MQTT 5 reason codes.
        return { cmd: 'suback', messageId: packet.messageId, granted: packet.granted }
      case 'unsuback': {
        const id = packet.messageId ?? 0
        const count = this.unsubscribeCounts.get(id) ?? 1
        this.unsubscribeCounts.delete(id)
        return { cmd: 'unsuback', messageId: id, granted: new Array<number>(count).fill(0) }
      }
      case 'puback':
      case 'pubrec':
      case 'pubrel':
      case 'pubcomp':
        return { cmd: packet.cmd, messageId: packet.messageId, reasonCode: 0 }
      default:
        return packet
    }
  }

  private disconnectDevice(reasonCode: number): void {
    if (!this.socket.destroyed) this.socket.write(generate({ cmd: 'disconnect', reasonCode }, V5))
    this.closingGracefully = true
    this.destroy(new Error(`MQTT 5 client disconnected with reason 0x${reasonCode.toString(16)}`))
  }
}
