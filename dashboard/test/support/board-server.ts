import http from 'node:http'
import type { Socket } from 'node:net'
import Fastify, { type FastifyInstance } from 'fastify'
import { dashboardStatic } from '../../../gateway/src/http/dashboard-static'

/**
 * The board as a browser sees it: dashboardStatic serving the built files, and /api passed
 * through to a running gateway (byte for byte, streams included). Standing between the browser
 * and the gateway lets a test cut the live stream (`dropStreams`) or refuse it for a while
 * (`holdStreams`) — a flaky network, without stopping the gateway.
 */
export interface BoardServer {
  url: string
  /** Ends every open /api/v1/stream connection, as a dropped network would. */
  dropStreams(): void
  /** While held, new stream requests get 503 (the gateway "restarting"). */
  holdStreams(held: boolean): void
  close(): Promise<void>
}

export async function startBoardServer(opts: {
  distDir: string
  gatewayUrl: string
  /** Extra routes on the board server (registered before /api is proxied; more specific paths win). */
  extend?: (app: FastifyInstance) => Promise<() => void>
}): Promise<BoardServer> {
  const upstream = new URL(opts.gatewayUrl)
  const streams = new Set<Socket>()
  let held = false
  const app: FastifyInstance = Fastify({ logger: false })
  // Bodies pass through untouched.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined))

  // Streams served by an extension are cut and held here too.
  app.addHook('onRequest', (request, reply, done) => {
    if (!request.url.startsWith('/api/v1/stream')) return done()
    if (held) return void reply.code(503).send({ error: { code: 'UNAVAILABLE', message: 'held by the test' } })
    const socket = request.raw.socket
    streams.add(socket)
    socket.once('close', () => streams.delete(socket))
    done()
  })

  const stopExtension = opts.extend === undefined ? () => undefined : await opts.extend(app)

  app.all('/api/*', (request, reply) => {
    const isStream = request.url.startsWith('/api/v1/stream')
    reply.hijack()
    const headers = { ...request.headers, host: upstream.host }
    const proxied = http.request({ host: upstream.hostname, port: upstream.port, method: request.method, path: request.url, headers }, (res) => {
      reply.raw.writeHead(res.statusCode ?? 502, res.headers)
      res.pipe(reply.raw)
    })
    proxied.on('error', () => reply.raw.destroy())
    if (isStream) request.raw.socket.once('close', () => proxied.destroy())
    request.raw.pipe(proxied)
  })
  await app.register(dashboardStatic({ root: opts.distDir }))
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address()
  const port = typeof address === 'object' && address !== null ? address.port : 0

  return {
    url: `http://127.0.0.1:${port}`,
    dropStreams() {
      for (const socket of streams) socket.destroy()
      streams.clear()
    },
    holdStreams(value) {
      held = value
    },
    async close() {
      stopExtension()
      for (const socket of streams) socket.destroy()
      await app.close()
    },
  }
}
