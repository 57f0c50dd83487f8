import type { Aedes, Client, PublishPacket } from 'aedes'
import type { MessageOutcome, MessageRefusal } from './types'

/**
 * Messages aedes must not route: those the gateway refused, and those nobody can receive.
 *
 * Refused (DESIGN §3 "Bad input"): dead-lettered by the intake, and then neither routed to
 * subscribers nor stored as retained.
 *
 * aedes 1.2 knows one refusal only, closing the connection (authorizePublish failing): after a
 * successful authorizePublish it PUBACKs a QoS 1 message and hands it to `aedes.publish`, which
 * stores a retained one and delivers it to every subscriber — a 2 MiB status refused as
 * oversize was kept and sent back to the device that subscribed to its own status. The refused
 * packet objects are marked here, and `aedes.publish` (the call aedes' PUBLISH handler and its
 * will path both make with the very packet authorizePublish saw) passes over marked ones.
 *
 * Nobody to receive it (listeners.ts): the gateway consumes device messages in authorizePublish,
 * and the ACL lets a device subscribe under its own prefix only, so a message that is not
 * retained and matches none of its sender's own subscriptions has no receiver. Routing it anyway
 * cost aedes a packet copy, an offline-queue lookup, a bus emit and a trie match per message —
 * about a tenth of the gateway's CPU per message in bench:ingest.
 */

/** MQTT 5 PUBACK / PUBREC reason codes (§3.4.2.1) for a refused message. */
export const REFUSAL_REASON_CODE: Readonly<Record<MessageRefusal, number>> = {
  // Not JSON, wrong shape, values out of range, bad time: the payload does not match DESIGN §3.
  payload_format_invalid: 0x99,
  // Over EG_PAYLOAD_MAX_BYTES, or more readings in one upload than allowed: a limit, not a format.
  quota_exceeded: 0x97,
}

export function refusalOf(outcome: MessageOutcome): MessageRefusal | undefined {
  const value: unknown = outcome
  return typeof value === 'object' && value !== null && 'refused' in value ? (value as { refused: MessageRefusal }).refused : undefined
}

type PublishDone = (error?: Error) => void
/** aedes.publish as aedes itself calls it (its typings show only the two-argument form). */
type AedesPublish = (packet: PublishPacket, client?: Client | null | PublishDone, done?: PublishDone) => void

/**
 * The mark, on the packet object itself: a WeakSet of every packet (tried first) cost 3 % of the
 * gateway's CPU in bench:ingest, plus the garbage collector's work on its ephemeron table.
 */
const UNROUTED = Symbol('eldergate.unrouted')
type Markable = object & { [UNROUTED]?: true }

export class UnroutedPublishes {
  mark(packet: object): void {
    ;(packet as Markable)[UNROUTED] = true
  }

  /** Wraps `aedes.publish` once, at start-up. */
  guard(aedes: Aedes): void {
    const target = aedes as unknown as { publish: AedesPublish }
    const publish = target.publish.bind(aedes)
    target.publish = function publishUnlessUnrouted(packet, client, done) {
      if ((packet as Markable)[UNROUTED] !== true) {
        publish(packet, client, done)
        return
      }
      const callback = typeof client === 'function' ? client : done
      callback?.()
    }
  }
}
