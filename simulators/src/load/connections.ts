import { createConnection } from 'node:net'
import { MqttClient } from 'mqtt'

/**
 * Many device connections from one machine. One source address has only ~28,000 ephemeral
 * ports towards one broker port (net.ipv4.ip_local_port_range), so on loopback connections are
 * spread over 127.0.0.1, 127.0.0.2, … (all of 127/8 is loopback on Linux): tens of thousands
 * of devices on one box. Connects are paced (a ramp), as a fleet powering up would be.
 */
export interface FleetDevice {
  id: string
  secret: string
}

export interface ConnectStats {
  attempted: number
  connected: number
  failed: number
  failures: Map<string, number>
  sourceAddresses: number
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host.startsWith('127.') || host === '::1'
}

/** Source address for the i-th connection: a new loopback address every `perAddress` connections. */
export function sourceAddressFor(index: number, perAddress: number): string {
  const n = 1 + Math.floor(index / perAddress)
  if (n > 254 * 254) throw new Error('out of loopback source addresses')
  return `127.0.${Math.floor((n - 1) / 254)}.${((n - 1) % 254) + 1}`
}

export function connectDevice(url: URL, device: FleetDevice, localAddress: string | undefined, timeoutMs: number): Promise<MqttClient> {
  const host = url.hostname
  const port = Number(url.port || 1883)
  const client = new MqttClient(() => createConnection({ host, port, ...(localAddress ? { localAddress } : {}) }), {
    clientId: device.id, username: device.id, password: device.secret,
    protocolVersion: 4, protocol: 'mqtt', clean: true, reconnectPeriod: 0, keepalive: 120, connectTimeout: timeoutMs,
  })
  return new Promise((resolve, reject) => {
    const fail = (err: Error) => {
      client.removeAllListeners('connect')
      client.end(true)
      reject(err)
    }
    client.once('connect', () => {
      client.removeAllListeners('error')
      client.on('error', () => undefined)
      resolve(client)
    })
    client.once('error', fail)
    client.once('close', () => fail(new Error('closed before CONNACK')))
  })
}

/** Connects the fleet at `ratePerS`, at most `maxPending` handshakes at a time. */
export async function connectFleet(
  url: URL,
  devices: readonly FleetDevice[],
  opts: { ratePerS: number; perAddress: number; maxPending?: number; timeoutMs?: number; onProgress?: (s: ConnectStats) => void },
): Promise<{ clients: Array<{ device: FleetDevice; client: MqttClient }>; stats: ConnectStats }> {
  const spread = isLoopback(url.hostname)
  const stats: ConnectStats = { attempted: 0, connected: 0, failed: 0, failures: new Map(), sourceAddresses: spread ? 1 + Math.floor((devices.length - 1) / opts.perAddress) : 1 }
  const clients: Array<{ device: FleetDevice; client: MqttClient }> = []
  const maxPending = opts.maxPending ?? 1_000
  const started = performance.now()
  let pending = 0
  const handshakes: Array<Promise<void>> = []
  for (const [i, device] of devices.entries()) {
    // Ramp: connection i may start at i / rate seconds, and only with room in the window.
    const due = started + (i / opts.ratePerS) * 1000
    while (performance.now() < due || pending >= maxPending) await new Promise((r) => setTimeout(r, Math.max(1, Math.min(50, due - performance.now()))))
    stats.attempted++
    pending++
    handshakes.push(
      connectDevice(url, device, spread ? sourceAddressFor(i, opts.perAddress) : undefined, opts.timeoutMs ?? 30_000).then(
        (client) => {
          stats.connected++
          clients.push({ device, client })
        },
        (err: Error & { code?: string }) => {
          stats.failed++
          const reason = err.code ?? err.message
          stats.failures.set(reason, (stats.failures.get(reason) ?? 0) + 1)
        },
      ).finally(() => {
        pending--
        opts.onProgress?.(stats)
      }),
    )
  }
  await Promise.all(handshakes)
  return { clients, stats }
}
