import { describe, expect, it } from 'vitest'
import { advance, advanceElders, checkpointSlot, ingest, initialEngineState } from '../src/index'
import { busyWeek } from './support/scenario'
import { LECTURE_AT, at, elder, keysOf, makeCtx, outing, sortInputs } from './support/world'

/**
 * advanceElders is advance() restricted to the elders an ingest touched: the gateway calls it
 * after every batch so parked findings go out at once. For the elders it is given it must do
 * exactly what advance does, and leave every other elder alone.
 */
describe('advanceElders', () => {
  const ctx = makeCtx({ elders: [elder('e1'), elder('e2')] })
  const end = at(5, 0)

  function ingested() {
    const state = initialEngineState()
    ingest(state, busyWeek(), ctx)
    return state
  }

  it('emits for all elders exactly what advance emits', () => {
    const all = keysOf(advance(ingested(), end, ctx).findings)
    expect(all.length).toBeGreaterThan(3)
    expect(keysOf(advanceElders(ingested(), ['e1', 'e2'], end, ctx).findings)).toEqual(all)
  })

  it('emits only the given elders’ findings and keeps the others parked for advance', () => {
    const state = ingested()
    const e1 = advanceElders(state, ['e1'], end, ctx).findings
    expect(e1.length).toBeGreaterThan(0)
    expect(e1.every((f) => f.elderId === 'e1')).toBe(true)
    const rest = advance(state, end, ctx).findings
    expect(rest.some((f) => f.elderId === 'e2')).toBe(true)
    expect(rest.some((f) => f.elderId === 'e1')).toBe(false)
  })

  it('ignores elders the engine has never seen', () => {
    expect(advanceElders(ingested(), ['nobody'], end, ctx).findings).toEqual([])
  })
})

describe('re-delivered inputs', () => {
  const ctx = makeCtx({ elders: [elder('e1'), elder('e2')] })
  const end = at(5, 0)

  it('give the same findings as one delivery (QoS 1 resends, replay after a crash)', () => {
    const inputs = busyWeek()
    const once = initialEngineState()
    const onceKeys = keysOf([...ingest(once, inputs, ctx).findings, ...advance(once, end, ctx).findings])
    const twice = initialEngineState()
    const firstHalf = inputs.slice(0, Math.floor(inputs.length * 0.6))
    const found = [...ingest(twice, firstHalf, ctx).findings]
    // The whole upload again (the first 60 % a second time), then a few duplicates inside one call.
    found.push(...ingest(twice, inputs, ctx).findings)
    found.push(...ingest(twice, [...inputs.slice(-5), ...inputs.slice(-5)], ctx).findings)
    found.push(...advance(twice, end, ctx).findings)
    expect(keysOf(found)).toEqual(onceKeys)
  })
})

describe('re-delivered visits', () => {
  it('count once: two lectures delivered twice, then a third, is orange (3 visits), not more', () => {
    const ctx = makeCtx({ elders: [elder('e1')] })
    const state = initialEngineState()
    const first = sortInputs([...outing(LECTURE_AT, at(0, 9), 45), ...outing(LECTURE_AT, at(2, 9), 45)])
    const third = sortInputs(outing(LECTURE_AT, at(4, 9), 45))
    const found = [...ingest(state, first, ctx).findings]
    found.push(...ingest(state, first, ctx).findings)
    found.push(...ingest(state, third, ctx).findings)
    // The third visit again, in upload-sized pieces, advanced after each (as the gateway does).
    for (let i = 0; i < third.length; i += 4) {
      found.push(...ingest(state, third.slice(i, i + 4), ctx).findings)
      found.push(...advanceElders(state, ['e1'], third[Math.min(i + 3, third.length - 1)]!.ts, ctx).findings)
    }
    found.push(...advance(state, at(4, 12), ctx).findings)
    const levels = found.filter((f) => f.rule === 'venue.repeat').map((f) => f.level)
    expect(levels).toEqual(['yellow', 'orange'])
  })
})

describe('checkpointSlot (what the gateway stores)', () => {
  it('restores to the same findings for data that continues in order, and stays small', () => {
    const ctx = makeCtx({ elders: [elder('e1'), elder('e2')] })
    const inputs = busyWeek()
    const end = at(5, 0)
    const whole = initialEngineState()
    const expected = keysOf([...ingest(whole, inputs, ctx).findings, ...advance(whole, end, ctx).findings])

    const half = Math.floor(inputs.length / 2)
    const before = initialEngineState()
    const found = [...ingest(before, inputs.slice(0, half), ctx).findings]
    const restored = JSON.parse(
      JSON.stringify({ ...before, elders: Object.fromEntries(Object.entries(before.elders).map(([id, slot]) => [id, checkpointSlot(slot)])) }),
    ) as typeof before
    found.push(...ingest(restored, inputs.slice(half), ctx).findings, ...advance(restored, end, ctx).findings)
    expect(keysOf(found)).toEqual(expected)
    // The window is not in the checkpoint: far smaller than the slot it came from.
    const full = JSON.stringify(before.elders['e1'])
    expect(JSON.stringify(checkpointSlot(before.elders['e1']!)).length).toBeLessThan(full.length / 2)
  })
})
