import type { EventEmitter } from 'node:events'
import type { Readable } from 'node:stream'
import type { Aedes, Client } from 'aedes'

/**
 * The few aedes 1.2 internals the MQTT 5 work needs, reached in one place. aedes' types close
 * over its session store, a client's will and subscriptions and its packet parser; the MQTT 5
 * features aedes implements only half-way (session expiry, will delay, retain handling) need
 * exactly those. Every access is by name with a runtime check, so an aedes upgrade that moves
 * one fails loudly in the broker tests (test/broker/mqtt5-*.test.ts) rather than silently.
 */

/** The aedes-persistence calls a session needs (memory and Redis persistence both have them). */
export interface SessionStore {
  cleanSubscriptions(client: { id: string }): Promise<unknown>
  cleanIncoming?(client: { id: string }): Promise<unknown>
  outgoingStream(client: { id: string }): Readable
  outgoingClearMessageId(client: { id: string }, packet: { messageId?: number }): Promise<unknown>
  /** Retained messages matching any of the filters (aedes' SUBSCRIBE handler pipes it). */
  createRetainedStreamCombi(filters: string[]): Readable
}

export function sessionStoreOf(aedes: Aedes): SessionStore {
  const store: unknown = Reflect.get(aedes, 'persistence')
  if (typeof store !== 'object' || store === null || typeof Reflect.get(store, 'createRetainedStreamCombi') !== 'function') {
    throw new Error('aedes internals changed: no persistence with createRetainedStreamCombi')
  }
  return store as SessionStore
}

/** While aedes closes a client, `client.will` is the will it is about to authorise and publish. */
export function isClosingWill(client: Client, packet: object): boolean {
  return client.closed && Reflect.get(client, 'will') === packet
}

/**
 * Whether any filter the client is subscribed to now (`client.subscriptions`) passes `test`;
 * undefined if aedes changed its shape. Per accepted message (listeners.ts): no array is built.
 */
export function someSubscription(client: Client, test: (filter: string) => boolean): boolean | undefined {
  const subscriptions: unknown = Reflect.get(client, 'subscriptions')
  if (typeof subscriptions !== 'object' || subscriptions === null) return undefined
  for (const filter in subscriptions) if (test(filter)) return true
  return false
}

/** Whether the client already holds a subscription to exactly this filter (MQTT 5 Retain Handling 1). */
export function hasSubscription(client: Client, filter: string): boolean {
  const subscriptions: unknown = Reflect.get(client, 'subscriptions')
  return typeof subscriptions === 'object' && subscriptions !== null && Object.hasOwn(subscriptions, filter)
}

/** The client's packet parser: its 'packet' events are what aedes handles, in order. */
export function parserOf(client: Client): EventEmitter {
  const parser: unknown = Reflect.get(client, '_parser')
  if (typeof parser !== 'object' || parser === null || typeof Reflect.get(parser, 'prependListener') !== 'function') {
    throw new Error('aedes internals changed: client._parser is not an EventEmitter')
  }
  return parser as EventEmitter
}
