import { Writable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { installFastPubackWrites, originalWriteToStream } from '../../src/broker/puback-writes'

/** A stream that records each write (and its bytes) without cork ever holding anything back from the test. */
class Recorder extends Writable {
  writes: Buffer[] = []
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    callback()
  }
  override write(chunk: Buffer | string, ...rest: never[]): boolean {
    this.writes.push(Buffer.from(chunk))
    return super.write(chunk, ...rest)
  }
  bytes(): Buffer {
    return Buffer.concat(this.writes)
  }
}

// The mqtt-packet aedes writes with: the object the patch replaces writeToStream on.
const { default: aedesMqttPacket } = (await import('mqtt-packet')) as unknown as { default: { writeToStream: typeof originalWriteToStream } }

describe('PUBACK in one write', () => {
  installFastPubackWrites()

  it('writes the same bytes as mqtt-packet for every message id, in one write instead of three', () => {
    for (let id = 0; id <= 0xffff; id++) {
      const fast = new Recorder()
      const slow = new Recorder()
      expect(aedesMqttPacket.writeToStream({ cmd: 'puback', messageId: id }, fast)).toBe(true)
      expect(originalWriteToStream({ cmd: 'puback', messageId: id }, slow)).toBe(true)
      if (!fast.bytes().equals(slow.bytes())) expect(fast.bytes().toString('hex'), `id ${id}`).toBe(slow.bytes().toString('hex'))
      if (fast.writes.length !== 1) expect(fast.writes.length, `id ${id}`).toBe(1)
    }
    // What it saves: mqtt-packet's own path writes a PUBACK in three parts.
    const slow = new Recorder()
    originalWriteToStream({ cmd: 'puback', messageId: 258 }, slow)
    expect(slow.writes.length).toBe(3)
  })

  it('leaves every other packet, and a PUBACK with MQTT 5 parts or options, to mqtt-packet', () => {
    for (const [packet, opts] of [
      [{ cmd: 'puback', messageId: 7, reasonCode: 0x97 }, { protocolVersion: 5 }],
      [{ cmd: 'puback', messageId: 7, properties: { reasonString: 'quota' } }, { protocolVersion: 5 }],
      [{ cmd: 'puback', messageId: 7 }, { protocolVersion: 4 }],
      [{ cmd: 'pubrec', messageId: 7 }, undefined],
      [{ cmd: 'publish', topic: 'a/b', payload: Buffer.from('x'), qos: 1, messageId: 9, retain: false, dup: false }, undefined],
      [{ cmd: 'pingresp' }, undefined],
    ] as const) {
      const fast = new Recorder()
      const slow = new Recorder()
      aedesMqttPacket.writeToStream(packet as never, fast, opts)
      originalWriteToStream(packet as never, slow, opts)
      expect(fast.writes.map((b) => b.toString('hex')), packet.cmd).toEqual(slow.writes.map((b) => b.toString('hex')))
    }
  })

  it('refuses an invalid message id as mqtt-packet does (destroys the stream)', () => {
    const fast = new Recorder()
    fast.on('error', () => undefined)
    expect(aedesMqttPacket.writeToStream({ cmd: 'puback', messageId: 'x' }, fast)).toBe(false)
    expect(fast.destroyed).toBe(true)
  })
})
