import { describe, expect, it } from 'vitest'
import { silentLogger } from '../../../test/support/databases'
import { createDeviceCommands } from '../../src/device-commands'
import { createRuleClock } from '../../src/rule-clock'
import { createStopList } from '../../src/stop-list'

/** The composition root's three small parts (issue 14): stops, the rule clock, command routing. */
describe('stop list', () => {
  it('stops newest first, goes on past a failure and past a stop that hangs, and runs once', async () => {
    const stops = createStopList(silentLogger, { timeoutMs: 50 })
    const ran: string[] = []
    stops.onStop('storage', () => void ran.push('storage'))
    stops.onStop('writer', async () => {
      ran.push('writer')
      throw new Error('disk full')
    })
    stops.onStop('broker', () => new Promise(() => ran.push('broker (hangs)')))
    stops.onStop('http', async () => void ran.push('http'))
    expect(stops.order()).toEqual(['http', 'broker', 'writer', 'storage'])
    await Promise.all([stops.stopAll(), stops.stopAll()])
    expect(ran).toEqual(['http', 'broker (hangs)', 'writer', 'storage'])
  })
})

describe('rule clock', () => {
  it('is the wall clock on EG_CLOCK=wall, whatever detection reports', () => {
    const clock = createRuleClock('wall', () => 1_000)
    clock.advance('t', 5_000)
    expect(clock.now('t')).toBe(1_000)
  })

  it("is each tenant's newest event time on EG_CLOCK=event, never moving back, and the wall clock once forgotten", () => {
    const clock = createRuleClock('event', () => 1_000)
    expect(clock.now('a')).toBe(1_000)
    clock.advance('a', 50_000)
    clock.advance('a', 40_000)
    clock.advance('b', 7_000)
    expect([clock.now('a'), clock.now('b')]).toEqual([50_000, 7_000])
    clock.forget('a')
    expect(clock.now('a')).toBe(1_000)
  })
})

describe('device commands', () => {
  const transport = (name: string, connected: Set<string>, sent: string[]) => ({
    isConnected: (id: string) => connected.has(id),
    sendCommand: async (id: string) => void sent.push(`${name}:${id}`),
  })

  it('sends through the first transport the device is connected to, and refuses when none', async () => {
    const commands = createDeviceCommands()
    const sent: string[] = []
    expect(commands.isConnected('w1')).toBe(false)
    await expect(commands.sendCommand('w1', {})).rejects.toThrow(/not connected/)
    commands.add(transport('watch-port', new Set(['w1']), sent))
    commands.add(transport('mqtt', new Set(['w1', 'm1']), sent))
    await commands.sendCommand('w1', {})
    await commands.sendCommand('m1', {})
    expect(sent).toEqual(['watch-port:w1', 'mqtt:m1'])
  })
})
