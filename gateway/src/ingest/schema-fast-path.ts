import type { z } from 'zod'

/**
 * A fast acceptance test compiled from a zod object schema of the payload contract
 * (contract/device-payloads.ts), for the hot path of decoding: it answers true only for a value
 * the schema accepts as it is — every field absent, null where nullable, or of its type within
 * its bounds — and then the value itself serves as the parsed fields (zod would return a copy
 * minus unknown keys, which the decoders never read). Anything else, and any value it does not
 * answer true for, goes through zod as before, so rejections and their messages are zod's.
 *
 * Why (issue 11 item 7, durable ingest throughput): zod allocates a result object and an issue
 * list per field for every reading — a fifth of everything the gateway allocated under
 * bench:ingest, and about 6 % of its CPU. The schema stays the one definition: this reads its
 * bounds from it at load time, and gives up (returns undefined: always zod) on any construct it
 * does not know, so a change to the contract can make decoding slower, never different.
 * gateway/test/ingest/schema-fast-path.test.ts checks it against zod on generated values.
 */
export type FastAcceptance = (value: Record<string, unknown>) => boolean

/** One field's test; undefined when the field uses something this compiler does not handle. */
type FieldTest = (v: unknown) => boolean

interface ZodDefLike {
  type: string
  innerType?: { _zod: { def: ZodDefLike } }
  checks?: Array<{ _zod: { def: { check: string; value?: unknown; inclusive?: boolean; format?: string } } }>
  entries?: Record<string, unknown>
  shape?: Record<string, { _zod: { def: ZodDefLike } }>
  catchall?: unknown
}

function numberTest(def: ZodDefLike): FieldTest | undefined {
  let min = -Infinity
  let minInclusive = true
  let max = Infinity
  let maxInclusive = true
  let integer = false
  for (const check of def.checks ?? []) {
    const c = check._zod.def
    if (c.check === 'greater_than' && typeof c.value === 'number') {
      min = c.value
      minInclusive = c.inclusive === true
    } else if (c.check === 'less_than' && typeof c.value === 'number') {
      max = c.value
      maxInclusive = c.inclusive === true
    } else if (c.check === 'number_format' && c.format === 'safeint') {
      integer = true
    } else {
      return undefined
    }
  }
  return (v) =>
    typeof v === 'number' &&
    Number.isFinite(v) &&
    (minInclusive ? v >= min : v > min) &&
    (maxInclusive ? v <= max : v < max) &&
    (!integer || Number.isSafeInteger(v))
}

function fieldTest(def: ZodDefLike): FieldTest | undefined {
  switch (def.type) {
    case 'optional': {
      const inner = def.innerType && fieldTest(def.innerType._zod.def)
      return inner && ((v) => v === undefined || inner(v))
    }
    case 'nullable': {
      const inner = def.innerType && fieldTest(def.innerType._zod.def)
      return inner && ((v) => v === null || inner(v))
    }
    case 'number':
      return numberTest(def)
    case 'boolean':
      return (def.checks ?? []).length === 0 ? (v) => typeof v === 'boolean' : undefined
    case 'enum': {
      if (def.entries === undefined || (def.checks ?? []).length > 0) return undefined
      const values = Object.values(def.entries)
      if (!values.every((x) => typeof x === 'string')) return undefined
      const allowed = new Set(values)
      return (v) => typeof v === 'string' && allowed.has(v)
    }
    default:
      return undefined
  }
}

/** The fast acceptance test of `schema`, or undefined when it uses a construct not handled here. */
export function compileFastAcceptance(schema: z.ZodObject): FastAcceptance | undefined {
  const def = (schema as unknown as { _zod: { def: ZodDefLike } })._zod.def
  // Unknown keys stripped (zod's default) is the only object mode handled: strict objects
  // reject them and passthrough ones keep them.
  if (def.type !== 'object' || def.shape === undefined || def.catchall !== undefined || (def.checks ?? []).length > 0) return undefined
  const fields: Array<[string, FieldTest]> = []
  for (const [key, field] of Object.entries(def.shape)) {
    const test = fieldTest(field._zod.def)
    if (test === undefined) return undefined
    fields.push([key, test])
  }
  return (value) => {
    for (let i = 0; i < fields.length; i++) {
      const [key, test] = fields[i]!
      if (!test(value[key])) return false
    }
    return true
  }
}
