import type { Client, PublishPacket } from 'aedes'
import matchesFilter from 'mqtt-match'
import { someSubscription } from './aedes-internals'

/**
 * Whether anyone can receive a device's message once the gateway has taken it (unrouted.ts).
 *
 * The ACL (acl.ts) lets a device subscribe under its own prefix only, and the gateway reads
 * device messages in authorizePublish rather than by subscribing, so the only possible receiver
 * of `eg/v1/<id>/…` is device <id> itself — the sender, connected right now (its live
 * subscriptions include those restored from a persistent session). A retained message is kept
 * for later subscribers whatever its sender holds.
 */
export function mayHaveReceivers(client: Client | null, packet: PublishPacket): boolean {
  if (client === null || packet.retain) return true
  // undefined: aedes internals changed shape — route as usual rather than guess.
  return someSubscription(client, (filter) => matchesFilter(filter, packet.topic)) ?? true
}
