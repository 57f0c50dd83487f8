import { describe, expect, it } from 'vitest'
import { DeviceLink } from '../src/devices/device-link'
import type { DeviceMessage } from '../src/devices/messages'
import type { Connector, LinkTransport } from '../src/devices/transport'

/** A transport that records what would go over MQTT and can fail publishes on demand. */
function fakeBroker() {
  const published: Array<{ topic: string; payload: string; retain: boolean }> = []
  const commandHandlers: Array<(payload: Buffer) => void> = []
  let failNext = 0
  let connects = 0
  const connector: Connector = async (_device, handlers) => {
    connects++
    commandHandlers.push(handlers.onCommand)
    const transport: LinkTransport = {
      async publish(topic, payload, opts) {
        if (failNext > 0) {
          failNext--
          throw new Error('connection closed')
        }
        published.push({ topic, payload, retain: opts.retain ?? false })
      },
      onLost: () => undefined,
      drop: () => published.push({ topic: 'DROP', payload: '', retain: false }),
      end: async () => undefined,
    }
    return transport
  }
  return {
    connector, published,
    failNextPublishes: (n: number) => { failNext = n },
    command: (payload: unknown) => commandHandlers[commandHandlers.length - 1]?.(Buffer.from(JSON.stringify(payload))),
    connects: () => connects,
  }
}

const reading = (ts: number): DeviceMessage => ({ ts, channel: 'telemetry', body: { ts, hr: 70 } })
const event = (ts: number): DeviceMessage => ({ ts, channel: 'event', body: { ts, type: 'door_open' } })

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

describe('DeviceLink', () => {
  it('announces online (retained), publishes while up, buffers while down, uploads one ordered array on reconnect', async () => {
    const broker = fakeBroker()
    const link = new DeviceLink({ id: 'w1', secret: 'x' }, broker.connector, { clock: () => 0 })
    await link.connect()
    link.send(reading(1))
    link.goDown()
    for (const ts of [2, 3, 4]) link.send(reading(ts))
    link.send(event(3))
    expect(link.bufferedCount).toBe(4)
    await link.goUp()
    await link.settled()

    expect(broker.published.map((p) => p.topic)).toEqual([
      'eg/v1/w1/status', 'eg/v1/w1/telemetry', 'DROP', 'eg/v1/w1/status', 'eg/v1/w1/telemetry', 'eg/v1/w1/event',
    ])
    expect(broker.published[0]).toMatchObject({ payload: 'online', retain: true })
    expect(JSON.parse(broker.published[1]!.payload)).toEqual({ ts: 1, hr: 70 })
    // The buffered readings arrive as ONE array, in event-time order.
    expect(JSON.parse(broker.published[4]!.payload)).toEqual([{ ts: 2, hr: 70 }, { ts: 3, hr: 70 }, { ts: 4, hr: 70 }])
    expect(JSON.parse(broker.published[5]!.payload)).toEqual([{ ts: 3, type: 'door_open' }])
    expect(link.bufferedCount).toBe(0)
    expect(link.stats).toMatchObject({ drops: 1, reconnects: 1, uploads: 2, buffered: 4 })
  })

  it('keeps a reading whose publish failed and sends it in the next upload', async () => {
    const broker = fakeBroker()
    const link = new DeviceLink({ id: 'w1', secret: 'x' }, broker.connector, { clock: () => 0 })
    await link.connect()
    broker.failNextPublishes(1)
    link.send(reading(10))
    await link.settled()
    expect(link.bufferedCount).toBe(1)
    link.goDown()
    link.send(reading(11))
    await link.goUp()
    await link.settled()
    const upload = broker.published.filter((p) => p.topic === 'eg/v1/w1/telemetry').at(-1)
    expect(JSON.parse(upload!.payload)).toEqual([{ ts: 10, hr: 70 }, { ts: 11, hr: 70 }])
  })

  it('acknowledges a voice command delivered, then played, with event time', async () => {
    const broker = fakeBroker()
    const heard: string[] = []
    const link = new DeviceLink({ id: 'w1', secret: 'x' }, broker.connector, { clock: () => 1_234, playDelayMs: 1, onCommand: (_id, c) => heard.push(c.text ?? '') })
    await link.connect()
    broker.command({ id: 'cmd-1', type: 'voice', text: '请注意防范诈骗', lang: 'zh-CN', priority: 'high' })
    await until(() => broker.published.filter((p) => p.topic === 'eg/v1/w1/cmd/ack').length === 2, 'two acks')
    const acks = broker.published.filter((p) => p.topic === 'eg/v1/w1/cmd/ack').map((p) => JSON.parse(p.payload) as unknown)
    expect(acks).toEqual([{ id: 'cmd-1', status: 'delivered', ts: 1_234 }, { id: 'cmd-1', status: 'played', ts: 1_234 }])
    expect(heard).toEqual(['请注意防范诈骗'])
  })
})
