import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { deviceEventSchema, watchReadingSchema } from '../../../contract/device-payloads'
import { decodeContent, type DecodedContent } from '../../src/watch/content'
import { FrameReader, isFrameProblem } from '../../src/watch/frame-reader'

/** Gateway clock at arrival: the time of readings that carry none (LK, health). */
const NOW = Date.UTC(2026, 10, 23, 8, 0, 0)

/**
 * Decodes one real frame as the watch port will: through the reader, then the CONTENT. A frame
 * whose LLLL does not match its CONTENT fails here, so every example below is a valid frame.
 * Examples are Traccar's WatchProtocolDecoderTest frames; where its LLLL is wrong (coordinates
 * shortened when the data was anonymised) the corrected value is noted.
 */
function decodeFrame(text: string, clockOffsetMinutes?: number): DecodedContent {
  const items = new FrameReader().push(Buffer.from(text, 'utf8'))
  const frame = items[0]
  if (items.length !== 1 || frame === undefined || isFrameProblem(frame)) throw new Error(`not one frame: ${JSON.stringify(items)}`)
  const receivedAt = arrival(frame.content.toString('utf8'), clockOffsetMinutes)
  return decodeContent(frame.content, clockOffsetMinutes === undefined ? { receivedAt } : { receivedAt, clockOffsetMinutes })
}

const decode = (content: string, clockOffsetMinutes?: number): DecodedContent => {
  const receivedAt = arrival(content, clockOffsetMinutes)
  return decodeContent(Buffer.from(content, 'utf8'), clockOffsetMinutes === undefined ? { receivedAt } : { receivedAt, clockOffsetMinutes })
}

/**
 * When the gateway receives a frame: NOW, except for an alarm, which arrives as it happens — a
 * minute after its own (well-formed) time, as the examples' dates are years old. An alarm far
 * from its arrival is dated by its arrival instead (tested on its own below).
 */
function arrival(content: string, clockOffsetMinutes = 0): number {
  const m = /^AL(?:_LTE|_WCDMA)?,(\d\d)(\d\d)(\d\d),(\d\d)(\d\d)(\d\d),/.exec(content)
  if (m === null) return NOW
  const [d, mo, y, h, mi, se] = m.slice(1).map(Number) as [number, number, number, number, number, number]
  const at = Date.UTC(2000 + y, mo - 1, d, h, mi, se) - clockOffsetMinutes * 60_000
  return Number.isNaN(at) ? NOW : at + 60_000
}

/** A fix CONTENT with the given status and position fields (the layout of DESIGN §3b). */
const fix = (cmd: string, status: string, position = 'A,22.571707,N,113.8613968,E'): string =>
  `${cmd},220414,134652,${position},0.1,0.0,100,7,60,90,1000,50,${status},4,1,460,0,9360,4082,131`
const FIX_TS = Date.UTC(2014, 3, 22, 13, 46, 52)

describe('decodeContent: heartbeat LK', () => {
  it('reads steps and battery, and answers LK', () => {
    expect(decodeFrame('[3G*8800000015*0009*LK,0,0,78]')).toStrictEqual({
      cmd: 'LK',
      answer: 'LK',
      telemetry: [{ ts: NOW, steps: 0, bat: 78 }],
      events: [],
    })
    expect(decodeFrame('[3G*4700186508*000B*LK,0,10,100]').telemetry).toStrictEqual([{ ts: NOW, steps: 0, bat: 100 }])
  })

  it('answers a bare LK and makes no reading of it', () => {
    expect(decodeFrame('[SG*8800000015*0002*LK]')).toStrictEqual({ cmd: 'LK', answer: 'LK', telemetry: [], events: [] })
  })

  it('takes the fields that are there', () => {
    // Traccar's "[SG*9081000548*0009*LK,0,100]"; LLLL corrected to 0008. Steps only: no battery field.
    expect(decodeFrame('[SG*9081000548*0008*LK,0,100]').telemetry).toStrictEqual([{ ts: NOW, steps: 0 }])
  })

  it('still answers a heartbeat whose fields are not numbers, and says which field', () => {
    const decoded = decode('LK,abc,0,78')
    expect(decoded).toMatchObject({ cmd: 'LK', answer: 'LK', telemetry: [], events: [] })
    expect(decoded.error).toMatch(/steps "abc"/)
    expect(decode('LK,0,0,7x').error).toMatch(/battery "7x"/)
  })
})

