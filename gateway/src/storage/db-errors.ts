/**
 * Why a statement failed, in the one distinction that decides what to do next:
 *
 * - `data`: the rows themselves cannot be stored — retrying the same statement fails the same
 *   way for ever, so the caller must isolate the offending rows (dead letters, parked findings)
 *   and let the rest through. JavaScript errors thrown while preparing the statement (a
 *   RangeError from JSON.stringify of a hostile structure, a TypeError from an unexpected
 *   shape) and the SQLSTATE classes that describe the values: 22 data exception (out of range,
 *   invalid text, bad JSON), 23 integrity violation (not-null, check, foreign key), 54 program
 *   limit exceeded (statement too complex, too deep), 42804 datatype mismatch.
 * - `transient`: everything else — connection lost or terminated (no SQLSTATE, or class 08),
 *   server shutting down or restarting (57P01–57P03), out of resources (53), serialization
 *   failure or deadlock (40001, 40P01), a lock or statement timeout (55P03, 57014). The same
 *   statement may well succeed later; giving up would lose accepted data.
 *
 * Unknown failures count as transient on purpose: wrongly retrying costs time and shows in
 * /healthz; wrongly discarding loses an SOS.
 */
export type DbErrorKind = 'data' | 'transient'

const DATA_CLASSES = new Set(['22', '23', '54'])
const DATA_STATES = new Set(['42804'])

export function sqlStateOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined
}

export function classifyDbError(err: unknown): DbErrorKind {
  if (err instanceof RangeError || err instanceof TypeError || err instanceof SyntaxError) return 'data'
  const state = sqlStateOf(err)
  if (state === undefined) return 'transient'
  return DATA_CLASSES.has(state.slice(0, 2)) || DATA_STATES.has(state) ? 'data' : 'transient'
}

/** A short, bounded description for logs, dead letters and health: "22P02 invalid input syntax…". */
export function describeDbError(err: unknown, maxLength = 200): string {
  const e = err as { message?: unknown; name?: unknown } | null
  const message = typeof e?.message === 'string' ? e.message : String(err)
  const state = sqlStateOf(err)
  const head = state ?? (typeof e?.name === 'string' ? e.name : 'Error')
  const text = `${head}: ${message}`
  return text.length > maxLength ? `${text.slice(0, maxLength - 1)}…` : text
}
