/**
 * Reads the protocol level from the first bytes of a connection without consuming them, so the
 * broker can route MQTT 5 clients through the bridge and hand 3.1.1 clients to aedes untouched.
 *
 * Returns the level (3 = 3.1, 4 = 3.1.1, 5 = 5.0; the bridge-mode bit 0x80 stripped), `null` when
 * more bytes are needed, or `-1` when this is not a CONNECT at all (aedes rejects those itself).
 * At most 14 bytes are ever needed: 1 header + 4 length + 2 + 6 ("MQIsdp") + 1 level.
 */
export const SNIFF_MAX_BYTES = 14

export function connectProtocolLevel(head: Buffer): number | null {
  if (head.length === 0) return null
  if (head[0] !== 0x10) return -1 // CONNECT, flags 0 [MQTT-2.2.2-2]
  let pos = 1
  // Remaining length: 1..4 bytes, 7 bits each, high bit = more follows.
  for (;;) {
    const byte = head[pos]
    if (byte === undefined) return null
    pos++
    if ((byte & 0x80) === 0) break
    if (pos > 4) return -1
  }
  const hi = head[pos]
  const lo = head[pos + 1]
  if (hi === undefined || lo === undefined) return null
  const nameLength = (hi << 8) | lo
  if (nameLength !== 4 && nameLength !== 6) return -1
  const level = head[pos + 2 + nameLength]
  if (level === undefined) return null
  return level & 0x7f
}