describe('decodeContent: fixes UD and UD2', () => {
  it('reads the documented UD fix (UTC clock, valid GPS fix)', () => {
    // The documented frame says 00CD; its CONTENT is 0x8F bytes.
    const decoded = decodeFrame(
      '[3G*1234567890*008F*UD,220414,134652,A,22.571707,N,113.8613968,E,0.1,0.0,100,7,60,90,1000,50,0000,4,1,460,0,9360,4082,131,9360,4092,148,9360,4091,143,9360,4153,141]',
    )
    expect(decoded).toStrictEqual({
      cmd: 'UD',
      telemetry: [{ ts: FIX_TS, lat: 22.571707, lon: 113.8613968, src: 'gps', bat: 90, steps: 1000 }],
      events: [],
    })
  })

  it('reads the watch clock at its registered offset', () => {
    const content = fix('UD', '00000000')
    expect(decode(content, 480).telemetry[0]?.ts).toBe(FIX_TS - 8 * 3_600_000)
    expect(decode(content, -300).telemetry[0]?.ts).toBe(FIX_TS + 5 * 3_600_000)
    expect(decode(content, 0).telemetry[0]?.ts).toBe(FIX_TS)
  })

  it('marks UD2 late (a fix from the watch’s buffer) and does not answer it', () => {
    // Traccar's frame says 0088; its CONTENT is 0x90 bytes.
    const decoded = decodeFrame(
      '[SG*8800000015*0090*UD2,220414,134652,A,22.571707,N,113.8613968,E,0.1,0.0,100,7,60,90,1000,50,0000,4,1,460,0,9360,4082,131,9360,4092,148,9360,4091,143,9360,4153,141]',
    )
    expect(decoded).toStrictEqual({
      cmd: 'UD2',
      late: true,
      telemetry: [{ ts: FIX_TS, lat: 22.571707, lon: 113.8613968, src: 'gps', bat: 90, steps: 1000 }],
      events: [],
    })
    expect(decodeFrame('[3G*9031853319*004E*UD2,220322,055105,A,22.761162,N,114.360192,E,0,0,47,14,100,64,0,0,00000008,0,0]').telemetry).toStrictEqual([
      { ts: Date.UTC(2022, 2, 22, 5, 51, 5), lat: 22.761162, lon: 114.360192, src: 'gps', bat: 64, steps: 0, worn: false },
    ])
  })

  it('keeps battery and steps but no position from a V (no fix) record', () => {
    const decoded = decodeFrame(
      '[3G*4700186508*00B1*UD,301015,084840,V,45.853100,N,14.6224899,E,0.00,0.0,0.0,0,84,61,0,11,00000008,7,255,293,70,60,6453,139,60,6432,139,60,6431,132,60,6457,127,60,16353,126,60,6451,121,60,16352,118]',
    )
    expect(decoded.telemetry).toStrictEqual([{ ts: Date.UTC(2015, 9, 30, 8, 48, 40), bat: 61, steps: 0, worn: false }])
    // A V record's lat/lon are not read at all: this one has a signed latitude and no E/W.
    expect(decodeFrame('[SG*9081000548*00AC*UD,110116,113639,V,16.479064,S,68.119072,,0.7593,000,99,00,80,80,0,50,00000000,5,1,736,2,10103,10732,153,10103,11061,152,10103,11012,152,10103,10151,150,10103,10731,143,,00]').telemetry).toStrictEqual([
      { ts: Date.UTC(2016, 0, 11, 11, 36, 39), bat: 80, steps: 0, worn: true },
    ])
  })

  it('makes south and west negative, also when the watch signs the number itself', () => {
    // LLLL corrected: Traccar's frame says 0053 for 0x56 bytes.
    expect(decodeFrame('[SG*9059056143*0056*UD,251021,223408,A,41.46500,N,081.53128,W,0.926,000,0,00,70,70,0,50,00000000,0,1,,,,00]').telemetry).toStrictEqual([
      { ts: Date.UTC(2021, 9, 25, 22, 34, 8), lat: 41.465, lon: -81.53128, src: 'gps', bat: 70, steps: 0, worn: true },
    ])
    // "-9.000000,W" (Portugal): already negative, W does not flip it back. LLLL corrected from 0079.
    expect(decodeFrame('[3G*2256002206*0078*UD2,100116,153723,A,38.000000,N,-9.000000,W,0.44,299.3,0.0,7,100,86,0,0,00000008,2,0,268,3,3010,51042,146,3010,51043,132]').telemetry[0]).toMatchObject({ lat: 38, lon: -9 })
    expect(decode(fix('UD', '0', 'A,33.45,S,70.66,W')).telemetry[0]).toMatchObject({ lat: -33.45, lon: -70.66 })
    expect(decode(fix('UD', '0', 'A,-33.45,N,-70.66,E')).telemetry[0]).toMatchObject({ lat: -33.45, lon: -70.66 })
    expect(decode(fix('UD', '0', 'A,33.45,N,70.66,')).telemetry[0]).toMatchObject({ lat: 33.45, lon: 70.66 })
  })

  it('reads a coordinate padded with a space', () => {
    const decoded = decodeFrame(
      '[3G*4700222306*011F*UD2,120316,140444,A,48.779045,N, 9.1574736,E,0.57,12.8,0.0,7,28,77,0,0,00000000,2,2,262,1,21041,9067,121,21041,5981,116,5,WG-Superlativ,34:31:c4:c8:a9:22,-67,EasyBox-28E858,18:83:bf:28:e8:f4,-70,MoMaXXg,be:05:43:b7:19:15,-72,MoMaXX2,bc:05:43:b7:19:15,-72,Gastzugang,18:83:bf:28:e8:f5,-72]',
    )
    expect(decoded.telemetry).toStrictEqual([{ ts: Date.UTC(2016, 2, 12, 14, 4, 44), lat: 48.779045, lon: 9.1574736, src: 'gps', bat: 77, steps: 0, worn: true }])
  })

  it('raises no event from UD or UD2, whatever their status bits say (only AL is an alarm)', () => {
    for (const cmd of ['UD', 'UD2']) {
      const decoded = decode(fix(cmd, '00730000'))
      expect(decoded.events).toEqual([])
      expect(decoded.answer).toBeUndefined()
      expect(decoded.telemetry).toHaveLength(1)
    }
  })
})

