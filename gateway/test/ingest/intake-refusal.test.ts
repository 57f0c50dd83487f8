import { describe, expect, it } from 'vitest'
import type { DeviceIdentity } from '../../src/broker/index'
import { defaultDecodeLimits } from '../../src/ingest/decode'
import { createDeviceIntake } from '../../src/intake/device-intake'
import { createMetrics } from '../../src/metrics'

/**
 * What the intake answers the broker (issue 13): a message rejected as a whole is refused —
 * after its dead letter is durable — with the kind of refusal an MQTT 5 PUBACK reason code
 * carries; a message of which anything was kept is taken. Both carry the rejections in words
 * (`rejected`), which HTTP ingest answers the vendor; a message taken whole answers nothing.
 */
const WATCH: DeviceIdentity = { deviceId: 'w1', tenantId: 't1', elderId: 'e1', kind: 'watch' }
const now = Date.UTC(2026, 0, 5, 12)

function intake() {
  const order: string[] = []
  const sinks = {
    writer: { push: () => Promise.resolve().then(() => void order.push('stored')) },
    // Like the real store: a promise only when asked to be durable (QoS 1).
    deadLetters: {
      record: (letter: { reason: string }, opts?: { durable?: boolean }) => {
        const done = (): void => void order.push(`lettered:${letter.reason}`)
        if (opts?.durable !== true) return done()
        return Promise.resolve().then(done)
      },
    },
    activity: { seen: () => {}, setOnline: () => {} },
    detection: { submit: () => {} },
  }
  return { order, intake: createDeviceIntake(sinks, createMetrics(), { ...defaultDecodeLimits, maxPayloadBytes: 1_000, maxBatch: 3 }, () => now) }
}

describe('device intake refusals', () => {
  it.each([
    ['not JSON', 'telemetry', 'nope', 'payload_format_invalid', 'not_json'],
    ['a bad shape', 'event', '{"type": 42}', 'payload_format_invalid', 'bad_shape'],
    ['a bad status', 'status', 'maybe', 'payload_format_invalid', 'bad_status'],
    ['an empty payload', 'telemetry', '', 'payload_format_invalid', 'empty'],
    ['over the size limit', 'telemetry', 'x'.repeat(1_001), 'quota_exceeded', 'oversize'],
    ['too many elements', 'telemetry', JSON.stringify([1, 2, 3, 4].map(() => ({ ts: now, hr: 70 }))), 'quota_exceeded', 'too_many'],
  ] as const)('%s on %s is refused, once its dead letter is durable', async (_name, channel, payload, refused, reason) => {
    const { intake: subject, order } = intake()
    const outcome = subject.onMessage(WATCH, channel, Buffer.from(payload), 1)
    expect(outcome).toBeInstanceOf(Promise)
    expect(await outcome).toEqual({ refused, rejected: [expect.objectContaining({ reason })] })
    expect(order).toEqual([`lettered:${reason}`])
  })

  it('QoS 0: refused at once (nothing waits on the dead letter)', () => {
    const { intake: subject } = intake()
    const outcome = subject.onMessage(WATCH, 'telemetry', Buffer.from('nope'), 0)
    expect(outcome).toEqual({ refused: 'payload_format_invalid', rejected: [{ reason: 'not_json', message: 'payload: not JSON' }] })
  })

  it('an upload with one good element is taken (0x00), its bad element dead-lettered', async () => {
    const { intake: subject, order } = intake()
    const outcome = await subject.onMessage(WATCH, 'telemetry', Buffer.from(JSON.stringify([{ ts: now, hr: 70 }, { ts: now, hr: 900 }])), 1)
    expect(outcome).toEqual({ rejected: [{ reason: 'out_of_range', message: 'hr: must be ≤ 250', index: 1 }] })
    expect(order.sort()).toEqual(['lettered:out_of_range', 'stored'])
  })

  it('QoS 0: an upload with a bad element names it too (its dead letter is not waited for)', async () => {
    const { intake: subject } = intake()
    const outcome = await subject.onMessage(WATCH, 'telemetry', Buffer.from(JSON.stringify([{ ts: now, hr: 900 }, { ts: now, hr: 70 }])), 0)
    expect(outcome).toEqual({ rejected: [{ reason: 'out_of_range', message: 'hr: must be ≤ 250', index: 0 }] })
  })

  it('a message taken whole answers nothing once stored', async () => {
    const { intake: subject, order } = intake()
    const outcome = await subject.onMessage(WATCH, 'telemetry', Buffer.from(JSON.stringify([{ ts: now, hr: 70 }, { ts: now, hr: 71 }])), 1)
    expect(outcome).toBeUndefined()
    expect(order).toEqual(['stored'])
  })
})
