import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { cameraReadingSchema, watchReadingSchema } from '../../../contract/device-payloads'
import { compileFastAcceptance } from '../../src/ingest/schema-fast-path'

/**
 * The fast acceptance test must say yes exactly when zod accepts the value (a yes zod would not
 * give stores a value the contract forbids; a no zod would not give only costs speed, but the
 * fast path exists to say yes to good readings, so both directions are checked).
 */
function boundaryNumbers(): fc.Arbitrary<number> {
  const edges = [-180, -90, -0, 0, 20, 30, 45, 50, 100, 180, 200, 250, 260, 50_000, 2 ** 53, -(2 ** 53)]
  return fc.oneof(
    fc.constantFrom(...edges),
    fc.constantFrom(...edges).map((e) => e + 1e-9),
    fc.constantFrom(...edges).map((e) => e - 1e-9),
    fc.constantFrom(Number.NaN, Infinity, -Infinity, Number.MAX_VALUE, Number.MIN_VALUE),
    fc.integer({ min: -300, max: 60_000 }),
    fc.double({ min: -300, max: 300, noNaN: true }),
  )
}

const fieldValue = fc.oneof(
  { weight: 6, arbitrary: boundaryNumbers() },
  { weight: 1, arbitrary: fc.constantFrom(null, undefined, true, false, 'gps', 'wifi', 'lbs', 'GPS', '', '72', [], {}, [72]) },
)

function readingLike(keys: readonly string[]): fc.Arbitrary<Record<string, unknown>> {
  return fc.dictionary(fc.constantFrom(...keys, 'extra', 'ts', '__proto__'), fieldValue, { maxKeys: keys.length + 2 })
}

describe('fast acceptance compiled from the payload schemas', () => {
  for (const [name, schema] of [
    ['watch reading', watchReadingSchema],
    ['camera reading', cameraReadingSchema],
  ] as const) {
    it(`agrees with zod on generated ${name}s`, () => {
      const accepts = compileFastAcceptance(schema)
      expect(accepts).toBeDefined()
      let accepted = 0
      fc.assert(
        fc.property(readingLike(Object.keys(schema.shape)), (value) => {
          const verdict = accepts!(value)
          if (verdict) accepted++
          expect(verdict).toBe(schema.safeParse(value).success)
        }),
        { numRuns: 20_000 },
      )
      // The generator reaches both answers (not a test of an always-no function).
      expect(accepted).toBeGreaterThan(100)
    })
  }

  it('takes a typical reading as it is', () => {
    const accepts = compileFastAcceptance(watchReadingSchema)!
    expect(accepts({ ts: 1, lat: 31.23, lon: 121.47, acc: 12, src: 'gps', hr: 72, bat: 80, worn: true, vendorField: { x: 1 } })).toBe(true)
    expect(accepts({ lat: 31.23, lon: 181 })).toBe(false)
    expect(accepts({ steps: 10.5 })).toBe(false)
    expect(accepts({ src: 'GPS' })).toBe(false)
    expect(accepts({ lat: null, hr: undefined })).toBe(true)
  })

  it('gives up (always zod) on constructs it does not compile, so a contract change cannot loosen validation', () => {
    expect(compileFastAcceptance(z.object({ id: z.string() }))).toBeUndefined()
    expect(compileFastAcceptance(z.object({ n: z.number().multipleOf(5) }))).toBeUndefined()
    expect(compileFastAcceptance(z.strictObject({ n: z.number() }))).toBeUndefined()
    expect(compileFastAcceptance(z.looseObject({ n: z.number() }))).toBeUndefined()
    expect(compileFastAcceptance(z.object({ n: z.number().refine((x) => x !== 3) }))).toBeUndefined()
    expect(compileFastAcceptance(z.object({ n: z.number().positive() }))).toBeDefined()
  })
})
