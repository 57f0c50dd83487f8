/**
 * Keeps a flood from monopolising the event loop.
 *
 * aedes reads a client's next chunk as soon as every packet of the current one is done. When the
 * whole publish path is synchronous (onMessage returns nothing, no subscriber, QoS 0) that
 * happens inside the read callback itself, so a socket whose peer keeps its buffer full is drained
 * without a break: libuv reads up to 32 × 64 KiB per socket per wake-up. With 1,000 flooding
 * devices one turn of the loop ran for 24 s in the flood bench — timers, new CONNECTs and
 * PUBACKs for everyone else waited that long.
 *
 * `proceed` runs aedes' continuations synchronously until `budget` of them have run, then queues
 * the rest and drains the queue `budget` at a time, one turn of the loop per batch (setImmediate).
 * A queued continuation keeps its client's batch open, so aedes stops reading that client, its
 * stream buffer fills and Node stops reading the socket: the flood waits in the devices' TCP
 * windows while every other socket, timer and probe gets a turn. One FIFO queue (not one
 * setImmediate per message) keeps each turn bounded and serves clients in arrival order.
 * Promises would not do: their callbacks run before the loop moves on.
 */
export type Proceed = (continuation: () => void) => void

export function createProceed(budget: number): Proceed {
  let remaining = budget
  let queue: Array<() => void> = []
  let head = 0
  let scheduled = false

  const drain = (): void => {
    scheduled = false
    remaining = budget
    while (head < queue.length && remaining > 0) {
      const continuation = queue[head]
      queue[head++] = noop // release the closure (and its packet) now
      remaining--
      continuation?.()
    }
    if (head < queue.length) {
      schedule()
    } else {
      queue = []
      head = 0
    }
  }
  const schedule = (): void => {
    if (scheduled) return
    scheduled = true
    setImmediate(drain)
  }

  return function proceed(continuation) {
    // FIFO: once anything waits, newcomers wait behind it.
    if (head === queue.length && remaining > 0) {
      remaining--
      continuation()
      return
    }
    queue.push(continuation)
    schedule()
  }
}

function noop(): void {}