describe('decodeContent: alarms AL', () => {
  it('reads an SOS with no fix: one reading, one sos event at the fix time, answered AL', () => {
    const decoded = decodeFrame(
      '[3G*8809008845*00C0*AL,271219,094744,V,00.000000,N, 0.0000000,E,0.00,0.0,0.0,0,100,81,0,0,00010000,7,0,460,0,9336,3981,141,9336,3912,141,9336,3982,140,9765,4233,134,9765,4071,134,9765,4321,134,9336,4353,132,0,0.0]',
    )
    const ts = Date.UTC(2019, 11, 27, 9, 47, 44)
    expect(decoded).toStrictEqual({ cmd: 'AL', answer: 'AL', telemetry: [{ ts, bat: 81, steps: 0, worn: true }], events: [{ ts, type: 'sos' }] })
  })

  it('reads a fall with a fix (bit 21; bit 4 is not an alarm)', () => {
    const decoded = decodeFrame('[3G*8308373902*0080*AL,230817,095346,A,47.083950,N,15.4821850,E,7.60,273.8,0.0,4,15,44,0,0,00200010,2,255,232,1,7605,42530,118,7605,58036,119,0,65.8]')
    const ts = Date.UTC(2017, 7, 23, 9, 53, 46)
    expect(decoded).toStrictEqual({
      cmd: 'AL',
      answer: 'AL',
      telemetry: [{ ts, lat: 47.08395, lon: 15.482185, src: 'gps', bat: 44, steps: 0, worn: true }],
      events: [{ ts, type: 'fall' }],
    })
  })

  it('answers an AL with no alarm bits and gives just the reading', () => {
    // LLLL corrected: Traccar's frame says 0058 for 0x5B bytes.
    const decoded = decodeFrame('[SG*9051004074*005B*AL,120117,145602,V,40.058413,N,76.336618,W,11.519,188,99,00,01,80,0,50,00000000,0,1,0,0,,10]')
    expect(decoded).toStrictEqual({ cmd: 'AL', answer: 'AL', telemetry: [{ ts: Date.UTC(2017, 0, 12, 14, 56, 2), bat: 80, steps: 0, worn: true }], events: [] })
    // The documented AL has a 4-digit status 0001 (bit 0): no contract event. LLLL corrected from 0087.
    const documented = decodeFrame(
      '[SG*8800000015*008F*AL,220414,134652,A,22.571707,N,113.8613968,E,0.1,0.0,100,7,60,90,1000,50,0001,4,1,460,0,9360,4082,131,9360,4092,148,9360,4091,143,9360,4153,141]',
    )
    expect(documented).toMatchObject({ cmd: 'AL', answer: 'AL', events: [] })
    expect(documented.telemetry).toHaveLength(1)
  })

  it.each([
    ['00010000', ['sos']],
    ['00020000', ['low_battery']],
    ['00100000', ['removed']],
    ['00200000', ['fall']],
    ['00400000', ['fall']],
    ['00600000', ['fall']],
    ['00730000', ['sos', 'low_battery', 'removed', 'fall']],
    ['0008000F', []],
    ['FF8CFFFF', []],
    ['ffffffff', ['sos', 'low_battery', 'removed', 'fall']],
    ['1', []],
  ])('status %s → events %j', (status, types) => {
    const decoded = decode(fix('AL', status), 480)
    const ts = FIX_TS - 480 * 60_000
    expect(decoded.events).toStrictEqual(types.map((type) => ({ ts, type })))
    expect(decoded.answer).toBe('AL')
  })
})

