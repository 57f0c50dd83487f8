/**
 * The chunked lateness window (window.ts) must behave exactly like the flat list it replaces:
 * append, drop the oldest, truncate, read back — across chunk boundaries and a JSON round trip.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { advance, ingest, initialEngineState, type ElderSlot, type EngineState, type Finding, type RuleInput } from '../src/index'
import { appendInput, dropOldest, lastInput, newChunk, truncateWindow, windowFrom, windowLength } from '../src/window'
import { at, elder, keysOf, makeCtx, run } from './support/world'
import { busyWeek } from './support/scenario'

function emptySlot(): ElderSlot {
  return { chunks: [], tail: newChunk(), tailCount: 0, windowStart: 0 } as unknown as ElderSlot
}

function fix(n: number): RuleInput {
  return { kind: 'watch', tenantId: 't1', elderId: 'e1', deviceId: 'w1', ts: n }
}

const op = fc.oneof(
  fc.record({ kind: fc.constant('append' as const), n: fc.integer({ min: 1, max: 80 }) }),
  fc.record({ kind: fc.constant('drop' as const), n: fc.nat() }),
  fc.record({ kind: fc.constant('truncate' as const), n: fc.nat() }),
  fc.record({ kind: fc.constant('json' as const), n: fc.constant(0) }),
)

describe('lateness window', () => {
  it('property: behaves like a flat array', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        let slot = emptySlot()
        const model: RuleInput[] = []
        let next = 0
        for (const o of ops) {
          if (o.kind === 'append') {
            for (let i = 0; i < o.n; i++) {
              const input = fix(next++)
              appendInput(slot, input)
              model.push(input)
            }
          } else if (o.kind === 'drop') {
            const cut = model.length === 0 ? 0 : o.n % (model.length + 1)
            dropOldest(slot, cut)
            model.splice(0, cut)
          } else if (o.kind === 'truncate') {
            const keep = model.length === 0 ? 0 : o.n % (model.length + 1)
            truncateWindow(slot, keep)
            model.length = keep
          } else {
            slot = JSON.parse(JSON.stringify(slot)) as ElderSlot
          }
          expect(windowLength(slot)).toBe(model.length)
          expect(windowFrom(slot, 0)).toEqual(model)
          expect(lastInput(slot)).toEqual(model[model.length - 1])
          // Trimmed and truncated entries are not kept alive.
          const held = [...slot.chunks.flat(), ...slot.tail].filter((x) => x !== null)
          expect(held.length).toBe(model.length)
        }
      }),
      { numRuns: 300 },
    )
  })
})

describe('slots saved before the chunked window', () => {
  it('are upgraded on first use and behave identically, late data included', () => {
    const ctx = makeCtx({ elders: [elder('e1'), elder('e2')] })
    const week = busyWeek()
    const end = at(6, 0)
    const mid = at(2, 12)
    // Inputs of the 2 h before `mid` are held back and arrive late, after the upgrade: the
    // replay then runs on the window that was saved in the old layout.
    const held = (i: RuleInput): boolean => i.ts >= mid - 2 * 3_600_000 && i.ts < mid && i.ts % 3 === 0
    let state: EngineState = initialEngineState()
    const findings: Finding[] = []
    const first = ingest(state, week.filter((i) => i.ts < mid && !held(i)), ctx)
    findings.push(...first.findings)
    state = JSON.parse(JSON.stringify(first.state)) as EngineState
    // Rewrite every slot into the old layout: a flat `window`, no chunks, no copied checkpoint times.
    for (const slot of Object.values(state.elders)) {
      const legacy = slot as unknown as Record<string, unknown>
      legacy['window'] = windowFrom(slot, 0)
      for (const key of ['chunks', 'tail', 'tailCount', 'windowStart', 'lastCheckpointTs', 'trimCheckpointTs']) delete legacy[key]
    }
    const late = week.filter(held)
    expect(late.length).toBeGreaterThan(0)
    const second = ingest(state, [...late, ...week.filter((i) => i.ts >= mid)], ctx)
    expect(second.tooLate).toBe(0)
    findings.push(...second.findings, ...advance(second.state, end, ctx).findings)
    expect(keysOf(findings)).toEqual(keysOf(run(week, ctx, end).findings))
  })
})
