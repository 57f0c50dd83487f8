import type { z } from 'zod'
import type { RejectReason, Rejection } from './types'

/**
 * Turns the first zod issue into a Rejection. Called only on failure, so message strings are
 * never built for valid input. The split of DESIGN §3 "bad input" into reasons:
 * the right JSON type with a value outside its domain (a bound, an enum, a fraction where an
 * integer is due) is `out_of_range`; a missing field or the wrong JSON type is `bad_shape`.
 */
export function rejectionFromIssues(error: z.ZodError, record: Record<string, unknown>, index: number | undefined): Rejection {
  const issue = error.issues[0]
  if (issue === undefined) return withIndex('bad_shape', 'invalid record', index)
  const field = issue.path.length === 0 ? 'record' : issue.path.map(String).join('.')
  const value = issue.path.length === 0 ? record : record[String(issue.path[0])]
  // Checked first: zod reports a missing enum field as a bad value, but missing is a shape error.
  if (value === undefined) return withIndex('bad_shape', `${field}: required`, index)
  switch (issue.code) {
    case 'too_big':
      return withIndex(
        'out_of_range',
        issue.origin === 'string' ? `${field}: at most ${issue.maximum} characters` : `${field}: must be ≤ ${issue.maximum}`,
        index,
      )
    case 'too_small':
      return withIndex(
        'out_of_range',
        issue.origin === 'string' ? `${field}: must not be empty` : `${field}: must be ≥ ${issue.minimum}`,
        index,
      )
    case 'invalid_value':
      return withIndex('out_of_range', `${field}: must be one of ${issue.values.map(String).join('|')}`, index)
    case 'invalid_type':
      // A number that fails a number schema is a fraction where an integer is due, or ±Infinity
      // (JSON.parse turns 1e400 into Infinity): a value problem, not a shape problem.
      if (typeof value === 'number' && (issue.expected === 'number' || issue.expected === 'int')) {
        return withIndex('out_of_range', issue.expected === 'int' ? `${field}: must be an integer` : `${field}: must be finite`, index)
      }
      return withIndex('bad_shape', `${field}: expected ${issue.expected}, got ${jsonType(value)}`, index)
    default:
      return withIndex('bad_shape', `${field}: ${issue.message}`, index)
  }
}

/** Builds a rejection; `index` is left out for single objects so the record stays minimal. */
export function withIndex(reason: RejectReason, message: string, index: number | undefined): Rejection {
  return index === undefined ? { reason, message } : { reason, message, index }
}

export function jsonType(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'array'
  return typeof value
}