describe('decodeContent: health readings', () => {
  it.each([
    ['[3G*6005412902*0008*heart,71]', [{ ts: NOW, hr: 71 }]],
    ['[3G*4700609403*0013*bphrt,120,79,73,,,,]', [{ ts: NOW, sys: 120, dia: 79, hr: 73 }]],
    ['[3G*4700609403*000D*bphrt,118,76,]', [{ ts: NOW, sys: 118, dia: 76 }]],
    ['[3G*2104326058*0009*oxygen,98]', [{ ts: NOW, spo2: 98 }]],
    ['[3G*2104326058*000E*btemp2,1,35.29]', [{ ts: NOW, temp: 35.29 }]],
    ['[3G*6005412902*0008*HEART,64]', [{ ts: NOW, hr: 64 }]],
  ])('%s', (frame, telemetry) => {
    const decoded = decodeFrame(frame)
    expect(decoded.telemetry).toStrictEqual(telemetry)
    expect(decoded.events).toEqual([])
    expect(decoded.answer).toBeUndefined()
    expect(decoded.error).toBeUndefined()
  })

  it('sends nothing for a measurement of nothing (0 off the wrist; btemp2 mode 0)', () => {
    expect(decodeFrame('[3G*6005412902*0007*heart,0]')).toStrictEqual({ cmd: 'heart', telemetry: [], events: [] })
    expect(decode('bphrt,0,0,0').telemetry).toEqual([])
    expect(decode('oxygen,0').telemetry).toEqual([])
    expect(decode('btemp2,0,35.29').telemetry).toEqual([])
  })
})

