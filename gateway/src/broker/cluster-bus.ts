import type { MQEmitter } from 'mqemitter'

/**
 * The clustered broker's message bus: each publish goes either to this node's own bus or
 * through Redis to every node, decided by topic.
 *
 * Why: through Redis every message is a PUBLISH and a round trip (the flood bench fell from
 * ~30,700 to ~8,400 msg/s), yet most traffic needs no other node. A device's readings, events
 * and command acks (`eg/v1/<id>/telemetry|event|cmd/ack`) are consumed by the gateway on the
 * node the device is connected to (the broker's publish hook), and the only client allowed to
 * subscribe to them is that same device (ACL: a device subscribes under `eg/v1/<its id>/` only),
 * whose one connection is on this node too. Everything else — commands to devices, statuses,
 * aedes' own `$SYS` traffic (heartbeats, new clients for takeover) — goes through Redis.
 * Retained messages and QoS 1 messages queued for offline sessions are not on the bus at all:
 * aedes writes them to the shared persistence, so they stay cluster-wide either way.
 */
const NODE_LOCAL = /^eg\/v1\/[^/#+]+\/(?:telemetry|event|cmd\/ack)$/

export function isNodeLocalTopic(topic: string): boolean {
  return NODE_LOCAL.test(topic)
}

type Listener = Parameters<MQEmitter['on']>[1]

export function createSplitBus(local: MQEmitter, shared: MQEmitter): MQEmitter {
  /** Runs `done` once both emitters have called back (aedes waits for subscriptions to be in place). */
  const both = (register: (emitter: MQEmitter, cb: () => void) => void, done?: () => void) => {
    let pending = 2
    const one = () => {
      if (--pending === 0) done?.()
    }
    register(local, one)
    register(shared, one)
  }
  const bus = {
    get current() {
      return local.current + shared.current
    },
    get concurrent() {
      return shared.concurrent
    },
    on(topic: string, listener: Listener, callback?: () => void) {
      both((emitter, cb) => emitter.on(topic, listener, cb), callback)
      return bus
    },
    removeListener(topic: string, listener: Listener, callback?: () => void) {
      both((emitter, cb) => emitter.removeListener(topic, listener, cb), callback)
    },
    emit(message: Parameters<MQEmitter['emit']>[0], callback?: (error?: Error) => void) {
      const topic = (message as { topic?: unknown }).topic
      ;(typeof topic === 'string' && isNodeLocalTopic(topic) ? local : shared).emit(message, callback)
    },
    close(callback: () => void) {
      both((emitter, cb) => emitter.close(cb), callback)
    },
  }
  return bus as unknown as MQEmitter
}
