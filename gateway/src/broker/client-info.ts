import type { Client } from 'aedes'
import type { DeviceIdentity } from './types.js'

/**
 * What the broker knows about an aedes client beyond aedes' own fields. A WeakMap rather than
 * properties on the client object: aedes' Client type is closed, and entries vanish with the client.
 */
const identities = new WeakMap<Client, DeviceIdentity>()

export function setIdentity(client: Client, device: DeviceIdentity): void {
  identities.set(client, device)
}

export function identityOf(client: Client): DeviceIdentity | undefined {
  return identities.get(client)
}

/**
 * The peer address for logs and the throttle. aedes types `conn` as Duplex | Socket; a TCP/TLS
 * socket and our MQTT 5 bridge both carry `remoteAddress`, a plain Duplex does not.
 */
export function remoteAddressOf(client: Client): string {
  const conn = client.conn
  return 'remoteAddress' in conn && typeof conn.remoteAddress === 'string' ? conn.remoteAddress : 'unknown'
}
