import mqttPacket from 'mqtt-packet'
import { describe, expect, it } from 'vitest'
import { connectProtocolLevel } from '../../src/broker/sniff'

const connect = (protocolVersion: 3 | 4 | 5): Buffer =>
  mqttPacket.generate({ cmd: 'connect', protocolId: protocolVersion === 3 ? 'MQIsdp' : 'MQTT', protocolVersion, clientId: 'w1', username: 'w1', password: Buffer.from('s') })

describe('connectProtocolLevel', () => {
  it.each([3, 4, 5] as const)('reads level %i from a whole CONNECT', (level) => {
    expect(connectProtocolLevel(connect(level))).toBe(level)
  })

  it('asks for more bytes until the level byte has arrived, whatever the split', () => {
    const bytes = connect(5)
    const levelAt = 2 + 2 + 4 // header, 1-byte length, name length, "MQTT"
    for (let n = 0; n <= levelAt; n++) expect(connectProtocolLevel(bytes.subarray(0, n))).toBeNull()
    expect(connectProtocolLevel(bytes.subarray(0, levelAt + 1))).toBe(5)
  })

  it('handles multi-byte remaining lengths', () => {
    const big = mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: 'x'.repeat(300) })
    expect(connectProtocolLevel(big)).toBe(4)
  })

  it('strips the bridge bit and rejects what is not a CONNECT', () => {
    const bridged = Buffer.from(connect(4))
    bridged[8] = 0x84
    expect(connectProtocolLevel(bridged)).toBe(4)
    expect(connectProtocolLevel(Buffer.from('GET / HTTP/1.1\r\n'))).toBe(-1)
    expect(connectProtocolLevel(Buffer.from([0x10, 0x0a, 0x00, 0x09]))).toBe(-1) // bad name length
  })
})
