import type { Duplex } from 'node:stream'
import { FrameInspector, type FrameViolation } from './frame-inspector'
import { Mqtt5Bridge } from './mqtt5-bridge'
import { SNIFF_MAX_BYTES, connectProtocolLevel } from './sniff'

/**
 * Routes each accepted socket to aedes: MQTT 3.1/3.1.1 directly, MQTT 5 through the bridge
 * (see mqtt5-bridge.ts). Waits for the first bytes of the CONNECT to tell them apart, reading
 * with the same 'readable'/read() API aedes uses and unshifting what it read, so a 3.1.1 stream
 * reaches aedes byte-for-byte as it arrived.
 */
export type HandleConnection = (conn: Duplex) => void

export interface ConnectionRouterOptions {
  handle: HandleConnection
  /** Sockets that send no CONNECT within this time are closed (aedes' own timer starts later). */
  connectTimeoutMs: number
  /** The Maximum Packet Size declared to MQTT 5 clients (and enforced); undefined: none. */
  mqtt5MaxPacketBytes?: number | undefined
  /** A framing violation closed a connection (frame-inspector.ts), for the broker's log and metrics. */
  onViolation?: (event: FrameViolationEvent) => void
}

export interface FrameViolationEvent {
  violation: FrameViolation
  protocolLevel: number
  /** Known once the bridge parsed the CONNECT (MQTT 5 only). */
  clientId?: string | undefined
  remoteAddress?: string | undefined
}

interface PeerSocket extends Duplex {
  remoteAddress?: string | undefined
}

export function routeConnection(socket: PeerSocket, opts: ConnectionRouterOptions): void {
  let head: Buffer = Buffer.alloc(0)
  const timer = setTimeout(() => socket.destroy(), opts.connectTimeoutMs)
  timer.unref()

  const cleanup = (): void => {
    clearTimeout(timer)
    socket.removeListener('readable', onReadable)
    socket.removeListener('error', onError)
    socket.removeListener('close', cleanup)
  }
  const onError = (): void => {
    // The peer went away before its CONNECT: nothing to log at warn, nothing to clean beyond this.
    cleanup()
    socket.destroy()
  }
  function onReadable(): void {
    let chunk: Buffer | null
    while ((chunk = socket.read() as Buffer | null) !== null) head = head.length === 0 ? chunk : Buffer.concat([head, chunk])
    const level = connectProtocolLevel(head.subarray(0, SNIFF_MAX_BYTES))
    if (level === null) return
    cleanup()
    const report = (violation: FrameViolation, clientId?: string): void =>
      opts.onViolation?.({ violation, protocolLevel: level, clientId, remoteAddress: socket.remoteAddress })
    if (level === 5) {
      opts.handle(new Mqtt5Bridge(socket, head, { maxPacketBytes: opts.mqtt5MaxPacketBytes, onViolation: report }))
    } else {
      socket.unshift(head)
      // Not a CONNECT (-1): aedes refuses it at once, there is nothing to inspect.
      if (level > 0) inspectReads(socket, new FrameInspector(level), report)
      opts.handle(socket)
    }
  }

  socket.on('readable', onReadable)
  socket.on('error', onError)
  socket.on('close', cleanup)
}

/**
 * 3.1/3.1.1: aedes reads a socket only with read() (pacing.ts relies on the same), so each chunk
 * is inspected on its way to aedes' parser; one with a malformed topic never reaches it, and the
 * connection closes [MQTT-1.5.3-1]. Packets ahead of it in the same chunk go unprocessed too:
 * unacknowledged, they are re-sent by a device that reconnects.
 */
function inspectReads(socket: Duplex, inspector: FrameInspector, report: (violation: FrameViolation) => void): void {
  const read = socket.read.bind(socket)
  socket.read = function inspectedRead(size?: number): unknown {
    const chunk: unknown = read(size)
    if (!Buffer.isBuffer(chunk)) return chunk
    const violation = inspector.inspect(chunk)
    if (violation === undefined) return chunk
    report(violation)
    socket.destroy()
    return null
  }
}
