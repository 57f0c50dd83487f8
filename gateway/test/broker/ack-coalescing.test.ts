import { Writable } from 'node:stream'
import { setImmediate as nextTurn } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import { coalesceWrites } from '../../src/broker/ack-coalescing'

/** A connection that records each write it is asked to make (one per syscall on a socket). */
function recordingConn(): { conn: Writable; writes: number[][] } {
  const writes: number[][] = []
  const conn = new Writable({
    write(chunk: Buffer, _enc, cb) {
      writes.push([chunk.length])
      cb()
    },
    writev(chunks, cb) {
      writes.push(chunks.map((c) => (c.chunk as Buffer).length))
      cb()
    },
  })
  return { conn, writes }
}

const puback = (id: number) => Buffer.from([0x40, 0x02, id >> 8, id & 0xff])

describe('coalesceWrites: the PUBACKs one commit releases leave in one write per device', () => {
  it('writes made in the same turn go out together at the end of it', async () => {
    const { conn, writes } = recordingConn()
    // What one commit does: resolve five messages' promises; each PUBACK written as aedes does.
    await Promise.all([1, 2, 3, 4, 5].map(async (id) => {
      await Promise.resolve()
      coalesceWrites(conn)
      conn.write(puback(id))
    }))
    expect(writes).toEqual([])
    await nextTurn()
    expect(writes).toEqual([[4, 4, 4, 4, 4]])
  })

  it('without it, each PUBACK is its own write (the cost it removes)', async () => {
    const { conn, writes } = recordingConn()
    for (const id of [1, 2, 3]) conn.write(puback(id))
    await nextTurn()
    expect(writes).toEqual([[4], [4], [4]])
  })

  it('holds each connection once per turn, releases every one, and leaves a destroyed one alone', async () => {
    const a = recordingConn()
    const b = recordingConn()
    coalesceWrites(a.conn)
    coalesceWrites(a.conn)
    coalesceWrites(b.conn)
    a.conn.write(puback(1))
    b.conn.write(puback(2))
    a.conn.write(puback(3))
    await nextTurn()
    expect(a.writes).toEqual([[4, 4]])
    expect(b.writes).toEqual([[4]])
    expect(a.conn.writableCorked).toBe(0)
    expect(b.conn.writableCorked).toBe(0)
    const gone = recordingConn()
    gone.conn.destroy()
    coalesceWrites(gone.conn)
    expect(gone.conn.writableCorked).toBe(0)
  })
})
