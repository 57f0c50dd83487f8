import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decodeContent, type ContentReadings } from '../../gateway/src/watch/content'
import { voiceMessageContent } from '../../gateway/src/watch/frame'
import { TAKEN_OFF_BIT, voiceMessageText, WatchContentWriter } from '../src/devices/watch-protocol-content'

/**
 * The simulator writes watch-protocol CONTENT and the gateway reads it (DESIGN §3b): each
 * CONTENT written here is read back with the gateway's own decoder, so the two sides of the
 * contract cannot drift apart without this failing.
 */
const T = Date.UTC(2026, 10, 3, 1, 2, 3) // whole seconds: the protocol's grain
const decoded = (content: string, clockOffsetMinutes: number) => decodeContent(Buffer.from(content), { receivedAt: T + 60_000, clockOffsetMinutes }) as ContentReadings

describe('watch-protocol content the gateway reads back', () => {
  it('writes a GPS or wifi fix as UD (live) or UD2 (buffered), at the watch clock offset, with battery and steps', () => {
    for (const offset of [0, 480, -300]) {
      const writer = new WatchContentWriter(offset)
      const live = writer.readings([{ ts: T, lat: 30.752213, lon: 120.758501, acc: 12, src: 'gps', bat: 77, steps: 4321, hr: 72, worn: true }], false)
      expect(live.contents.map((c) => c.cmd)).toEqual(['UD'])
      expect(decoded(live.contents[0]!.content, offset)).toMatchObject({ cmd: 'UD', telemetry: [{ ts: T, lat: 30.752213, lon: 120.758501, src: 'gps', bat: 77, steps: 4321 }], events: [] })
      const late = writer.readings([{ ts: T - 3_600_000, lat: -33.45, lon: -70.66, src: 'wifi' }], true)
      expect(decoded(late.contents[0]!.content, offset)).toMatchObject({ cmd: 'UD2', late: true, telemetry: [{ ts: T - 3_600_000, lat: -33.45, lon: -70.66 }] })
    }
  })

  it('sends a cell-tower fix without a position, and a lone heart rate as `heart` only when live', () => {
    const writer = new WatchContentWriter()
    const lbs = writer.readings([{ ts: T, lat: 30.8, lon: 120.8, acc: 1500, src: 'lbs', bat: 50 }], false)
    const reading = decoded(lbs.contents[0]!.content, 0).telemetry[0]
    expect(reading).toEqual({ ts: T, bat: 50, worn: true })
    expect(writer.readings([{ ts: T, hr: 81 }], false).contents.map((c) => c.content)).toEqual(['heart,81'])
    expect(writer.readings([{ ts: T, hr: 81 }], true)).toEqual({ contents: [], skipped: ['reading:hr-late'] })
  })

  it('writes alarms as AL at the last fix (one frame per second, its bits or-ed); other events have no frame', () => {
    const writer = new WatchContentWriter(480)
    writer.readings([{ ts: T - 60_000, lat: 30.75, lon: 120.75, bat: 40, steps: 10 }], false)
    const out = writer.events([
      { ts: T, type: 'removed' },
      { ts: T + 1, type: 'low_battery', bat: 14 },
      { ts: T + 5_000, type: 'sos' },
      { ts: T + 6_000, type: 'worn' },
      { ts: T + 7_000, type: 'fall' },
      { ts: T + 8_000, type: 'power_off' },
    ])
    expect(out.skipped).toEqual(['event:worn', 'event:power_off'])
    expect(out.contents.every((c) => c.cmd === 'AL' && c.answered)).toBe(true)
    const frames = out.contents.map((c) => decoded(c.content, 480))
    expect(frames.map((f) => f.events.map((e) => e.type))).toEqual([['low_battery', 'removed'], ['sos'], ['fall']])
    expect(frames[0]).toMatchObject({ answer: 'AL', telemetry: [{ ts: T, lat: 30.75, lon: 120.75, bat: 14 }] })
    expect(frames[1]!.events[0]!.ts).toBe(T + 5_000)
  })

  it('reports the watch off the wrist as status bit 3 in every frame, from a removal until it is worn again', () => {
    const writer = new WatchContentWriter()
    const status = (content: string) => Number.parseInt(content.split(',')[16]!, 16)
    const worn = writer.readings([{ ts: T, lat: 30.75, lon: 120.75, worn: true }], false).contents[0]!.content
    expect(status(worn) & TAKEN_OFF_BIT).toBe(0)
    const removed = writer.events([{ ts: T + 1_000, type: 'removed' }]).contents[0]!.content
    expect(status(removed)).toBe((1 << 20) | TAKEN_OFF_BIT)
    expect(status(writer.readings([{ ts: T + 60_000, lat: 30.75, lon: 120.75, bat: 90 }], false).contents[0]!.content) & TAKEN_OFF_BIT).toBe(TAKEN_OFF_BIT)
    expect(writer.events([{ ts: T + 120_000, type: 'worn' }]).contents).toEqual([])
    expect(status(writer.readings([{ ts: T + 180_000, lat: 30.75, lon: 120.75, bat: 90 }], true).contents[0]!.content) & TAKEN_OFF_BIT).toBe(0)
  })

  it('reads back the text of any voice prompt the gateway writes', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), (text) => {
        expect(voiceMessageText(Buffer.from(voiceMessageContent(text)))).toBe(text)
      }),
    )
    expect(voiceMessageText(Buffer.from(voiceMessageContent('请注意防范诈骗 📞')))).toBe('请注意防范诈骗 📞')
    expect(voiceMessageText(Buffer.from('MESSAGE'))).toBeUndefined()
    expect(voiceMessageText(Buffer.from('LK'))).toBeUndefined()
    expect(voiceMessageText(Buffer.from('MESSAGE,4F6'))).toBeUndefined()
  })
})
