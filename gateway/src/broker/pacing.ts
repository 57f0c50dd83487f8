import type { Duplex } from 'node:stream'

/**
 * Shares the event loop fairly between devices when some of them flood.
 *
 * aedes handles everything it reads synchronously when the publish path is synchronous (QoS 0,
 * no subscriber, onMessage returning nothing), and reads a client's next chunk as soon as the
 * current one is done. libuv in turn reads up to 32 × 64 KiB from a socket per wake-up while the
 * peer keeps its buffer full. In the flood bench, 1,000 devices publishing flat out held the
 * loop for 24 s at a time: no timers, no new CONNECTs, no PUBACKs for anyone else.
 *
 * The pacer gives aedes a byte budget per turn of the loop. Each connection's `read` is wrapped;
 * once the turn's budget is spent, it returns null (nothing to read, as far as aedes can tell)
 * and the connection waits for a later turn. Unread data stays in the socket's stream buffer;
 * when that is full Node stops reading the socket, and the flood waits in the device's TCP
 * window. At the next turn waiting connections get 'readable' again, which makes aedes read.
 * Connections whose last read was small (a CONNECT, a PUBACK, an ordinary device's reading) are
 * served before heavy ones, so a flood cannot make everyone else wait a whole round.
 *
 * Pacing reads (not acks or routing) keeps the cost per chunk, not per message, and needs no
 * state per in-flight message; wrapping `read` on the instance is the least intrusive hook aedes
 * offers, since it reads only through `conn.read(null)` on 'readable'.
 */
const LIGHT_READ_BYTES = 4096

function uncork(conn: Duplex): void {
  conn.uncork()
}

export function createReadPacer(bytesPerTurn: number): <T extends Duplex>(conn: T) => T {
  let remaining = bytesPerTurn
  let scheduled = false
  const light: Duplex[] = []
  const heavy: Duplex[] = []
  const waiting = new Set<Duplex>()
  const lastReadBytes = new WeakMap<Duplex, number>()

  const nextTurn = (): void => {
    scheduled = false
    remaining = bytesPerTurn
    while (remaining > 0) {
      const conn = light.shift() ?? heavy.shift()
      if (conn === undefined) break
      waiting.delete(conn)
      // aedes' 'readable' handler reads with conn.read(null): the paced read below.
      if (!conn.destroyed) conn.emit('readable')
    }
    if (waiting.size > 0) schedule()
  }
  const schedule = (): void => {
    if (scheduled) return
    scheduled = true
    setImmediate(nextTurn)
  }
  const wait = (conn: Duplex): void => {
    if (waiting.has(conn)) return
    waiting.add(conn)
    ;((lastReadBytes.get(conn) ?? 0) < LIGHT_READ_BYTES ? light : heavy).push(conn)
    schedule()
  }

  return function pace(conn) {
    const read = conn.read.bind(conn)
    conn.read = function pacedRead(size?: number): unknown {
      // read(0) is Node's own "refill the buffer" nudge: it returns no data, let it through.
      if (size === 0) return read(0)
      if (remaining <= 0) {
        wait(conn)
        return null
      }
      const chunk: unknown = read(size)
      if (Buffer.isBuffer(chunk)) {
        remaining -= chunk.length
        lastReadBytes.set(conn, chunk.length)
        // aedes parses the chunk synchronously right after this read and writes one PUBACK per
        // QoS 1 publish in it: corked until the end of this tick, they leave as one write
        // instead of one syscall and one TCP segment each (mosquitto batches the same way).
        if (!conn.writableCorked) {
          conn.cork()
          process.nextTick(uncork, conn)
        }
      }
      return chunk
    }
    conn.once('close', () => waiting.delete(conn))
    return conn
  }
}
