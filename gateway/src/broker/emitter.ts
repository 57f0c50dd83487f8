import mqemitter from 'mqemitter'

/**
 * The message bus aedes routes publishes through, built so a flood cannot overflow the stack.
 *
 * Why not aedes' default (`mqemitter({ concurrency: 100 })`): with `concurrency > 0`, mqemitter 7
 * queues an emit once 100 are in flight — and under a flood they are, because deliveries to
 * subscribers finish asynchronously (a device subscribed to its own `eg/v1/<id>/#`, a retained
 * status). When one finishes, `released()` shifts the next queued message and calls `_do()`, which
 * hands it to fastparallel; a message with no matching subscriber (most telemetry: the gateway
 * consumes it in authorizePublish, nothing subscribes to it) completes synchronously and calls
 * `released()` again, in the same stack. A queue of N such messages recurses N frames deep: the
 * flood bench with stock aedes died with "Maximum call stack size exceeded" (and 800 MB RSS of
 * queue) after ~700,000 messages.
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
