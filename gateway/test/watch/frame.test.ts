import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { answerFor, encodeFrame, isMessageEcho, voiceMessageContent, type WatchFrame } from '../../src/watch/frame'
import { FrameReader, isFrameProblem } from '../../src/watch/frame-reader'

const text = (b: Buffer): string => b.toString('latin1')

/** UTF-16BE hex back to a string: what the watch does with a MESSAGE. */
function fromUtf16BeHex(hex: string): string {
  const bytes = Buffer.from(hex, 'hex')
  return bytes.swap16().toString('utf16le')
}

describe('encodeFrame', () => {
  it('writes [MF*ID*LLLL*CONTENT] with LLLL the content length', () => {
    expect(text(encodeFrame('3G', '8800000015', 'LK'))).toBe('[3G*8800000015*0002*LK]')
    expect(text(encodeFrame('SG', '352661090143150', 'LK,0,0,100'))).toBe('[SG*352661090143150*000A*LK,0,0,100]')
  })

  it('counts UTF-8 bytes, not characters, and writes uppercase hex', () => {
    // "你" is one character but 3 UTF-8 bytes: the watch finds the frame's end by bytes.
    expect(text(encodeFrame('3G', '8800000015', '你'))).toBe(`[3G*8800000015*0003*${Buffer.from('你').toString('latin1')}]`)
    expect(text(encodeFrame('CS', '8800000015', 'x'.repeat(0xab))).slice(0, 20)).toBe('[CS*8800000015*00AB*')
    expect(text(encodeFrame('CS', '8800000015', ''))).toBe('[CS*8800000015*0000*]')
  })

  it('carries binary content byte for byte', () => {
    const binary = Buffer.from([0x5b, 0x5d, 0x2c, 0x2a, 0xff, 0x00])
    const frame = encodeFrame('CS', '1234567890', binary)
    expect(frame.subarray(0, 20).toString('latin1')).toBe('[CS*1234567890*0006*')
    expect(frame.subarray(20, 26).equals(binary)).toBe(true)
    expect(frame[26]).toBe(0x5d)
    expect(frame.length).toBe(27)
  })

  it('refuses what no watch could read', () => {
    expect(() => encodeFrame('3', '8800000015', 'LK')).toThrow(RangeError)
    expect(() => encodeFrame('3G*', '8800000015', 'LK')).toThrow(RangeError)
    expect(() => encodeFrame('3G', '880000001', 'LK')).toThrow(RangeError)
    expect(() => encodeFrame('3G', '8800000015*0002', 'LK')).toThrow(RangeError)
    expect(() => encodeFrame('3G', '8800000015', Buffer.alloc(0x10000))).toThrow(RangeError)
    expect(encodeFrame('3G', '8800000015', Buffer.alloc(0xffff)).subarray(15, 20).toString()).toBe('FFFF*')
  })
})

describe('answerFor', () => {
  it('answers with the frame’s own maker and number (DESIGN §3b)', () => {
    const lk: WatchFrame = { maker: '3G', id: '8800000015', content: Buffer.from('LK,0,0,78') }
    expect(text(answerFor(lk, 'LK'))).toBe('[3G*8800000015*0002*LK]')
    const sg: WatchFrame = { maker: 'SG', id: '8800000015', content: Buffer.from('LK') }
    expect(text(answerFor(sg, 'LK'))).toBe('[SG*8800000015*0002*LK]')
    const al: WatchFrame = { maker: '3G', id: '8809008845', content: Buffer.from('AL,271219,094744,V') }
    expect(text(answerFor(al, 'AL'))).toBe('[3G*8809008845*0002*AL]')
    expect(text(answerFor({ maker: '3G', id: '8800000015' }, 'TKQ'))).toBe('[3G*8800000015*0003*TKQ]')
  })
})

describe('voiceMessageContent', () => {
  it('writes the text as UTF-16BE uppercase hex', () => {
    expect(voiceMessageContent('你好')).toBe('MESSAGE,4F60597D')
    expect(voiceMessageContent('Hi')).toBe('MESSAGE,00480069')
    expect(voiceMessageContent('')).toBe('MESSAGE,')
    expect(voiceMessageContent('请注意：陌生来电')).toBe('MESSAGE,8BF76CE8610FFF1A964C751F67657535')
  })

  it('writes an astral character as its surrogate pair', () => {
    expect(voiceMessageContent('😀')).toBe('MESSAGE,D83DDE00')
    expect(voiceMessageContent('a𠮷b')).toBe('MESSAGE,0061D842DFB70062')
  })

  it('replaces a lone surrogate with U+FFFD rather than sending broken UTF-16', () => {
    expect(voiceMessageContent('a\uD83D')).toBe('MESSAGE,0061FFFD')
    expect(voiceMessageContent('\uDE00b')).toBe('MESSAGE,FFFD0062')
    expect(voiceMessageContent('\uD83D\uD83D\uDE00')).toBe('MESSAGE,FFFDD83DDE00')
  })

  it('always sends well-formed UTF-16, whatever code units it is given', () => {
    const anyUnits = fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 40 }).map((units) => String.fromCharCode(...units))
    fc.assert(
      fc.property(anyUnits, (message) => {
        const sent = fromUtf16BeHex(voiceMessageContent(message).slice(8))
        expect(sent.length).toBe(message.length)
        // encodeURIComponent throws URIError on a lone surrogate.
        expect(() => encodeURIComponent(sent)).not.toThrow()
      }),
    )
  })

  it('round-trips any well-formed text through a frame and the reader', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (message) => {
        const content = voiceMessageContent(message)
        const [frame, ...rest] = new FrameReader({ maxContentBytes: 4096 }).push(encodeFrame('3G', '8800000015', content))
        expect(rest).toEqual([])
        if (frame === undefined || isFrameProblem(frame)) throw new Error(`expected a frame, got ${JSON.stringify(frame)}`)
        const body = frame.content.toString('latin1')
        expect(body.startsWith('MESSAGE,')).toBe(true)
        expect(body.slice(8)).toMatch(/^(?:[0-9A-F]{4})*$/)
        expect(fromUtf16BeHex(body.slice(8))).toBe(message)
      }),
    )
  })
})

describe('isMessageEcho', () => {
  it('recognises the watch’s MESSAGE echo, with or without fields', () => {
    expect(isMessageEcho('MESSAGE')).toBe(true)
    expect(isMessageEcho('MESSAGE,4F60597D')).toBe(true)
    expect(isMessageEcho(Buffer.from('MESSAGE'))).toBe(true)
    expect(isMessageEcho(Buffer.from('MESSAGE,'))).toBe(true)
  })

  it('is not fooled by other commands that start alike', () => {
    for (const content of ['MESSAGES', 'MESSAGEX,1', 'MESSAG', 'message', 'LK', '', ' MESSAGE']) {
      expect(isMessageEcho(content)).toBe(false)
      expect(isMessageEcho(Buffer.from(content))).toBe(false)
    }
  })
})
