import { isUtf8 } from 'node:buffer'

/**
 * Reads the MQTT framing of a device's byte stream before the packet parser does, for the two
 * checks the parser cannot make:
 *
 * - Topic names (PUBLISH) and topic filters (SUBSCRIBE, UNSUBSCRIBE) must be well-formed UTF-8
 *   without U+0000 (MQTT 3.1.1 §1.5.3 [MQTT-1.5.3-1/-2], MQTT 5 §1.5.4 [MQTT-1.5.4-1/-2]); the
 *   receiver closes the connection otherwise. mqtt-packet decodes strings with
 *   `toString('utf8')`, which silently turns bad bytes into U+FFFD, so only the raw bytes tell.
 * - The Maximum Packet Size the broker declared to MQTT 5 clients ([MQTT-3.2.2-15]): a bigger
 *   packet is refused as soon as its fixed header arrives, before its body is buffered.
 *
 * The walk keeps a few bytes of state per connection and copies nothing in the usual case (a
 * topic inside one chunk); payloads are skipped, never read. Framing it cannot make sense of
 * (a length over four bytes, a string running past its packet) is left to the parser, which
 * rejects it and closes the connection itself.
 */
export type FrameViolation = 'malformed_utf8' | 'packet_too_large'

const PUBLISH = 3
const SUBSCRIBE = 8
const UNSUBSCRIBE = 10

export class FrameInspector {
  /** Fixed header bytes read of the current packet (the type byte, then up to four of length). */
  private headerBytes = 0
  private type = 0
  private bodyLength = 0
  private multiplier = 1
  private bodyLeft = 0
  private inBody = false
  /** Body bytes to keep for checking, from the body's start (a PUBLISH's topic, a whole (UN)SUBSCRIBE). */
  private keepTarget = 0
  private kept: Buffer[] = []
  private keptLength = 0
  /** A PUBLISH whose two topic-length bytes are being kept: the topic itself comes next. */
  private readingTopicLength = false
  /** Set when the framing is beyond us: the parser will close the connection anyway. */
  private lost = false

  constructor(
    /** 3 or 4 (3.1/3.1.1) or 5: MQTT 5 (UN)SUBSCRIBE carry properties before their filters. */
    private readonly protocolVersion: number,
    private readonly maxPacketBytes = Number.POSITIVE_INFINITY,
  ) {}

  /** Feeds the next chunk; the first violation in it, if any. */
  inspect(chunk: Buffer): FrameViolation | undefined {
    let pos = 0
    while (pos < chunk.length && !this.lost) {
      if (!this.inBody) {
        const violation = this.readHeaderByte(chunk[pos] ?? 0)
        pos++
        if (violation !== undefined) return violation
        continue
      }
      // The hot path: a PUBLISH whose topic lies whole in this chunk is checked in place.
      if (this.readingTopicLength && this.keptLength === 0 && pos + 2 <= chunk.length) {
        const end = pos + 2 + chunk.readUInt16BE(pos)
        if (end - pos <= this.bodyLength && end <= chunk.length) {
          if (!isMqttString(chunk, pos + 2, end)) return 'malformed_utf8'
          this.readingTopicLength = false
          this.keepTarget = 0
        }
      }
      let step = Math.min(this.bodyLeft, chunk.length - pos)
      if (this.keptLength < this.keepTarget) {
        step = Math.min(step, this.keepTarget - this.keptLength)
        this.kept.push(chunk.subarray(pos, pos + step))
        this.keptLength += step
        if (this.keptLength === this.keepTarget && !this.checkKept()) return 'malformed_utf8'
      }
      pos += step
      this.bodyLeft -= step
      if (this.bodyLeft === 0) this.endPacket()
    }
    return undefined
  }

  private readHeaderByte(byte: number): FrameViolation | undefined {
    this.headerBytes++
    if (this.headerBytes === 1) {
      this.type = byte >> 4
      return undefined
    }
    this.bodyLength += (byte & 0x7f) * this.multiplier
    this.multiplier *= 128
    if ((byte & 0x80) !== 0) {
      if (this.headerBytes === 5) this.lost = true // a remaining length of five bytes is malformed
      return undefined
    }
    if (this.headerBytes + this.bodyLength > this.maxPacketBytes) return 'packet_too_large'
    this.bodyLeft = this.bodyLength
    this.inBody = true
    this.readingTopicLength = this.type === PUBLISH
    this.keepTarget = this.type === PUBLISH ? Math.min(2, this.bodyLength) : this.type === SUBSCRIBE || this.type === UNSUBSCRIBE ? this.bodyLength : 0
    if (this.bodyLength === 0) this.endPacket()
    return undefined
  }

  /** Checks what was kept across chunks; false on a violation. A PUBLISH's topic length asks for the topic next. */
  private checkKept(): boolean {
    const bytes = this.kept.length === 1 ? (this.kept[0] as Buffer) : Buffer.concat(this.kept, this.keptLength)
    this.kept = [bytes]
    if (this.type !== PUBLISH) return checkFilters(bytes, this.type === SUBSCRIBE, this.protocolVersion === 5)
    if (this.readingTopicLength) {
      this.readingTopicLength = false
      if (bytes.length === 2) this.keepTarget = Math.min(this.bodyLength, 2 + bytes.readUInt16BE(0))
      return true
    }
    return isMqttString(bytes, 2, bytes.length)
  }

  private endPacket(): void {
    this.headerBytes = 0
    this.bodyLength = 0
    this.multiplier = 1
    this.inBody = false
    if (this.keptLength > 0) this.kept = []
    this.keptLength = 0
    this.keepTarget = 0
    this.readingTopicLength = false
  }
}

/**
 * Well-formed UTF-8 without U+0000, in bytes[start, end). Topics are ASCII nearly always: a
 * loop decides those without allocating; isUtf8 (which also refuses surrogates and overlong
 * forms) sees the rest.
 */
function isMqttString(bytes: Buffer, start: number, end: number): boolean {
  let ascii = true
  for (let i = start; i < end; i++) {
    const byte = bytes[i] ?? 0
    if (byte === 0) return false
    if (byte >= 0x80) ascii = false
  }
  return ascii || isUtf8(bytes.subarray(start, end))
}

/** The filters of a (UN)SUBSCRIBE body; a structure the parser will refuse passes here. */
function checkFilters(body: Buffer, subscribe: boolean, v5: boolean): boolean {
  let pos = 2 // packet identifier
  if (v5) {
    let propertiesLength = 0
    let multiplier = 1
    for (let i = 0; i < 4; i++) {
      const byte = body[pos++]
      if (byte === undefined) return true
      propertiesLength += (byte & 0x7f) * multiplier
      multiplier *= 128
      if ((byte & 0x80) === 0) break
    }
    pos += propertiesLength
  }
  while (pos + 2 <= body.length) {
    const end = pos + 2 + body.readUInt16BE(pos)
    if (end > body.length) return true
    if (!isMqttString(body, pos + 2, end)) return false
    pos = end + (subscribe ? 1 : 0)
  }
  return true
}
