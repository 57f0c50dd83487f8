import { createRequire } from 'node:module'
import type { Writable } from 'node:stream'

/**
 * A plain MQTT 3.1.1 PUBACK in one stream write instead of three.
 *
 * aedes writes every packet with mqtt-packet's `writeToStream`, which sends a PUBACK as three
 * writes to the socket (fixed header, remaining length, message id). The sockets are corked
 * while a commit releases its PUBACKs (ack-coalescing.ts), so they still leave in one syscall,
 * but each write is a pass through Node's stream machinery (a buffered entry, a callback, its
 * share of the writev's chunk list) — and the PUBACK is the one packet the gateway sends per
 * message (issue 11 item 7, durable ingest throughput: streams were 12 % of the gateway's CPU
 * in bench:ingest). Here the four bytes are one Buffer and one write.
 *
 * Only the exact case is taken: a `puback` with a valid message id and no MQTT 5 reason code or
 * properties, written without options (aedes passes none: MQTT 5 devices go through the bridge,
 * mqtt5-bridge.ts). Everything else is mqtt-packet's own code. The bytes are the same
 * (gateway/test/broker/puback-writes.test.ts compares them with mqtt-packet's for every id).
 * Patched on the mqtt-packet that aedes resolves, the object its `write` calls.
 */
type WriteToStream = (packet: Record<string, unknown>, stream: Writable, opts?: unknown) => boolean

interface MqttPacketModule {
  writeToStream: WriteToStream
}

const requireFromAedes = createRequire(createRequire(import.meta.url).resolve('aedes'))
const mqttPacket = requireFromAedes('mqtt-packet') as MqttPacketModule

/** mqtt-packet's own writer, for every other packet (and for the test). */
export const originalWriteToStream: WriteToStream = mqttPacket.writeToStream

/** PUBACK fixed header: type 4, flags 0; remaining length 2. */
const PUBACK_HEADER = 0x40
const PUBACK_LENGTH = 0x02

function isPlainPuback(packet: Record<string, unknown>, opts: unknown): packet is { cmd: 'puback'; messageId: number } {
  const id = packet.messageId
  return (
    opts === undefined &&
    packet.cmd === 'puback' &&
    typeof id === 'number' &&
    Number.isInteger(id) &&
    id >= 0 &&
    id <= 0xffff &&
    packet.reasonCode === undefined &&
    packet.properties === undefined
  )
}

let installed = false

/** Idempotent: the broker installs it when it is created. */
export function installFastPubackWrites(): void {
  if (installed) return
  installed = true
  mqttPacket.writeToStream = function writeToStream(packet, stream, opts) {
    if (!isPlainPuback(packet, opts)) return originalWriteToStream(packet, stream, opts)
    // As mqtt-packet does for every packet: corked until the next tick, so what else is written
    // to this device in this tick leaves with it.
    if (typeof stream.cork === 'function') {
      stream.cork()
      process.nextTick(uncork, stream)
    }
    const bytes = Buffer.allocUnsafe(4)
    bytes[0] = PUBACK_HEADER
    bytes[1] = PUBACK_LENGTH
    bytes[2] = packet.messageId >> 8
    bytes[3] = packet.messageId & 0xff
    stream.write(bytes)
    // mqtt-packet answers true for a PUBACK whatever the socket's buffer holds: aedes does not
    // wait for 'drain' on one, and neither does it here.
    return true
  }
}

function uncork(stream: Writable): void {
  stream.uncork()
}
