import { randomBytes } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { encodeFrame, type WatchFrame } from '../../src/watch/frame'
import { FrameReader, isFrameProblem, MAX_HEADER_BYTES, type FrameProblem, type FrameProblemKind } from '../../src/watch/frame-reader'

type Item = WatchFrame | FrameProblem

const bytes = (s: string): Buffer => Buffer.from(s, 'latin1')
const hex = (h: string): Buffer => Buffer.from(h, 'hex')

/** Frames as plain strings for readable expectations. */
function show(items: Item[]): Array<string | FrameProblem> {
  return items.map((item) => (isFrameProblem(item) ? item : `${item.maker}|${item.id}|${item.content.toString('latin1')}`))
}

function framesOf(items: Item[]): WatchFrame[] {
  return items.filter((item): item is WatchFrame => !isFrameProblem(item))
}

function discardedByKind(items: Item[]): Record<FrameProblemKind, number> {
  const totals: Record<FrameProblemKind, number> = { garbage: 0, bad_header: 0, bad_length: 0, too_long: 0 }
  for (const item of items) if (isFrameProblem(item)) totals[item.problem] += item.bytes
  return totals
}

/** Every byte pushed is in a frame, discarded, or still buffered: nothing is lost or counted twice. */
function accounted(items: Item[], reader: FrameReader): number {
  let total = reader.buffered()
  for (const item of items) total += isFrameProblem(item) ? item.bytes : encodeFrame(item.maker, item.id, item.content).length
  return total
}

function pushInPieces(reader: FrameReader, stream: Buffer, cuts: number[]): Item[] {
  const out: Item[] = []
  let start = 0
  for (const cut of [...cuts.filter((c) => c > 0 && c < stream.length)].sort((a, b) => a - b).concat(stream.length)) {
    out.push(...reader.push(stream.subarray(start, cut)))
    start = cut
  }
  return out
}

// Real frames of this protocol family (Traccar's WatchFrameDecoderTest / WatchProtocolDecoderTest).
const LK_78 = '[3G*8800000015*0009*LK,0,0,78]'
const LK_BARE = '[SG*8800000015*0002*LK]'
const LK_IMEI = '5b33472a3335323636313039303134333135302a303030412a4c4b2c302c302c3130305d' // [3G*352661090143150*000A*LK,0,0,100]
const RCAPTURE = '5b33472a383330383430363237392a303030382a72636170747572655d' // [3G*8308406279*0008*rcapture]
// The documented UD example says 00CD; its CONTENT is 0x8F bytes, so LLLL is corrected here.
const UD = '[3G*1234567890*008F*UD,220414,134652,A,22.571707,N,113.8613968,E,0.1,0.0,100,7,60,90,1000,50,0000,4,1,460,0,9360,4082,131,9360,4092,148,9360,4091,143,9360,4153,141]'

