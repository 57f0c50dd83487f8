import net from 'node:net'
import mqttPacket, { type IConnectPacket, type Packet } from 'mqtt-packet'
import { SECRETS } from './helpers'

/**
 * An MQTT client at the packet level: sends exactly the packets (or bytes) a test writes and
 * records every packet the broker sends back, reason codes and properties included — what
 * mqtt.js hides (it turns reason codes into errors, enforces limits itself) is the point here.
 */
export class RawClient {
  readonly packets: Packet[] = []
  closed = false
  private readonly parser
  private constructor(
    private readonly socket: net.Socket,
    readonly protocolVersion: 4 | 5,
  ) {
    this.parser = mqttPacket.parser({ protocolVersion })
    this.parser.on('packet', (packet: Packet) => {
      this.packets.push(packet)
      // Acknowledge deliveries like any client, so the broker's flow goes on.
      if (packet.cmd === 'publish' && packet.qos === 1 && packet.messageId !== undefined) this.send({ cmd: 'puback', messageId: packet.messageId })
    })
    this.parser.on('error', () => socket.destroy())
    socket.on('data', (chunk: Buffer) => this.parser.parse(chunk))
    socket.on('close', () => (this.closed = true))
    socket.on('error', () => {})
  }

  /** Opens a connection and sends CONNECT (as the device `clientId`, with its secret unless overridden). */
  static async open(port: number, protocolVersion: 4 | 5, connect: Partial<IConnectPacket> & { clientId: string }): Promise<RawClient> {
    const socket = net.connect(port, '127.0.0.1')
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject))
    const client = new RawClient(socket, protocolVersion)
    client.send({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion,
      clean: true,
      keepalive: 30,
      username: connect.clientId,
      password: Buffer.from(SECRETS[connect.clientId] ?? 'none'),
      ...connect,
    })
    return client
  }

  /** Opens, and resolves once the CONNACK is in (whatever its code). */
  static async connect(port: number, protocolVersion: 4 | 5, connect: Partial<IConnectPacket> & { clientId: string }): Promise<RawClient> {
    const client = await RawClient.open(port, protocolVersion, connect)
    await client.next('connack')
    return client
  }

  send(packet: Packet): void {
    this.socket.write(mqttPacket.generate(packet, { protocolVersion: this.protocolVersion }))
  }

  sendBytes(bytes: Buffer): void {
    this.socket.write(bytes)
  }

  /** The first packet of this kind received so far or later. */
  async next<C extends Packet['cmd']>(cmd: C, where: (p: Extract<Packet, { cmd: C }>) => boolean = () => true, timeoutMs = 5_000): Promise<Extract<Packet, { cmd: C }>> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const found = this.packets.find((p): p is Extract<Packet, { cmd: C }> => p.cmd === cmd && where(p as Extract<Packet, { cmd: C }>))
      if (found !== undefined) return found
      if (Date.now() > deadline) throw new Error(`no ${cmd} within ${timeoutMs} ms (got ${this.packets.map((p) => p.cmd).join(', ') || 'nothing'}${this.closed ? ', closed' : ''})`)
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
  }

  async waitClosed(timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error('the broker did not close the connection')
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
  }

  /** A packet round trip: everything the broker sent before its PINGRESP has arrived. */
  async ping(): Promise<void> {
    const before = this.packets.filter((p) => p.cmd === 'pingresp').length
    this.send({ cmd: 'pingreq' })
    const deadline = Date.now() + 5_000
    while (this.packets.filter((p) => p.cmd === 'pingresp').length === before) {
      if (Date.now() > deadline || this.closed) throw new Error('no PINGRESP')
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
  }

  published(): Array<Extract<Packet, { cmd: 'publish' }>> {
    return this.packets.filter((p): p is Extract<Packet, { cmd: 'publish' }> => p.cmd === 'publish')
  }

  /** A clean DISCONNECT (no will), then the socket ends. */
  async disconnect(): Promise<void> {
    if (!this.closed) this.send({ cmd: 'disconnect' })
    this.socket.end()
    await this.waitClosed()
  }

  /** The link dies: no DISCONNECT, so the broker sends the will. */
  drop(): void {
    this.socket.destroy()
  }
}
