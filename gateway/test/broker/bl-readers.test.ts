import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'
import { blOriginals, installBufferListFastReads } from '../../src/broker/bl-readers'

interface List {
  append(buf: Buffer): void
  consume(n: number): void
  readUInt8(offset?: number): number
  readUInt16BE(offset?: number): number
  readUInt32BE(offset?: number): number
  toString(encoding?: BufferEncoding, start?: number, end?: number): string
}

// The bl mqtt-packet's parser uses, resolved as mqtt-packet resolves it.
const bl = createRequire(createRequire(import.meta.url).resolve('mqtt-packet'))('bl') as () => List

/** What a call gives: its value, or the error's class and code (bl throws for reads past the end). */
function outcome(call: () => unknown): unknown {
  try {
    return { value: call() }
  } catch (err) {
    return { error: (err as Error).constructor.name, code: (err as { code?: string }).code }
  }
}

/** A deterministic PRNG, so a failure names its seed and replays. */
function prng(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0
    return s / 2 ** 32
  }
}

describe('BufferList fast reads (mqtt-packet parser hot path)', () => {
  installBufferListFastReads()

  it('give what bl gives — values and errors — over random bytes, chunkings, consumes and offsets', () => {
    const originals = blOriginals as unknown as Record<string, (this: List, ...args: unknown[]) => unknown>
    for (let seed = 1; seed <= 300; seed++) {
      const rand = prng(seed)
      const list = bl()
      const total = 1 + Math.floor(rand() * 40)
      // UTF-8 text mixed in, so a string range can cut a multi-byte character.
      const bytes = Buffer.concat([Buffer.from('报警 sos/', 'utf8'), Buffer.from(Array.from({ length: total }, () => Math.floor(rand() * 256)))])
      for (let at = 0; at < bytes.length; ) {
        const n = 1 + Math.floor(rand() * 12)
        list.append(bytes.subarray(at, at + n))
        at += n
      }
      list.consume(Math.floor(rand() * 4))
      for (let k = 0; k < 40; k++) {
        const offset = Math.floor(rand() * (bytes.length + 6)) - 1
        const end = offset + Math.floor(rand() * 12)
        for (const [method, args] of [
          ['readUInt8', [offset]],
          ['readUInt16BE', [offset]],
          ['readUInt32BE', [offset]],
          ['readUInt8', []],
          ['toString', ['utf8', offset, end]],
          ['toString', ['hex', offset, end]],
          ['toString', []],
        ] as const) {
          const fast = outcome(() => (list as unknown as Record<string, (...a: unknown[]) => unknown>)[method]!(...args))
          const slow = outcome(() => originals[method]!.call(list, ...args))
          expect(fast, `seed ${seed}: ${method}(${args.join(', ')})`).toEqual(slow)
        }
      }
    }
  })

  it('reads inside the first chunk without slicing (no Buffer per read)', () => {
    const list = bl() as List & { slice: (start?: number, end?: number) => Buffer }
    list.append(Buffer.from([0x30, 0x1f, 0x00, 0x0c, ...Buffer.from('dev/w1/telemetry')]))
    const slice = list.slice.bind(list)
    let slices = 0
    list.slice = (start, end) => {
      slices++
      return slice(start, end)
    }
    expect([list.readUInt8(0), list.readUInt8(1), list.readUInt16BE(2), list.toString('utf8', 4, 20)]).toEqual([0x30, 0x1f, 12, 'dev/w1/telemetry'])
    expect(slices).toBe(0)
    // bl's own path does slice: what the fast path saves.
    blOriginals.readUInt8.call(list, 0)
    expect(slices).toBe(1)
  })

  it('reads a value split across two chunks (the fallback)', () => {
    const list = bl()
    list.append(Buffer.from([0x12]))
    list.append(Buffer.from([0x34, 0x56, 0x78]))
    expect(list.readUInt16BE(0)).toBe(0x1234)
    expect(list.readUInt32BE(0)).toBe(0x12345678)
    expect(list.readUInt8(1)).toBe(0x34)
  })
})
