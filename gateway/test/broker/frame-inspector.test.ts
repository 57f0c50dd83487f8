import mqttPacket from 'mqtt-packet'
import { describe, expect, it } from 'vitest'
import { FrameInspector } from '../../src/broker/frame-inspector'

/**
 * The framing walk behind "malformed UTF-8 closes the connection" ([MQTT-1.5.3-1],
 * [MQTT-1.5.4-1]) and the declared Maximum Packet Size: raw bytes in, first violation out,
 * whatever the chunking.
 */

/** A string field as MQTT writes it: two length bytes, then the raw bytes (valid or not). */
const field = (bytes: Buffer): Buffer => Buffer.concat([Buffer.from([bytes.length >> 8, bytes.length & 0xff]), bytes])

function packet(type: number, flags: number, body: Buffer): Buffer {
  const length: number[] = []
  let n = body.length
  do {
    let byte = n % 128
    n = Math.floor(n / 128)
    if (n > 0) byte |= 0x80
    length.push(byte)
  } while (n > 0)
  return Buffer.concat([Buffer.from([(type << 4) | flags, ...length]), body])
}

const publish = (topic: Buffer, payload = Buffer.from('{"ts":1}')): Buffer => packet(3, 0, Buffer.concat([field(topic), payload]))
const subscribe = (filters: Buffer[], v5 = false): Buffer =>
  packet(8, 2, Buffer.concat([Buffer.from([0, 1]), ...(v5 ? [Buffer.from([0])] : []), ...filters.flatMap((f) => [field(f), Buffer.from([1])])]))
const unsubscribe = (filters: Buffer[]): Buffer => packet(10, 2, Buffer.concat([Buffer.from([0, 2]), ...filters.map(field)]))

const connect = mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: 'w1', username: 'w1', password: Buffer.from('s') })
const good = Buffer.from('eg/v1/w1/telemetry')
const bad: Record<string, Buffer> = {
  'a lone continuation byte': Buffer.from([0x65, 0x67, 0x80]),
  'a truncated sequence': Buffer.from([0x65, 0xe4, 0xb8]),
  'an encoded surrogate (U+D800)': Buffer.from([0x65, 0xed, 0xa0, 0x80]),
  'an overlong NUL': Buffer.from([0x65, 0xc0, 0x80]),
  'U+0000': Buffer.from([0x65, 0x00, 0x66]),
  '0xFF': Buffer.from('eg/v1/w1/\xff', 'latin1'),
}

/** Feeds `bytes` in chunks of `size` and returns the first violation. */
function inspect(bytes: Buffer, size: number, inspector = new FrameInspector(4)): string | undefined {
  for (let i = 0; i < bytes.length; i += size) {
    const violation = inspector.inspect(bytes.subarray(i, i + size))
    if (violation !== undefined) return violation
  }
  return undefined
}

describe('FrameInspector', () => {
  const stream = Buffer.concat([connect, publish(good), subscribe([good, Buffer.from('eg/v1/w1/#')]), unsubscribe([good]), publish(Buffer.from('eg/v1/w1/状态'))])

  it.each([1, 2, 3, 7, 64, 100_000])('passes well-formed traffic in chunks of %i bytes', (size) => {
    expect(inspect(stream, size)).toBeUndefined()
  })

  describe.each(Object.entries(bad))('a topic with %s', (_name, topic) => {
    it.each([1, 5, 100_000])('in a PUBLISH is malformed (chunks of %i)', (size) => {
      expect(inspect(Buffer.concat([connect, publish(good), publish(topic)]), size)).toBe('malformed_utf8')
    })
    it('in a SUBSCRIBE filter (3.1.1 and 5) and an UNSUBSCRIBE is malformed', () => {
      expect(inspect(Buffer.concat([connect, subscribe([good, topic])]), 3)).toBe('malformed_utf8')
      expect(inspect(Buffer.concat([subscribe([topic], true)]), 1, new FrameInspector(5))).toBe('malformed_utf8')
      expect(inspect(Buffer.concat([connect, unsubscribe([topic])]), 100)).toBe('malformed_utf8')
    })
  })

  it('never reads payloads: invalid UTF-8 there is the gateway validation’s business', () => {
    expect(inspect(publish(good, Buffer.from([0xff, 0xfe, 0x00])), 1)).toBeUndefined()
  })

  it('refuses a packet over the limit from its fixed header, before the body arrives', () => {
    const big = publish(good, Buffer.alloc(2_000, 0x20))
    const inspector = new FrameInspector(5, 1_000)
    // Header (3 bytes for a 2,02x-byte body) is enough.
    expect(inspector.inspect(big.subarray(0, 3))).toBe('packet_too_large')
    expect(inspect(publish(good, Buffer.alloc(900, 0x20)), 50, new FrameInspector(5, 1_000))).toBeUndefined()
  })
})
