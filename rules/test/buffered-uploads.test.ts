/**
 * DESIGN §5: silence is measured by arrival, and buffered, batched and late uploads inside the
 * lateness bound give exactly the findings of in-order delivery. The week (power-save.ts) has
 * no true silence; each property uploads it the way real watches do and compares with the
 * same week delivered live, clock ticks and all.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { RuleInput } from '../src/index'
import { HOUR, MIN, at, elder, makeCtx } from './support/world'
import { comparable, drive, finalEvidence, live, powerSaveWeek, WEEK_START, type Upload } from './support/power-save'

const ctx = makeCtx({ elders: [elder('e1')] })
const week = powerSaveWeek()
const reference = drive(live(week), ctx)
const referenceKeys = comparable(reference)

const byDevice = (id: string) => week.filter((i) => i.deviceId === id)

/** A device that uploads everything recorded since its last upload every `periodMin`, from `phaseMin`. */
function periodic(inputs: RuleInput[], periodMin: number, phaseMin: number, order: (list: RuleInput[]) => RuleInput[] = (l) => l): Upload[] {
  const uploads: Upload[] = []
  let pending: RuleInput[] = []
  let t = WEEK_START + phaseMin * MIN
  for (const input of inputs) {
    while (input.ts > t) {
      if (pending.length > 0) uploads.push({ at: t, inputs: order(pending) })
      pending = []
      t += periodMin * MIN
    }
    pending.push(input)
  }
  if (pending.length > 0) uploads.push({ at: t, inputs: order(pending) })
  return uploads
}

/** Every upload cut into several MQTT messages (a watch sends at most N records per message). */
function cut(uploads: Upload[], size: number): Upload[] {
  return uploads.flatMap((u) => {
    const parts: Upload[] = []
    for (let i = 0; i < u.inputs.length; i += size) parts.push({ at: u.at, inputs: u.inputs.slice(i, i + size) })
    return parts
  })
}

function shuffled(seed: number): (list: RuleInput[]) => RuleInput[] {
  let s = seed >>> 0 || 1
  return (list) => {
    const out = [...list]
    for (let i = out.length - 1; i > 0; i--) {
      s = (Math.imul(s, 1_103_515_245) + 12_345) >>> 0
      const j = s % (i + 1)
      ;[out[i], out[j]] = [out[j]!, out[i]!]
    }
    return out
  }
}

const silence = (keys: string[]) => keys.filter((k) => k.startsWith('device.offline') || k.includes('device.removed|e1|silent'))

describe('evidence as the visit stands', () => {
  it('a counted visit refreshes its finding\'s evidence while it lasts and at its end; refreshes are not findings', () => {
    const repeat = reference.filter((f) => f.dedupKey === reference.find((g) => g.rule === 'venue.repeat')!.dedupKey)
    const dwell = (f: (typeof repeat)[number]) => ((f.evidence as { visits: Array<{ dwellMin: number }> }).visits.at(-1)!.dwellMin)
    // Fired when the second lecture reached 20 min; then 30, 40, 50 (the last fix inside).
    expect(repeat.map((f) => [f.refresh === true, dwell(f)])).toEqual([[false, 20], [true, 30], [true, 40], [true, 50]])
    expect(repeat.slice(1).every((f) => f.ts >= repeat[0]!.ts)).toBe(true)
  })
})

