import { Readable } from 'node:stream'
import type { Aedes, Client } from 'aedes'
import type { ISubscription, Packet } from 'mqtt-packet'
import { hasSubscription, parserOf, sessionStoreOf } from './aedes-internals'
import type { Mqtt5Bridge } from './mqtt5-bridge'

/**
 * MQTT 5 subscription options (§3.8.3.1) on aedes 1.2.
 *
 * aedes already honours No Local and Retain As Published when a subscription carries them, and
 * stores Retain Handling with it (sessions keep all three), but the 3.1.1 SUBSCRIBE the bridge
 * gives it has no room for them. So the bridge remembers each SUBSCRIBE's options and puts them
 * back on the packet aedes parsed, before aedes handles it: aedes' parser emits packets in the
 * order the bridge wrote them, and our listener runs first.
 */
export function carrySubscriptionOptions(client: Client, bridge: Mqtt5Bridge): void {
  parserOf(client).prependListener('packet', (packet: Packet) => {
    if (packet.cmd === 'subscribe') bridge.restoreSubscriptionOptions(packet.subscriptions)
  })
}

/**
 * Retain Handling, the one option aedes stores but does not act on: it sends the retained
 * messages matching every new SUBSCRIBE. 0 = send them, 1 = only if the subscription did not
 * exist yet, 2 = never [MQTT-3.3.1-9..11].
 *
 * The decision is made in authorizeSubscribe (decide()), the last moment aedes asks before it
 * adds the subscription — so "did it exist" still has an answer. aedes then emits 'subscribe'
 * and, in the same synchronous step, asks the store for the retained messages of that
 * SUBSCRIBE's filters: the filters whose messages are withheld are left out of that one request.
 */
export class RetainHandling {
  private readonly withheld = new WeakSet<ISubscription>()
  /** Filters to leave out of the retained-message request that follows this 'subscribe' event. */
  private pending: ReadonlySet<string> | undefined

  decide(client: Client, subscription: ISubscription): void {
    const rh = subscription.rh
    if (rh === 2 || (rh === 1 && hasSubscription(client, subscription.topic))) this.withheld.add(subscription)
  }

  attach(aedes: Aedes): void {
    aedes.on('subscribe', (subscriptions) => {
      let skip: Set<string> | undefined
      for (const subscription of subscriptions) if (this.withheld.has(subscription)) (skip ??= new Set()).add(subscription.topic)
      this.pending = skip
    })
    const store = sessionStoreOf(aedes)
    const retainedFor = store.createRetainedStreamCombi.bind(store)
    store.createRetainedStreamCombi = (filters) => {
      const skip = this.pending
      this.pending = undefined
      if (skip === undefined) return retainedFor(filters)
      const wanted = filters.filter((filter) => !skip.has(filter))
      return wanted.length === 0 ? Readable.from([]) : retainedFor(wanted)
    }
  }
}
