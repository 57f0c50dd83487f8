import type { Client } from 'aedes'
import { Mqtt5Bridge } from './mqtt5-bridge'
import { NEVER_EXPIRES, type SessionTerms } from './session-terms'
import type { DeviceIdentity } from './types'

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

/** The MQTT 5 bridge a client connected through, or undefined for a 3.1/3.1.1 client. */
export function mqtt5Of(client: Client): Mqtt5Bridge | undefined {
  return client.conn instanceof Mqtt5Bridge ? client.conn : undefined
}

/** A 3.1.1 client's session terms: clean session → Clean Start, expiry 0; else kept for good. */
const keptSession: SessionTerms = { cleanStart: false, sessionExpirySeconds: NEVER_EXPIRES, willDelaySeconds: 0, sessionResumed: () => {} }
const cleanSession: SessionTerms = { cleanStart: true, sessionExpirySeconds: 0, willDelaySeconds: 0, sessionResumed: () => {} }

export function sessionTermsOf(client: Client): SessionTerms {
  return mqtt5Of(client)?.terms ?? (client.clean ? cleanSession : keptSession)
}
