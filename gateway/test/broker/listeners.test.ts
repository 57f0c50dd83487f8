import type { Client, PublishPacket } from 'aedes'
import { describe, expect, it } from 'vitest'
import { mayHaveReceivers } from '../../src/broker/listeners'

const client = (filters: string[]) => ({ subscriptions: Object.fromEntries(filters.map((f) => [f, { qos: 1 }])) }) as unknown as Client
const packet = (topic: string, retain = false) => ({ cmd: 'publish', topic, payload: Buffer.from('{}'), qos: 1, retain, dup: false, messageId: 1 }) as PublishPacket

describe('mayHaveReceivers: whether aedes must route a device message the gateway took', () => {
  it('no: the sender holds no subscription that matches (nobody else may subscribe under its prefix)', () => {
    expect(mayHaveReceivers(client([]), packet('eg/v1/w1/telemetry'))).toBe(false)
    expect(mayHaveReceivers(client(['eg/v1/w1/cmd', 'eg/v1/w1/cmd/#']), packet('eg/v1/w1/telemetry'))).toBe(false)
  })
  it('yes: one of the sender’s own filters matches, wildcards as MQTT defines them', () => {
    expect(mayHaveReceivers(client(['eg/v1/w1/telemetry']), packet('eg/v1/w1/telemetry'))).toBe(true)
    expect(mayHaveReceivers(client(['eg/v1/w1/+']), packet('eg/v1/w1/event'))).toBe(true)
    expect(mayHaveReceivers(client(['eg/v1/w1/#']), packet('eg/v1/w1/cmd/ack'))).toBe(true)
    expect(mayHaveReceivers(client(['eg/v1/w1/+']), packet('eg/v1/w1/cmd/ack'))).toBe(false)
  })
  it('yes: a retained message is kept for later subscribers, and a will aedes replays without a client is routed', () => {
    expect(mayHaveReceivers(client([]), packet('eg/v1/w1/status', true))).toBe(true)
    expect(mayHaveReceivers(null, packet('eg/v1/w1/status'))).toBe(true)
  })
  it('yes, when aedes keeps no subscriptions where it used to: route rather than guess', () => {
    expect(mayHaveReceivers({} as Client, packet('eg/v1/w1/telemetry'))).toBe(true)
  })
})
