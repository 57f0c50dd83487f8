import { describe, expect, it } from 'vitest'
import { compareAlerts, defaultFilter, mergeAlerts, riskByElder, unansweredRed, visibleAlerts } from '../src/alert-board'
import type { Alert } from '../src/types'

const T = Date.UTC(2026, 10, 1, 8, 0, 0)
const iso = (minutes: number) => new Date(T + minutes * 60_000).toISOString()

function alert(id: string, over: Partial<Alert> = {}): Alert {
  return { id, elderId: 'e1', rule: 'safety.sos', level: 'red', status: 'open', count: 1, firstAt: iso(0), lastAt: iso(0), updatedAt: iso(0), ...over }
}

describe('alert board model', () => {
  it('keeps the newer copy whatever order REST pages and stream changes arrive in', () => {
    const acked = alert('a', { status: 'acknowledged', updatedAt: iso(5) })
    const stale = alert('a', { status: 'open', updatedAt: iso(1) })
    expect(mergeAlerts(mergeAlerts(new Map(), [acked]), [stale]).get('a')?.status).toBe('acknowledged')
    expect(mergeAlerts(mergeAlerts(new Map(), [stale]), [acked]).get('a')?.status).toBe('acknowledged')
  })

  it('returns the same map when nothing changed (no needless re-render)', () => {
    const a = alert('a', { updatedAt: iso(5) })
    const map = mergeAlerts(new Map(), [a])
    expect(mergeAlerts(map, [alert('a', { updatedAt: iso(1) })])).toBe(map)
  })

  it.each([
    ['unresolved before resolved', alert('x', { status: 'resolved', level: 'red' }), alert('y', { level: 'green' })],
    ['unanswered before acknowledged', alert('x', { status: 'acknowledged' }), alert('y', { level: 'yellow' })],
    ['more severe first', alert('x', { level: 'orange', lastAt: iso(9) }), alert('y', { level: 'red' })],
    ['newer first at the same level', alert('x', { lastAt: iso(1) }), alert('y', { lastAt: iso(2) })],
  ])('sorts %s', (_name, later, first) => {
    expect([later, first].sort(compareAlerts).map((a) => a.id)).toEqual(['y', 'x'])
  })

  it('filters by level, status and rule', () => {
    const all = mergeAlerts(new Map(), [
      alert('sos'),
      alert('fall', { rule: 'safety.fall', level: 'red' }),
      alert('venue', { rule: 'venue.repeat', level: 'yellow' }),
      alert('done', { status: 'resolved' }),
    ])
    expect(visibleAlerts(all, defaultFilter).map((a) => a.id).sort()).toEqual(['fall', 'sos', 'venue'])
    expect(visibleAlerts(all, { ...defaultFilter, levels: new Set(['yellow']) }).map((a) => a.id)).toEqual(['venue'])
    expect(visibleAlerts(all, { ...defaultFilter, rule: 'safety.fall' }).map((a) => a.id)).toEqual(['fall'])
    expect(visibleAlerts(all, { ...defaultFilter, status: 'resolved' }).map((a) => a.id)).toEqual(['done'])
    expect(visibleAlerts(all, { ...defaultFilter, status: 'all' })).toHaveLength(4)
  })

  it('sorts from the previous order to exactly what a fresh sort gives, through updates and filter changes', () => {
    const levels = ['red', 'orange', 'yellow', 'green'] as const
    const statuses = ['open', 'acknowledged', 'resolved'] as const
    let seed = 7
    const next = (n: number) => (seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) % n
    const random = (id: string, minute: number) =>
      alert(id, { level: levels[next(4)], status: statuses[next(3)], rule: next(2) === 0 ? 'safety.sos' : 'venue.repeat', lastAt: iso(next(50)), updatedAt: iso(minute) })
    let all = mergeAlerts(new Map(), Array.from({ length: 300 }, (_, i) => random(`a${i}`, 0)))
    let filter = defaultFilter
    let rows = visibleAlerts(all, filter)
    for (let step = 1; step <= 60; step++) {
      // Changed copies of old alerts, new alerts, and now and then another filter.
      all = mergeAlerts(all, Array.from({ length: 5 }, (_, i) => random(i < 3 ? `a${next(300)}` : `n${step}-${i}`, step)))
      if (step % 15 === 0) filter = { ...defaultFilter, status: step % 30 === 0 ? 'all' : 'open', rule: step % 45 === 0 ? 'safety.sos' : '' }
      rows = visibleAlerts(all, filter, rows)
      expect(rows.map((a) => `${a.id}@${a.updatedAt}`)).toEqual(visibleAlerts(all, filter).map((a) => `${a.id}@${a.updatedAt}`))
    }
    expect(rows.length).toBeGreaterThan(0)
  })

  it('counts unanswered red alerts for the title badge', () => {
    const all = mergeAlerts(new Map(), [alert('a'), alert('b', { status: 'acknowledged' }), alert('c', { level: 'orange' }), alert('d')])
    expect(unansweredRed(all)).toBe(2)
  })

  it('gives each elder the highest unresolved level, since it was reached', () => {
    const all = mergeAlerts(new Map(), [
      alert('y', { level: 'yellow', rule: 'venue.repeat', firstAt: iso(0) }),
      alert('o', { level: 'orange', rule: 'absence.overnight', firstAt: iso(30), levelSince: iso(40) }),
      alert('r', { level: 'red', status: 'resolved' }),
      alert('other', { elderId: 'e2', level: 'green', rule: 'device.battery' }),
    ])
    const risk = riskByElder(all)
    expect(risk.get('e1')).toMatchObject({ level: 'orange', since: iso(40) })
    expect(risk.get('e1')?.alerts.map((a) => a.id)).toEqual(['o', 'y'])
    expect(risk.get('e2')?.level).toBe('green')
  })
})