describe('decodeContent: echo, unknown and answered-unknown commands', () => {
  it('reads the MESSAGE echo, with or without fields', () => {
    expect(decodeFrame('[3G*8800000015*0007*MESSAGE]')).toStrictEqual({ cmd: 'MESSAGE', echo: true, telemetry: [], events: [] })
    expect(decodeFrame('[3G*8800000015*0010*MESSAGE,4F60597D]')).toMatchObject({ cmd: 'MESSAGE', echo: true })
  })

  it('answers TKQ and TKQ2 with the same command, and counts them unknown', () => {
    expect(decodeFrame('[3G*8800000015*0003*TKQ]')).toStrictEqual({ cmd: 'TKQ', unknown: true, answer: 'TKQ', telemetry: [], events: [] })
    expect(decodeFrame('[3G*8800000015*0004*TKQ2]')).toStrictEqual({ cmd: 'TKQ2', unknown: true, answer: 'TKQ2', telemetry: [], events: [] })
  })

  it('names every other command unknown, binary voice included (UD_LTE is a fix)', () => {
    expect(decodeFrame('[CS*8800000015*0008*PULSE,72]')).toStrictEqual({ cmd: 'PULSE', unknown: true, telemetry: [], events: [] })
    expect(decodeFrame('[3G*8308406279*0008*rcapture]')).toMatchObject({ cmd: 'rcapture', unknown: true })
    expect(decodeFrame('[3G*2104326058*00E9*UD_LTE,300621,135101,A,32.162652,N,34.888748,E,30.84,265.158,65.621,18,100,83,0,0,00000000,1,1,425,01,10223,8012811,100,3,ES4104,22:74:1d:39:64:ff,-46,metropoline-wifi,a8:3f:a1:e0:66:ba,-89,Egged.co.il,00:0c:42:51:cf:cd,-81,1.7055488]')).toMatchObject({ cmd: 'UD_LTE', telemetry: [{ lat: 32.162652, lon: 34.888748, bat: 83 }] })
    const voice = Buffer.concat([Buffer.from('TK,#!AMR\n'), Buffer.from([0x5d, 0x5b, 0xff, 0xfe, 0x00])])
    expect(decodeContent(voice, { receivedAt: NOW })).toStrictEqual({ cmd: 'TK', unknown: true, telemetry: [], events: [] })
  })
})

describe('decodeContent: malformed CONTENT', () => {
  it.each([
    ['UD with too few fields', 'UD,220414,134652,A,22.571707,N,113.8613968,E', 'UD', /7 fields; a fix has at least 16/],
    ['a day that is no day', fix('UD', '0').replace('220414', '320414'), 'UD', /date\/time "320414,134652"/],
    ['February 30th', fix('UD2', '0').replace('220414', '300214'), 'UD2', /date\/time/],
    ['hour 24', fix('UD', '0').replace('134652', '240000'), 'UD', /date\/time/],
    ['a 5-digit date', fix('UD', '0').replace('220414', '22041'), 'UD', /date\/time/],
    ['lat abc', fix('UD', '0', 'A,abc,N,113.86,E'), 'UD', /lat "abc" is not decimal degrees/],
    ['lat beyond 90', fix('UD', '0', 'A,91.5,N,113.86,E'), 'UD', /lat "91.5" is beyond ±90°/],
    ['lon beyond 180', fix('UD2', '00010000', 'A,22.5,N,181.0,E'), 'UD2', /lon "181.0" is beyond ±180°/],
    ['lat in exponent notation', fix('UD', '0', 'A,2e1,N,113.86,E'), 'UD', /lat "2e1"/],
    ['a hemisphere that is none', fix('UD', '0', 'A,22.5,X,113.86,E'), 'UD', /lat hemisphere "X"/],
    ['validity neither A nor V', fix('UD', '0', 'Z,22.5,N,113.86,E'), 'UD', /validity "Z"/],
    ['battery not a number', fix('UD', '0').replace(',60,90,1000,', ',60,ninety,1000,'), 'UD', /battery "ninety"/],
    ['a battery of 400 digits', fix('UD', '0').replace(',60,90,1000,', `,60,${'9'.repeat(400)},1000,`), 'UD', /battery "9{24}…" is out of range/],
    ['negative steps', fix('UD', '0').replace(',60,90,1000,', ',60,90,-5,'), 'UD', /steps "-5" is not a whole number/],
    ['AL status not hex', fix('AL', 'SOS!'), 'AL', /status "SOS!"/],
    ['AL status of 9 digits', fix('AL', '000010000'), 'AL', /status "000010000"/],
    ['heart without a value', 'heart', 'heart', /hr missing/],
    ['heart not a number', 'heart,fast', 'heart', /hr "fast"/],
    ['bphrt without dia', 'bphrt,120', 'bphrt', /dia missing/],
    ['btemp2 without a temperature', 'btemp2,1', 'btemp2', /temp missing/],
    ['btemp2 mode not a number', 'btemp2,x,36.5', 'btemp2', /mode "x"/],
    ['empty CONTENT', '', '', /empty CONTENT/],
    ['a command name of binary', '\u0000\u00ff,1', '', /command name/],
    ['a command name of 33 letters', `${'A'.repeat(33)},1`, '', /command name/],
  ])('%s', (_why, content, cmd, message) => {
    const decoded = decode(content)
    expect(decoded.cmd).toBe(cmd)
    expect(decoded.error).toMatch(message)
    expect(decoded.telemetry).toEqual([])
    expect(decoded.events).toEqual([])
    // Only the heartbeat is answered when broken: an unanswered AL is sent again by the watch.
    expect(decoded.answer).toBeUndefined()
  })

  it('bounds the watch’s text it quotes in an error', () => {
    const decoded = decode(fix('UD', '0', `A,${'9'.repeat(3000)}x,N,113.86,E`))
    expect(decoded.error).toBeDefined()
    expect(decoded.error!.length).toBeLessThan(80)
  })
})

