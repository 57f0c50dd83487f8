import net from 'node:net'
import { MqttClient, type Packet } from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { seedElders, type SeededDevice } from '../../../test/support/api-client'
import { startTestGateway, type TestGateway } from '../../../test/support/gateway'

/**
 * Issue 13, item 1, over MQTT: real mqtt.js clients over TCP against the real gateway. Every
 * 127.0.0.0/8 address reaches the loopback listener, so each client binds a source address of
 * its own and the gateway sees attackers and devices at different (or shared) addresses.
 */
const ATTACKER = '127.0.0.2'
const NAT = '127.0.0.3'
const HOME = '127.0.0.1'
const ELSEWHERE = '127.0.0.4'

/** Connects `id` from `localAddress` and resolves the CONNACK return code (0 = accepted). */
async function connackFrom(t: TestGateway, localAddress: string, id: string, secret: string): Promise<number> {
  const port = t.gateway.mqttPort
  const client = new MqttClient(() => net.createConnection({ host: '127.0.0.1', port, localAddress }), {
    clientId: id,
    username: id,
    password: secret,
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: 10_000,
  })
  client.on('error', () => {}) // a refusal also surfaces as an error event
  try {
    return await new Promise<number>((resolve, reject) => {
      client.on('packetreceive', (packet: Packet) => {
        if (packet.cmd === 'connack') resolve(packet.returnCode ?? -1)
      })
      client.once('close', () => reject(new Error('closed without CONNACK')))
    })
  } finally {
    await client.endAsync(true)
  }
}

async function throttledCount(t: TestGateway, scope: 'pair' | 'address', action: 'refused' | 'delayed'): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${t.gateway.httpPort}/metrics`)).text()
  const line = text.split('\n').find((l) => l.startsWith(`eg_auth_throttled_total{kind="mqtt",scope="${scope}",action="${action}"}`))
  return line === undefined ? 0 : Number(line.split(' ').at(-1))
}

describe('MQTT login throttle protects devices instead of locking them out', () => {
  let t: TestGateway
  let devices: SeededDevice[]

  beforeAll(async () => {
    t = await startTestGateway({
      env: { EG_AUTH_MAX_FAILURES: '3', EG_AUTH_BLOCK_MS: '60000', EG_AUTH_ADDRESS_MAX_FAILURES: '6', EG_AUTH_ADDRESS_MAX_DELAY_MS: '400' },
    })
    devices = await seedElders(t.api, 4)
  })
  afterAll(async () => {
    await t?.stop()
    await t?.drop()
  })

  it('wrong secrets for a watch from one address never keep the real watch out from another, round after round', async () => {
    const watch = devices[0] as SeededDevice
    for (let round = 0; round < 2; round++) {
      // The attack of the issue: five guesses, repeated; today's code answered the real watch 5.
      for (let i = 0; i < 5; i++) expect(await connackFrom(t, ATTACKER, watch.id, `guess-${round}-${i}`)).toBe(5)
      expect(await connackFrom(t, HOME, watch.id, watch.secret)).toBe(0)
      expect(await connackFrom(t, ELSEWHERE, watch.id, watch.secret)).toBe(0)
    }
    // Only the guessing pair waits: that id from that address, refused before its secret is checked.
    expect(await connackFrom(t, ATTACKER, watch.id, watch.secret)).toBe(5)
    expect(await throttledCount(t, 'pair', 'refused')).toBeGreaterThanOrEqual(1)
  })

  it('a carrier NAT address that keeps failing still lets its devices with the right secret in', async () => {
    const [, known, fresh, guessed] = devices as [SeededDevice, SeededDevice, SeededDevice, SeededDevice]
    expect(await connackFrom(t, NAT, known.id, known.secret)).toBe(0) // logged in from behind the NAT before
    // Spraying guesses across many ids (and three at one real device) makes the address hot.
    for (let i = 0; i < 8; i++) expect(await connackFrom(t, NAT, `no-such-watch-${i}`, 'guess')).toBe(5)
    for (let i = 0; i < 3; i++) expect(await connackFrom(t, NAT, guessed.id, `guess-${i}`)).toBe(5)

    // The guessed device waits behind this NAT only (for 1 s here); from anywhere else it connects at once.
    expect(await connackFrom(t, NAT, guessed.id, guessed.secret)).toBe(5)
    expect(await connackFrom(t, HOME, guessed.id, guessed.secret)).toBe(0)

    const delayedBefore = await throttledCount(t, 'address', 'delayed')
    // A device that logged in from this address before skips the address's delay…
    expect(await connackFrom(t, NAT, known.id, known.secret)).toBe(0)
    expect(await throttledCount(t, 'address', 'delayed')).toBe(delayedBefore)
    // …one new to it waits (≤ EG_AUTH_ADDRESS_MAX_DELAY_MS), is checked, and gets in.
    expect(await connackFrom(t, NAT, fresh.id, fresh.secret)).toBe(0)
    expect(await throttledCount(t, 'address', 'delayed')).toBe(delayedBefore + 1)
  })
})