describe('buffered uploads (silence by arrival)', () => {
  it('the live week shows every rule it was built for and no silence', () => {
    const rules = new Set(reference.map((f) => `${f.rule}:${f.level}`))
    for (const r of ['venue.repeat:yellow', 'venue.repeat:red', 'money.bank_after_venue:red', 'device.removed:orange', 'home.strangers:yellow', 'absence.overnight:orange', 'absence.trip:red', 'safety.sos:red']) {
      expect(rules).toContain(r)
    }
    expect(silence(referenceKeys)).toEqual([])
  })

  it('a late fix replayed into an absence already reported brings its evidence up to where the live run has it (watch every 22 min, camera every 23)', () => {
    // Found by the property below: the camera's 06:13 input fired absence.trip with the 05:50 fix
    // before the watch's upload carrying the 06:00 fix came; the replay now refreshes it.
    const found = drive([...periodic(byDevice('w-e1'), 22, 0), ...periodic(byDevice('c-e1'), 23, 807875386 % 23)], ctx)
    expect(comparable(found)).toEqual(referenceKeys)
    expect(finalEvidence(found)).toEqual(finalEvidence(reference))
  })

  it('property: a power-saving watch (fix every 10 min, upload every 5–30 min) and a buffering camera give the live findings, no silence alarm', () => {
    fc.assert(
      fc.property(fc.integer({ min: 5, max: 29 }), fc.nat(), fc.integer({ min: 5, max: 29 }), fc.nat(), (wp, wphase, cp, cphase) => {
        const uploads = [...periodic(byDevice('w-e1'), wp, wphase % wp), ...periodic(byDevice('c-e1'), cp, cphase % cp)]
        const found = drive(uploads, ctx)
        expect(comparable(found)).toEqual(referenceKeys)
        // And every alert's evidence ends as the live run's does (a visit's full dwell included).
        expect(finalEvidence(found)).toEqual(finalEvidence(reference))
      }),
      { numRuns: 12 },
    )
  })

  it('property: uploads in any order inside each batch, cut into any number of messages', () => {
    fc.assert(
      fc.property(fc.integer({ min: 5, max: 29 }), fc.nat(), fc.integer({ min: 1, max: 7 }), fc.nat(), (wp, phase, size, seed) => {
        const uploads = cut([...periodic(byDevice('w-e1'), wp, phase % wp, shuffled(seed)), ...live(byDevice('c-e1'))], size)
        expect(comparable(drive(uploads, ctx))).toEqual(referenceKeys)
      }),
      { numRuns: 12 },
    )
  })

  it('property: a week delivered 0–4 h late (every upload delayed by its own amount, order kept per device) gives the live findings', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 4 * 60 }), { minLength: 1, maxLength: 50 }), fc.integer({ min: 10, max: 29 }), (delays, wp) => {
        let previous = 0
        // A delayed upload cannot overtake the one before it: one device, one link.
        const uploads = periodic(byDevice('w-e1'), wp, 0).map((u, i) => {
          const arrival = Math.max(previous, u.at + delays[i % delays.length]! * MIN)
          previous = arrival
          return { at: arrival, inputs: u.inputs }
        })
        const found = comparable(drive([...uploads, ...live(byDevice('c-e1'))], ctx))
        // Silence is about delivery: a gap between two delayed uploads longer than the limit is
        // silence. Everything else must match, and nothing silent while the watch kept coming.
        expect(found.filter((k) => !silence([k]).length)).toEqual(referenceKeys)
        const gaps = uploads.slice(1).map((u, i) => u.at - uploads[i]!.at)
        if (Math.max(...gaps) < 30 * MIN) expect(silence(found)).toEqual([])
      }),
      { numRuns: 10 },
    )
  })

  it('a dead link at home that flushes 4 h later: the live findings plus one device.offline for the watch, no device.removed', () => {
    const dead = (i: RuleInput) => i.ts >= at(1, 20) && i.ts < at(2, 0)
    const watch = byDevice('w-e1')
    const uploads: Upload[] = [
      ...live(watch.filter((i) => !dead(i))),
      { at: at(2, 0, 1), inputs: watch.filter(dead) },
      ...live(byDevice('c-e1')),
    ]
    const found = drive(uploads, ctx)
    const extra = comparable(found).filter((k) => !referenceKeys.includes(k))
    expect(extra).toEqual([`device.offline|e1|w-e1|newest ${new Date(at(1, 19, 50)).toISOString()}`])
    const offline = found.find((f) => f.rule === 'device.offline')!
    expect(offline.ts).toBe(at(1, 19, 50) + 2 * HOUR)
    expect(found.filter((f) => f.rule === 'device.removed' && (f.evidence as { reason?: string }).reason === 'silent')).toEqual([])
  })

  it('a watch that dies while away is silent 30 min after its LAST UPLOAD, not after its newest fix', () => {
    // Power saving on the tour: fixes every 10 min, uploads every 25; the last upload at 10:25.
    const tour = byDevice('w-e1').filter((i) => i.ts >= at(5, 9) && i.ts <= at(5, 10, 20))
    const before = byDevice('w-e1').filter((i) => i.ts < at(5, 9))
    const uploads = [...live(before), ...periodic(tour, 25, 0).filter((u) => u.at <= at(5, 10, 25)), ...live(byDevice('c-e1').filter((i) => i.ts < at(5, 12)))]
    const found = drive(uploads, ctx, 5 * MIN, at(5, 12))
    const silent = found.filter((f) => f.rule === 'device.removed' && (f.evidence as { reason?: string }).reason === 'silent')
    expect(silent).toHaveLength(1)
    const last = Math.max(...uploads.filter((u) => u.inputs.some((i) => i.deviceId === 'w-e1')).map((u) => u.at))
    expect(silent[0]!.ts).toBe(last + 30 * MIN)
    expect((silent[0]!.evidence as { newestEventAt: string }).newestEventAt).toBe(new Date(at(5, 10, 20)).toISOString())
  })
})