describe('FrameReader: framing', () => {
  it('reads the documented frames', () => {
    const reader = new FrameReader()
    expect(show(reader.push(bytes(LK_78)))).toEqual(['3G|8800000015|LK,0,0,78'])
    expect(show(reader.push(bytes(LK_BARE)))).toEqual(['SG|8800000015|LK'])
    expect(show(reader.push(hex(LK_IMEI)))).toEqual(['3G|352661090143150|LK,0,0,100'])
    expect(show(reader.push(hex(RCAPTURE)))).toEqual(['3G|8308406279|rcapture'])
    expect(show(reader.push(bytes(UD)))).toEqual([`3G|1234567890|${UD.slice(20, -1)}`])
    expect(reader.buffered()).toBe(0)
  })

  it('rejects the UD example as published: its LLLL (00CD) is not its length', () => {
    const published = UD.replace('*008F*', '*00CD*')
    const reader = new FrameReader()
    // 0xCD bytes are more than the frame holds: the reader waits for the rest...
    expect(reader.push(bytes(published))).toEqual([])
    expect(reader.buffered()).toBe(published.length)
    // ...so it swallows the next frames' first 0xCD - 0x8F - 1 = 61 bytes (two LKs and a `[`),
    // finds no `]` after them, and discards the declared frame and the rest up to the next `[`.
    const next = reader.push(bytes(LK_78.repeat(4)))
    expect(show(next)).toEqual([{ problem: 'bad_length', bytes: published.length + 3 * LK_78.length }, '3G|8800000015|LK,0,0,78'])
  })

  it('finds frames split at every byte', () => {
    const stream = bytes(LK_78 + UD + LK_BARE)
    const reader = new FrameReader()
    const out: Item[] = []
    for (const byte of stream) {
      out.push(...reader.push(Buffer.from([byte])))
      expect(reader.buffered()).toBeLessThanOrEqual(MAX_HEADER_BYTES + 0x8f)
    }
    expect(show(out)).toEqual(['3G|8800000015|LK,0,0,78', `3G|1234567890|${UD.slice(20, -1)}`, 'SG|8800000015|LK'])
  })

  it('finds several frames coalesced in one chunk', () => {
    const out = new FrameReader().push(bytes(LK_78 + LK_BARE + LK_78))
    expect(show(out)).toEqual(['3G|8800000015|LK,0,0,78', 'SG|8800000015|LK', '3G|8800000015|LK,0,0,78'])
  })

  it('takes binary CONTENT by its length, `[` and `]` included (voice TK)', () => {
    const amr = Buffer.concat([bytes('TK,#!AMR'), Buffer.from([0x5d, 0x5b, 0x5d, 0x2c, 0x2a, 0xff, 0x00])])
    const stream = Buffer.concat([bytes('[CS*1234567890*000F*'), amr, bytes(']'), bytes(LK_BARE)])
    const out = new FrameReader().push(stream)
    expect(out).toHaveLength(2)
    const [voice, lk] = framesOf(out)
    expect(voice?.content.equals(amr)).toBe(true)
    expect(lk?.content.toString()).toBe('LK')
  })

  it('accepts lowercase hex in LLLL (Traccar’s own test frame has 000e)', () => {
    const content = Buffer.concat([bytes('TK,#!AMR'), Buffer.from([0x7d, 0x5b, 0x5d, 0x2c, 0x2a, 0xff])])
    const out = new FrameReader().push(Buffer.concat([bytes('[CS*1234567890*000e*'), content, bytes(']')]))
    expect(framesOf(out)[0]?.content.equals(content)).toBe(true)
  })

  it('gives each frame its own CONTENT buffer, not a view of the chunk', () => {
    const chunk = bytes(LK_78)
    const [frame] = framesOf(new FrameReader().push(chunk))
    chunk.fill(0x41)
    expect(frame?.content.toString()).toBe('LK,0,0,78')
  })

  it('accepts an empty CONTENT (the content decoder judges it)', () => {
    expect(show(new FrameReader().push(bytes('[3G*8800000015*0000*]')))).toEqual(['3G|8800000015|'])
  })
})