describe('decodeContent: MQTT contract', () => {
  const examples = [
    'LK,0,0,78',
    fix('UD', '0'),
    fix('UD2', '0', 'V,0.0,N,0.0,E'),
    fix('AL', '00730000'),
    fix('AL', '00010000', 'A,33.45,S,70.66,W'),
    'heart,71',
    'bphrt,120,79,73',
    'oxygen,97',
    'btemp2,1,36.6',
  ]

  it('emits readings and events an MQTT watch could publish, and nothing JSON would change', () => {
    const readingKeys = new Set(['ts', 'lat', 'lon', 'acc', 'src', 'hr', 'steps', 'bat', 'worn', 'sys', 'dia', 'spo2', 'temp'])
    for (const content of examples) {
      const decoded = decode(content)
      expect(decoded.error).toBeUndefined()
      expect(JSON.parse(JSON.stringify({ t: decoded.telemetry, e: decoded.events }))).toStrictEqual({ t: decoded.telemetry, e: decoded.events })
      for (const reading of decoded.telemetry) {
        expect(Number.isInteger(reading.ts)).toBe(true)
        for (const key of Object.keys(reading)) expect(readingKeys.has(key)).toBe(true)
        expect(watchReadingSchema.safeParse(reading).success).toBe(true)
      }
      for (const event of decoded.events) {
        expect(Number.isInteger(event.ts)).toBe(true)
        expect(deviceEventSchema.safeParse(event).success).toBe(true)
      }
    }
  })

  it('is total: any bytes give a result, never an exception', () => {
    const text = fc.oneof(
      fc.uint8Array({ maxLength: 400 }).map((a) => Buffer.from(a)),
      fc
        .tuple(
          fc.constantFrom('UD', 'UD2', 'AL', 'LK', 'heart', 'bphrt', 'oxygen', 'btemp2', 'MESSAGE', 'TKQ'),
          fc.array(fc.oneof(fc.constantFrom('', 'A', 'V', 'N', 'S', 'E', 'W', '220414', '134652', '00010000', '-0', ' 1.5', '1.', '.5', 'NaN', 'Infinity'), fc.string({ maxLength: 12 }), fc.double().map(String)), { maxLength: 24 }),
        )
        .map(([cmd, fields]) => Buffer.from([cmd, ...fields].join(','), 'utf8')),
    )
    fc.assert(
      fc.property(text, fc.integer({ min: -720, max: 840 }), (content, clockOffsetMinutes) => {
        const decoded = decodeContent(content, { receivedAt: NOW, clockOffsetMinutes })
        expect(typeof decoded.cmd).toBe('string')
        const flags = [decoded.error !== undefined, decoded.unknown === true, decoded.echo === true].filter(Boolean)
        expect(flags.length).toBeLessThanOrEqual(1)
        for (const reading of decoded.telemetry) {
          for (const value of Object.values(reading)) if (typeof value === 'number') expect(Number.isFinite(value)).toBe(true)
        }
        if (decoded.error !== undefined) expect(decoded.telemetry.length + decoded.events.length).toBe(0)
      }),
      { numRuns: 500 },
    )
  })
})

