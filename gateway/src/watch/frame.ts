/**
 * The frame of the 4G watch protocol (DESIGN §3b, the one Traccar calls "watch"):
 * `[MF*ID*LLLL*CONTENT]`. This file only builds frames; frame-reader.ts splits a byte stream
 * into them and content.ts reads what a CONTENT says. Pure: no sockets, no clock.
 */

/** One frame as received. `content` is bytes: some makers put binary (voice TK) in it. */
export interface WatchFrame {
  /** Two ASCII characters naming the maker (`3G`, `SG`, `CS`, …); answers repeat it. */
  maker: string
  /** The watch's own number, 10–15 digits: what it is registered with. */
  id: string
  content: Buffer
}

/** Commands the gateway answers by echoing the command name (DESIGN §3b table; TKQ per Traccar). */
export type WatchAnswer = 'LK' | 'AL' | 'TKQ' | 'TKQ2'

/** LLLL is four hex digits: no CONTENT can be longer than this. */
export const MAX_CONTENT_BYTES = 0xffff

const MAKER = /^[0-9A-Za-z]{2}$/
const WATCH_ID = /^\d{10,15}$/

/**
 * `[maker*id*LLLL*content]` with LLLL the uppercase hex byte length of the content (bytes, not
 * characters: a Chinese character is 3 UTF-8 bytes, and the watch finds the frame's end by it).
 * Throws RangeError for a maker, id or size no watch could read: those are gateway bugs, never
 * input from a watch.
 */
export function encodeFrame(maker: string, id: string, content: string | Buffer): Buffer {
  if (!MAKER.test(maker)) throw new RangeError(`watch frame: maker must be 2 ASCII letters or digits, got ${JSON.stringify(maker)}`)
  if (!WATCH_ID.test(id)) throw new RangeError(`watch frame: id must be 10–15 digits, got ${JSON.stringify(id)}`)
  const body = typeof content === 'string' ? Buffer.from(content, 'utf8') : content
  if (body.length > MAX_CONTENT_BYTES) throw new RangeError(`watch frame: content is ${body.length} bytes; LLLL allows at most ${MAX_CONTENT_BYTES}`)
  const header = `[${maker}*${id}*${body.length.toString(16).toUpperCase().padStart(4, '0')}*`
  const frame = Buffer.allocUnsafe(header.length + body.length + 1)
  frame.write(header, 0, 'latin1')
  body.copy(frame, header.length)
  frame[frame.length - 1] = 0x5d // ']'
  return frame
}

/** The answer a watch waits for (e.g. `[3G*8800000015*0002*LK]`): same maker and number. */
export function answerFor(frame: Pick<WatchFrame, 'maker' | 'id'>, cmd: WatchAnswer): Buffer {
  return encodeFrame(frame.maker, frame.id, cmd)
}

/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g

/**
 * CONTENT of a voice prompt: `MESSAGE,<text as UTF-16BE, uppercase hex>` ("你好" → `MESSAGE,4F60597D`).
 * A JS string already is UTF-16 code units, so an astral character (emoji) comes out as its
 * surrogate pair, which is what UTF-16BE is. A lone surrogate (a string cut mid-pair upstream)
 * becomes U+FFFD: the watch would otherwise show garbage or drop the whole message.
 */
export function voiceMessageContent(text: string): string {
  const units = Buffer.from(text.replace(LONE_SURROGATE, '\uFFFD'), 'utf16le').swap16()
  return `MESSAGE,${units.toString('hex').toUpperCase()}`
}

const MESSAGE = Buffer.from('MESSAGE', 'latin1')

/**
 * The watch's echo of a voice prompt: CONTENT `MESSAGE`, or `MESSAGE,…` on firmware that
 * repeats the text. Either means delivered (DESIGN §3b). `MESSAGES` or `MESSAGEX` are not it.
 */
export function isMessageEcho(content: Buffer | string): boolean {
  if (typeof content === 'string') return content === 'MESSAGE' || content.startsWith('MESSAGE,')
  if (content.length < MESSAGE.length || MESSAGE.compare(content, 0, MESSAGE.length, 0, MESSAGE.length) !== 0) return false
  return content.length === MESSAGE.length || content[MESSAGE.length] === 0x2c // ','
}
