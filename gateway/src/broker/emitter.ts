import mqemitter from 'mqemitter'

/**
 * The message bus aedes routes publishes through, built so a flood cannot overflow the stack.
 *
 * Why not aedes' default (`mqemitter({ concurrency: 100 })`): with `concurrency > 0`, mqemitter 7
 * queues an emit once 100 are in flight. When one finishes, `released()` shifts the next message
 * and calls `_do()`, which hands it to fastparallel; a message with no matching subscriber (every
 * device telemetry publish: nothing inside the broker subscribes to eg/v1/+/telemetry, the gateway
 * consumes it in authorizePublish) completes synchronously and calls `released()` again, in the
 * same stack. A queue of N such messages therefore recurses N frames deep, and 1,000 devices
 * publishing QoS 0 build queues long enough to throw "Maximum call stack size exceeded" inside
 * the broker.
 *
 * `concurrency: 0` turns the queue off: every emit runs at once, so `released()` always finds an
 * empty queue and returns. The queue bought nothing here anyway: it bounded no memory (it grew
 * without limit), and the real backpressure comes from aedes reading the next chunk from a client
 * only after every publish in the current one has completed — including our onMessage promise.
 *
 * `matchEmptyLevels: true` keeps aedes' default semantics ([MQTT-4.7.1-3]: `a/#` matches `a`).
 */
export function createMessageBus(): mqemitter.MQEmitter {
  return mqemitter({ concurrency: 0, matchEmptyLevels: true })
}
