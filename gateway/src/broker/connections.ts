import type { Duplex } from 'node:stream'
import { Mqtt5Bridge } from './mqtt5-bridge.js'
import { SNIFF_MAX_BYTES, connectProtocolLevel } from './sniff.js'

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
}

export function routeConnection(socket: Duplex, opts: ConnectionRouterOptions): void {
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
    if (level === 5) {
      opts.handle(new Mqtt5Bridge(socket, head))
    } else {
      socket.unshift(head)
      opts.handle(socket)
    }
  }

  socket.on('readable', onReadable)
  socket.on('error', onError)
  socket.on('close', cleanup)
}