describe('FrameReader: hostile and broken input', () => {
  it('skips garbage before and between frames, reporting each run once', () => {
    const out = new FrameReader().push(bytes(`\r\nxx${LK_78}junk*]${LK_BARE}`))
    expect(show(out)).toEqual([
      { problem: 'garbage', bytes: 4 },
      '3G|8800000015|LK,0,0,78',
      { problem: 'garbage', bytes: 6 },
      'SG|8800000015|LK',
    ])
  })

  it('skips the stray CR before a frame (Traccar’s WatchFrameDecoderTest)', () => {
    // Traccar's frame "0D5b53472a…" is `\r[SG*352661090143150*0001*LK,0,0,100]`; its LLLL says 1
    // byte where there are 10 (Traccar ignores LLLL). With a correct LLLL the CR is plain garbage.
    const out = new FrameReader().push(Buffer.concat([Buffer.from([0x0d]), bytes('[SG*352661090143150*000A*LK,0,0,100]')]))
    expect(show(out)).toEqual([{ problem: 'garbage', bytes: 1 }, 'SG|352661090143150|LK,0,0,100'])
  })

  it('reports a frame whose LLLL is too short as bad_length, whole, and reads the next one', () => {
    const wrong = hex('0D5b53472a3335323636313039303134333135302a303030312a4c4b2c302c302c3130305d') // …*0001*LK,0,0,100]
    const out = new FrameReader().push(Buffer.concat([wrong, bytes(LK_BARE)]))
    expect(show(out)).toEqual([
      { problem: 'garbage', bytes: 1 },
      { problem: 'bad_length', bytes: wrong.length - 1 },
      'SG|8800000015|LK',
    ])
  })

  it('reports a frame whose LLLL is too long as bad_length at the first byte that is not `]`', () => {
    const out = new FrameReader().push(bytes(`[3G*8800000015*0003*LK]${LK_BARE}`))
    // CONTENT is taken as "LK]"; the `[` after it is no `]`, so 20 + 3 bytes go, and `[` starts the next frame.
    expect(show(out)).toEqual([{ problem: 'bad_length', bytes: 23 }, 'SG|8800000015|LK'])
  })

  it.each([
    ['maker not alphanumeric', '[3#*8800000015*0002*LK]'],
    ['maker of one character', '[3*8800000015*0002*LK]'],
    ['id of 9 digits', '[3G*880000001*0002*LK]'],
    ['id of 16 digits', '[3G*8800000015123456*0002*LK]'],
    ['id with a letter', '[3G*88000A0015*0002*LK]'],
    ['LLLL not hex', '[3G*8800000015*00G2*LK]'],
    ['LLLL of 3 digits', '[3G*8800000015*002*LK]'],
    ['a comma after LLLL', '[3G*8800000015*0002,LK]'],
    ['no * after the id', '[3G*8800000015,0002*LK]'],
  ])('reports a bad header (%s) once, up to the next `[`', (_why, frame) => {
    const out = new FrameReader().push(bytes(frame + LK_BARE))
    expect(show(out)).toEqual([{ problem: 'bad_header', bytes: frame.length }, 'SG|8800000015|LK'])
  })

  it('counts bytes after a good frame as garbage, not as part of an earlier problem', () => {
    const out = new FrameReader().push(bytes(`[3G*1*0002*LK]${LK_BARE}\r\n`))
    expect(show(out)).toEqual([{ problem: 'bad_header', bytes: 14 }, 'SG|8800000015|LK', { problem: 'garbage', bytes: 2 }])
  })

  it('restarts at a `[` inside a header', () => {
    const out = new FrameReader().push(bytes(`[3G*88000[3G*8800000015*0002*LK]`))
    expect(show(out)).toEqual([{ problem: 'bad_header', bytes: 9 }, '3G|8800000015|LK'])
  })

  it('reports a flood of `[` as one run, not one problem per byte', () => {
    const out = new FrameReader().push(Buffer.concat([Buffer.alloc(100_000, 0x5b), bytes(LK_BARE)]))
    expect(show(out)).toEqual([{ problem: 'bad_header', bytes: 100_000 }, 'SG|8800000015|LK'])
  })

  it('passes over a too-long frame without buffering it, and reads the next one', () => {
    const reader = new FrameReader({ maxContentBytes: 16 })
    // Binary content full of `[`: skipped by count, so no bad_header noise from inside it.
    const big = encodeFrame('CS', '1234567890', Buffer.alloc(40, 0x5b))
    const out: Item[] = []
    for (let i = 0; i < big.length; i += 7) {
      out.push(...reader.push(big.subarray(i, i + 7)))
      expect(reader.buffered()).toBeLessThanOrEqual(MAX_HEADER_BYTES)
    }
    out.push(...reader.push(bytes(LK_BARE)))
    expect(discardedByKind(out)).toEqual({ garbage: 0, bad_header: 0, bad_length: 0, too_long: big.length })
    expect(show(out).at(-1)).toBe('SG|8800000015|LK')
  })

  it('never holds a frame that declares more than maxContentBytes, however much of it arrives', () => {
    const reader = new FrameReader() // 4096
    expect(reader.push(bytes('[3G*8800000015*FFFF*'))).toEqual([{ problem: 'too_long', bytes: 20 }])
    for (let i = 0; i < 16; i++) {
      expect(reader.push(Buffer.alloc(4096, 0x41))).toEqual([{ problem: 'too_long', bytes: 4096 }])
      expect(reader.buffered()).toBe(0)
    }
  })

  it('keeps buffered() within maxBufferedBytes for a frame that never ends', () => {
    const reader = new FrameReader({ maxContentBytes: 4096, maxBufferedBytes: 4096 + 64 })
    const out: Item[] = [...reader.push(bytes('[3G*8800000015*1000*'))]
    let pushed = 20
    for (let i = 0; i < 1024; i++) {
      const chunk = Buffer.alloc(1024, 0x41) // 1 MB of CONTENT-looking bytes, no `]`, no `[`
      out.push(...reader.push(chunk))
      pushed += chunk.length
      expect(reader.buffered()).toBeLessThanOrEqual(4096 + 64)
    }
    // The declared frame, then every byte after it up to a `[` that never comes.
    expect(discardedByKind(out)).toEqual({ garbage: 0, bad_header: 0, bad_length: pushed, too_long: 0 })
    expect(accounted(out, reader)).toBe(pushed)
  })

  it('survives 1 MB of random bytes in one chunk, and in random pieces', () => {
    const noise = randomBytes(1 << 20)
    const whole = new FrameReader({ maxContentBytes: 4096, maxBufferedBytes: 4096 + 64 })
    const out = whole.push(noise)
    expect(whole.buffered()).toBeLessThanOrEqual(4096 + 64)
    expect(accounted(out, whole)).toBe(noise.length)

    const pieces = new FrameReader({ maxContentBytes: 4096, maxBufferedBytes: 4096 + 64 })
    let offset = 0
    const piecewise: Item[] = []
    while (offset < noise.length) {
      const size = 1 + (noise[offset] as number) * 16
      piecewise.push(...pieces.push(noise.subarray(offset, offset + size)))
      offset += size
      expect(pieces.buffered()).toBeLessThanOrEqual(4096 + 64)
    }
    expect(discardedByKind(piecewise)).toEqual(discardedByKind(out))
  })

  it('takes linear time on a stream built to make a re-scanning reader quadratic', () => {
    // Headers that each claim a long CONTENT, back to back, and runs of `[`: a reader that
    // re-searched its buffer after every failure would look at each byte thousands of times.
    const unit = Buffer.concat([bytes('[3G*8800000015*0FFF*'.repeat(200)), Buffer.alloc(4000, 0x5b), bytes(LK_78)])
    const stream = Buffer.concat(Array.from({ length: Math.ceil((16 << 20) / unit.length) }, () => unit))
    const reader = new FrameReader()
    const started = performance.now()
    let items = 0
    for (let i = 0; i < stream.length; i += 65536) items += reader.push(stream.subarray(i, i + 65536)).length
    const elapsedMs = performance.now() - started
    expect(items).toBeGreaterThan(0)
    // ~16 MB: linear work is well under a second even on a loaded CI core.
    expect(elapsedMs).toBeLessThan(8000)
  })

  it('refuses options that could not hold one frame', () => {
    expect(() => new FrameReader({ maxContentBytes: 4096, maxBufferedBytes: 4096 })).toThrow(RangeError)
    expect(() => new FrameReader({ maxContentBytes: -1 })).toThrow(RangeError)
    expect(() => new FrameReader({ maxContentBytes: 0x10000 })).toThrow(RangeError)
    expect(() => new FrameReader({ maxContentBytes: 100, maxBufferedBytes: 100 + MAX_HEADER_BYTES })).not.toThrow()
  })
})

