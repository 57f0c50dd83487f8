import net from 'node:net'
import type { DeviceIdentity } from '../broker/types'
import { EgError } from '../errors'
import { WatchConnection } from './connection'
import { voiceMessageContent } from './frame'
import type { WatchPortContext, WatchPortLimits, WatchSession } from './port-context'

/**
 * The 4G watch port (DESIGN §3b): a protocol adapter in front of the device intake — frames
 * become the MQTT contract's payloads and go through the same validation, rule engine, storage
 * and alerts. Plain TCP: these watches cannot do TLS.
 */
export interface WatchPort {
  readonly port: number
  /** Watches identified on this port. */
  connectedWatches(): number
  isConnected(deviceId: string): boolean
  /** A voice prompt as a `MESSAGE` frame; rejects when the watch is not connected here. */
  sendVoice(deviceId: string, prompt: { id: string; text: string }): Promise<void>
  /** The device behind this number was deleted: close its connection. */
  disconnect(imei: string): void
  close(): Promise<void>
}

export interface WatchPortOptions extends Omit<WatchPortContext, 'identified' | 'closed' | 'commandLabel' | 'limits'> {
  port: number
  host: string
  limits?: Partial<WatchPortLimits>
  onConnect?(device: DeviceIdentity): void
  onDisconnect?(device: DeviceIdentity): void
}

export const DEFAULT_WATCH_LIMITS: WatchPortLimits = {
  maxContentBytes: 4096,
  maxConnections: 20_000,
  maxPendingPerAddress: 256,
  identifyMs: 30_000,
  frameMs: 30_000,
  idleMs: 20 * 60_000,
  maxProblems: 5,
  maxUnansweredFrames: 64,
}

/** Commands counted by name; anything else a watch sends is `other` (labels must stay bounded). */
const KNOWN_COMMANDS = new Set(['LK', 'UD', 'UD2', 'AL', 'heart', 'bphrt', 'oxygen', 'btemp2', 'MESSAGE', 'TKQ', 'TKQ2'])

export async function startWatchPort(opts: WatchPortOptions): Promise<WatchPort> {
  const limits = { ...DEFAULT_WATCH_LIMITS, ...opts.limits }
  const all = new Set<WatchSession>()
  const byDevice = new Map<string, WatchSession>()
  const pendingByAddress = new Map<string, number>()
  const log = opts.logger.child({ component: 'watch-port' })

  const release = (address: string): void => {
    const n = (pendingByAddress.get(address) ?? 1) - 1
    if (n <= 0) pendingByAddress.delete(address)
    else pendingByAddress.set(address, n)
  }

  const ctx: WatchPortContext = {
    limits,
    logger: log,
    metrics: opts.metrics,
    directory: opts.directory,
    intake: opts.intake,
    deadLetters: opts.deadLetters,
    activity: opts.activity,
    clock: opts.clock,
    ruleNow: opts.ruleNow,
    commandLabel: (command) => (KNOWN_COMMANDS.has(command) ? command : 'other'),
    identified(connection) {
      release(connection.address)
      const device = connection.device!
      // One connection per watch: the newer one wins (the older is a half-open socket the
      // watch gave up on when its cell changed).
      byDevice.get(device.deviceId)?.close('replaced')
      byDevice.set(device.deviceId, connection)
      opts.metrics.watches.set(byDevice.size)
      opts.onConnect?.(device)
    },
    closed(connection) {
      all.delete(connection)
      opts.metrics.connections.set(all.size)
      const device = connection.device
      if (device === undefined) {
        release(connection.address)
        return
      }
      if (byDevice.get(device.deviceId) === connection) {
        byDevice.delete(device.deviceId)
        opts.metrics.watches.set(byDevice.size)
        opts.onDisconnect?.(device)
      }
    },
  }

  const server = net.createServer((socket) => {
    const address = socket.remoteAddress ?? 'unknown'
    if (all.size >= limits.maxConnections) return refuse(socket, 'capacity')
    const pending = pendingByAddress.get(address) ?? 0
    if (pending >= limits.maxPendingPerAddress) return refuse(socket, 'address_pending_limit')
    pendingByAddress.set(address, pending + 1)
    socket.setNoDelay(true)
    const connection = new WatchConnection(socket, address, ctx)
    all.add(connection)
    opts.metrics.connections.set(all.size)
  })
  // Accept errors (EMFILE under a connection flood) concern the new peer, not the gateway.
  const refuse = (socket: net.Socket, reason: string): void => {
    opts.metrics.refused.inc({ reason })
    socket.on('error', () => undefined)
    socket.destroy()
  }

  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      reject(err.code === 'EADDRINUSE' ? new EgError('PORT_IN_USE', `watch port ${opts.port} is already in use — set EG_WATCH_PORT`, { cause: err }) : err)
    }
    server.once('error', onError)
    server.listen(opts.port, opts.host, () => {
      server.removeListener('error', onError)
      server.on('error', (err) => log.warn({ err: err.message }, 'watch port accept error'))
      resolve()
    })
  })
  const address = server.address()
  const port = typeof address === 'object' && address !== null ? address.port : opts.port
  log.info({ port }, 'watch port listening')

  return {
    port,
    connectedWatches: () => byDevice.size,
    isConnected: (deviceId) => byDevice.has(deviceId),
    async sendVoice(deviceId, prompt) {
      const connection = byDevice.get(deviceId)
      if (connection === undefined) throw new Error('watch not connected to this gateway')
      await connection.sendMessage(prompt.id, voiceMessageContent(prompt.text))
      opts.metrics.messages.inc()
    },
    disconnect(imei) {
      for (const connection of byDevice.values()) if (connection.watch?.imei === imei) connection.close('device_deleted')
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      for (const connection of [...all]) connection.close('shutdown', false)
      await closed
    },
  }
}
