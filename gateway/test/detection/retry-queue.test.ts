import { describe, expect, it } from 'vitest'
import { waitFor } from '../../../test/support/gateway'
import { findingDescription, findingDocument, restoreFinding, storableText } from '../../src/detection/finding-failure'
import { createRetryQueue } from '../../src/detection/retry-queue'
import type { Finding } from '../../../rules/src/index'

describe('retry queue', () => {
  it('keeps retrying with backoff until an attempt is done, in the order entries were added', async () => {
    const tried: string[] = []
    const failuresLeft = new Map([['a', 2], ['b', 0]])
    const done: string[] = []
    const queue = createRetryQueue<string>({
      policy: { baseMs: 5, factor: 2, capMs: 20 },
      async attempt(item) {
        tried.push(item)
        const left = failuresLeft.get(item) ?? 0
        failuresLeft.set(item, left - 1)
        return left > 0 ? 'retry' : 'done'
      },
      onDone: (item) => done.push(item),
      onError: () => undefined,
    })
    queue.add('a', 1)
    queue.add('b', 1)
    expect(queue.size()).toBe(2)
    await waitFor(async () => queue.size() === 0, { what: 'the queue to empty' })
    expect(done.sort()).toEqual(['a', 'b'])
    expect(tried.filter((t) => t === 'a')).toHaveLength(3)
    queue.stop()
  })

  it('survives a pass that finds nothing due (a timer firing early) and an attempt that throws', async () => {
    let clock = 1_000
    let calls = 0
    const queue = createRetryQueue<string>({
      // The clock only moves when the test says so: the first timer finds the entry not yet due.
      now: () => clock,
      random: () => 0.5,
      policy: { baseMs: 10, factor: 2, capMs: 10 },
      async attempt() {
        calls++
        if (calls === 1) throw new Error('boom')
        return 'done'
      },
      onError: () => undefined,
    })
    queue.add('x', 1)
    await new Promise((r) => setTimeout(r, 30))
    expect(calls).toBe(0)
    clock += 1_000
    queue.wake()
    await waitFor(async () => calls >= 1, { what: 'the first attempt' })
    clock += 1_000
    queue.wake()
    await waitFor(async () => queue.size() === 0, { what: 'the second attempt' })
    expect(calls).toBe(2)
    queue.stop()
  })
})

describe('a finding that cannot be stored, described so that the description can', () => {
  const base: Finding = { rule: 'safety.sos', tenantId: 't', elderId: 'e', level: 'red', dedupKey: 'k', ts: 1, summary: 'SOS', evidence: {} }

  it('stores a serialisable finding whole and restores it', () => {
    const json = findingDocument(base)
    expect(json).not.toBeNull()
    expect(restoreFinding(JSON.parse(json!))).toEqual(base)
  })

  it('describes cycles, BigInts and NUL bytes instead, boundedly, and refuses to restore a description', () => {
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    for (const evidence of [cyclic, { n: 10n }, { note: 'a\u0000b' }, { big: 'x'.repeat(300_000) }]) {
      const f = { ...base, evidence }
      expect(findingDocument(f)).toBeNull()
      const description = findingDescription(f, 'test')
      expect(description.length).toBeLessThan(5_000)
      expect(description).not.toContain('\\u0000')
      expect(restoreFinding(JSON.parse(description))).toBeNull()
    }
  })

  it('makes any text storable: no NUL, no lone surrogate, bounded', () => {
    expect(storableText('a\u0000b\uD800c', 100)).toBe('a\uFFFDb\uFFFDc')
    expect(storableText('😀', 100)).toBe('😀')
    expect(storableText('x'.repeat(50), 10)).toHaveLength(10)
  })
})