describe('FrameReader: properties', () => {
  const maker = fc.constantFrom('3G', 'SG', 'CS', 'ZJ')
  const id = fc.stringMatching(/^\d{10,15}$/)
  const content = fc.oneof(
    fc.constantFrom('LK', 'LK,0,0,78', 'TKQ', 'MESSAGE', 'heart,71', UD.slice(20, -1)).map((s) => bytes(s)),
    fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
  )
  const frame = fc.tuple(maker, id, content).map(([m, i, c]) => encodeFrame(m, i, c))
  /** Bytes that can never start a frame: no `[`. */
  const garbage = fc.uint8Array({ minLength: 1, maxLength: 40 }).map((a) => Buffer.from(a.map((b) => (b === 0x5b ? 0x20 : b))))
  const cuts = fc.array(fc.nat({ max: 20_000 }), { maxLength: 60 })

  it('random splits of a frame stream give the same frames and problems as one push', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.option(garbage), frame), { minLength: 1, maxLength: 25 }), cuts, (parts, splitAt) => {
        const stream = Buffer.concat(parts.flatMap(([junk, f]) => (junk === null ? [f] : [junk, f])))
        const expected = parts.map(([, f]) => f)
        const whole = new FrameReader()
        const once = whole.push(stream)
        expect(framesOf(once).map((f) => encodeFrame(f.maker, f.id, f.content))).toEqual(expected)
        const split = new FrameReader()
        const pieces = pushInPieces(split, stream, splitAt)
        expect(framesOf(pieces)).toEqual(framesOf(once))
        expect(discardedByKind(pieces)).toEqual(discardedByKind(once))
        expect(discardedByKind(once).garbage).toBe(parts.reduce((n, [junk]) => n + (junk?.length ?? 0), 0))
      }),
    )
  })

  it('any byte stream: never throws, stays within bounds, accounts for every byte, split-invariant', () => {
    // Near-misses mixed with noise: truncated frames, wrong lengths, `[` runs, header prefixes.
    const fragment = fc.oneof(
      frame,
      frame.chain((f) => fc.nat({ max: f.length }).map((n) => f.subarray(0, n))),
      frame.map((f) => Buffer.concat([f.subarray(0, 15), bytes('00'), f.subarray(17)])),
      fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a)),
      fc.constantFrom(bytes('['), bytes(']'), bytes('[3G*'), bytes('[3G*8800000015*'), bytes('[3G*8800000015*FFFF*')),
    )
    fc.assert(
      fc.property(fc.array(fragment, { maxLength: 30 }), cuts, fc.integer({ min: 0, max: 600 }), (fragments, splitAt, maxContentBytes) => {
        const stream = Buffer.concat(fragments)
        const maxBufferedBytes = maxContentBytes + MAX_HEADER_BYTES
        const whole = new FrameReader({ maxContentBytes, maxBufferedBytes })
        const once = whole.push(stream)
        expect(whole.buffered()).toBeLessThanOrEqual(maxBufferedBytes)
        expect(accounted(once, whole)).toBe(stream.length)
        for (const f of framesOf(once)) expect(f.content.length).toBeLessThanOrEqual(maxContentBytes)

        const split = new FrameReader({ maxContentBytes, maxBufferedBytes })
        const out: Item[] = []
        let start = 0
        for (const cut of [...splitAt.filter((c) => c < stream.length)].sort((a, b) => a - b).concat(stream.length)) {
          out.push(...split.push(stream.subarray(start, cut)))
          start = cut
          expect(split.buffered()).toBeLessThanOrEqual(maxBufferedBytes)
        }
        expect(framesOf(out)).toEqual(framesOf(once))
        expect(discardedByKind(out)).toEqual(discardedByKind(once))
        expect(split.buffered()).toBe(whole.buffered())
      }),
    )
  })
})