describe('the watch on the wrist: bit 3 of the status word (issue 15)', () => {
  it('reads worn from the device state of an 8-digit status, and nothing from a short one', () => {
    const at = (status: string) => decodeContent(Buffer.from(`UD,231126,075900,A,22.5,N,113.8,E,0.1,0.0,100,7,60,90,1000,50,${status},4`), { receivedAt: NOW }).telemetry[0]
    expect(at('00000008')?.worn).toBe(false)
    expect(at('00100008')?.worn).toBe(false)
    expect(at('00000000')?.worn).toBe(true)
    expect(at('00010000')?.worn).toBe(true)
    expect(at('0000')?.worn).toBeUndefined()
  })
})

describe('an alarm is never lost to the watch clock or its position (issue 15)', () => {
  it('dates an SOS by its arrival when the watch clock is unset (000000) or a year off', () => {
    for (const when of ['000000,000000', '010100,000000', '230925,080000']) {
      const decoded = decodeContent(Buffer.from(`AL,${when},A,22.571707,N,113.8613968,E,0.1,0.0,100,7,60,90,1000,50,00010000,4`), { receivedAt: NOW })
      expect(decoded.error).toBeUndefined()
      expect(decoded.events).toStrictEqual([{ ts: NOW, type: 'sos' }])
      expect(decoded.telemetry[0]).toMatchObject({ ts: NOW, lat: 22.571707 })
      expect(decoded.answer).toBe('AL')
    }
  })

  it('keeps an SOS whose position is broken, without the position', () => {
    const at = Date.UTC(2026, 10, 23, 7, 59, 0)
    const decoded = decodeContent(Buffer.from('AL,231126,075900,A,abc,N,1e9,E,0.1,0.0,100,7,60,90,1000,50,00010000,4'), { receivedAt: NOW })
    expect(decoded.events).toStrictEqual([{ ts: at, type: 'sos' }])
    expect(decoded.telemetry).toStrictEqual([{ ts: at, bat: 90, steps: 1000, worn: true }])
  })

  it('still refuses a UD whose clock is unreadable (a position needs its time)', () => {
    expect(decodeContent(Buffer.from('UD,000000,000000,A,22.5,N,113.8,E,0.1,0.0,100,7,60,90,1000,50,00010000,4'), { receivedAt: NOW }).error).toMatch(/date\/time/)
  })

  it('reads the LTE and WCDMA variants of UD and AL like UD and AL', () => {
    const ud = decodeContent(Buffer.from('UD_LTE,231126,075900,A,22.5,N,113.8,E,0.1,0.0,100,7,60,90,1000,50,00000000,4'), { receivedAt: NOW })
    expect(ud).toMatchObject({ cmd: 'UD_LTE', telemetry: [{ lat: 22.5, lon: 113.8 }], events: [] })
    expect(ud.answer).toBeUndefined()
    const al = decodeContent(Buffer.from('AL_LTE,231126,075900,V,0,N,0,E,0.1,0.0,100,7,60,90,1000,50,00200000,4'), { receivedAt: NOW })
    expect(al).toMatchObject({ cmd: 'AL_LTE', answer: 'AL', events: [{ type: 'fall' }] })
  })
})
