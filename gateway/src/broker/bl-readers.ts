import { createRequire } from 'node:module'

/**
 * Allocation-free fast paths for the BufferList reads mqtt-packet's parser makes on every
 * packet (the fixed header byte, the remaining-length bytes, the topic length, the message id,
 * the topic).
 *
 * Why (issue 11 item 7, durable ingest throughput): bl implements each of these as
 * `this.slice(offset, offset + n)[method](0)` — a new Buffer per byte read — and its toString
 * slices before decoding. Under bench:ingest that was 12 % of everything the gateway allocated
 * and about 4 % of its CPU (bl copy, Buffer subarray, FastBuffer), for reads that almost always
 * fall inside the first chunk the list holds. Each patched method reads that chunk directly
 * when the bytes are all in it, and calls bl's own method otherwise (bytes spread over chunks,
 * out of range, odd arguments), so its results and its errors are bl's
 * (gateway/test/broker/bl-readers.test.ts compares them over random chunkings).
 *
 * Patched on the `bl` that mqtt-packet itself resolves, and on the prototype its parser's lists
 * are made from (BufferListStream copies BufferList's methods when it loads, so that one).
 */
interface ReadableList {
  _bufs: Buffer[]
  readUInt8(offset?: number): number
  readUInt16BE(offset?: number): number
  readUInt32BE(offset?: number): number
  toString(encoding?: BufferEncoding, start?: number, end?: number): string
}

type ListPrototype = ReadableList & Record<string, unknown>

const requireFromMqttPacket = createRequire(createRequire(import.meta.url).resolve('mqtt-packet'))
const listPrototype = (requireFromMqttPacket('bl') as { prototype: ListPrototype }).prototype

/** bl's own methods, kept for the fallback (and for the test that compares against them). */
export const blOriginals = {
  readUInt8: listPrototype.readUInt8,
  readUInt16BE: listPrototype.readUInt16BE,
  readUInt32BE: listPrototype.readUInt32BE,
  toString: listPrototype.toString,
}

/** The first chunk when [offset, offset + n) lies inside it, else undefined (bl's path). */
function firstChunk(list: ReadableList, offset: unknown, n: number): Buffer | undefined {
  const chunk = list._bufs[0]
  if (chunk === undefined || typeof offset !== 'number' || !Number.isInteger(offset) || offset < 0 || offset + n > chunk.length) return undefined
  return chunk
}

let installed = false

/** Idempotent: the broker installs it when it is created. */
export function installBufferListFastReads(): void {
  if (installed) return
  installed = true
  listPrototype.readUInt8 = function readUInt8(this: ReadableList, offset = 0): number {
    const chunk = firstChunk(this, offset, 1)
    return chunk === undefined ? blOriginals.readUInt8.call(this, offset) : chunk[offset]!
  }
  listPrototype.readUInt16BE = function readUInt16BE(this: ReadableList, offset = 0): number {
    const chunk = firstChunk(this, offset, 2)
    return chunk === undefined ? blOriginals.readUInt16BE.call(this, offset) : chunk.readUInt16BE(offset)
  }
  listPrototype.readUInt32BE = function readUInt32BE(this: ReadableList, offset = 0): number {
    const chunk = firstChunk(this, offset, 4)
    return chunk === undefined ? blOriginals.readUInt32BE.call(this, offset) : chunk.readUInt32BE(offset)
  }
  listPrototype.toString = function toString(this: ReadableList, encoding?: BufferEncoding, start?: number, end?: number): string {
    // Only the explicit ranges the parser asks for (topic, strings); anything else is bl's.
    if (typeof end === 'number' && typeof start === 'number' && end >= start) {
      const chunk = firstChunk(this, start, end - start)
      if (chunk !== undefined) return chunk.toString(encoding, start, end)
    }
    return blOriginals.toString.call(this, encoding, start, end)
  }
}
