import { readFile } from 'node:fs/promises'
import net from 'node:net'
import tls from 'node:tls'
import { EgError } from '../errors'

/**
 * The listening socket: plain TCP, or TLS when cert and key are configured (DESIGN §3:
 * EG_TLS_CERT / EG_TLS_KEY). Tracks every accepted socket so close() can end them all, including
 * ones still in the CONNECT phase that aedes has not seen yet.
 */
export interface Listener {
  readonly port: number
  /**
   * Stops accepting at once, awaits `drain` (the broker closing its clients gracefully), then
   * destroys whatever sockets remain and resolves when the server is fully closed.
   */
  close(drain: () => Promise<void>): Promise<void>
}

export interface ListenOptions {
  port: number
  host: string
  tls?: { cert: string; key: string } | undefined
  onSocket(socket: net.Socket): void
  /** Errors of the listening server after it is up (e.g. EMFILE on accept): log, do not crash. */
  onError(err: Error): void
}

export async function listen(opts: ListenOptions): Promise<Listener> {
  const sockets = new Set<net.Socket>()
  const accept = (socket: net.Socket): void => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
    // Small MQTT packets (PUBACK, SUBACK) should leave at once, not wait for Nagle.
    socket.setNoDelay(true)
    opts.onSocket(socket)
  }

  let server: net.Server
  if (opts.tls !== undefined) {
    const [cert, key] = await Promise.all([readFile(opts.tls.cert), readFile(opts.tls.key)])
    server = tls.createServer({ cert, key }, accept)
    // A failed handshake (a scanner, a device with a bad clock) concerns that peer only.
    server.on('tlsClientError', () => {})
  } else {
    server = net.createServer(accept)
  }

  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      if (err.code === 'EADDRINUSE') {
        reject(new EgError('PORT_IN_USE', `MQTT port ${opts.port} is already in use — set EG_MQTT_PORT`, { cause: err }))
      } else {
        reject(err)
      }
    }
    server.once('error', onError)
    server.listen(opts.port, opts.host, () => {
      server.removeListener('error', onError)
      server.on('error', opts.onError)
      resolve()
    })
  })

  const address = server.address()
  const port = typeof address === 'object' && address !== null ? address.port : opts.port

  return {
    port,
    async close(drain) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      await drain()
      for (const socket of sockets) socket.destroy()
      await closed
    },
  }
}
