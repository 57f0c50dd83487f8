import { withIndex } from './issues'
import type { DecodeLimits, Rejection } from './types'

/**
 * Bounds on an event's extra fields (DESIGN §3 event `...`), the one part of a device payload
 * that is stored as the device sent it. Unbounded, one hostile event (a field nested 8,000
 * levels deep in 16 KB) made JSON.stringify overflow the stack in the writer — failing every
 * batch it was in — and again in the alert transaction that quotes it as evidence.
 *
 * The event itself is kept: an SOS with junk in an extra field is still an SOS. Only the detail
 * is replaced by a note saying why, and the message is dead-lettered with the reason, so the
 * operator sees exactly what was dropped.
 */
export type DetailVerdict = { ok: true } | { ok: false; rejection: Rejection; note: Record<string, unknown> }

/**
 * Depth of a parsed JSON value, walked with an explicit stack (the value may be deeper than the
 * call stack allows); stops as soon as `limit` is exceeded, so its cost is bounded by the bound.
 */
export function exceedsDepth(value: unknown, limit: number): boolean {
  const stack: Array<{ v: unknown; d: number }> = [{ v: value, d: 0 }]
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const { v, d } = top
    if (v === null || typeof v !== 'object') continue
    if (d + 1 > limit) return true
    for (const child of Array.isArray(v) ? v : Object.values(v as Record<string, unknown>)) {
      if (child !== null && typeof child === 'object') stack.push({ v: child, d: d + 1 })
    }
  }
  return false
}

export function checkDetail(detail: Record<string, unknown>, limits: DecodeLimits, index: number | undefined): DetailVerdict {
  // The detail object itself is level 1: {"a": {"b": 1}} has depth 2.
  if (exceedsDepth(detail, limits.maxDetailDepth)) {
    return {
      ok: false,
      rejection: withIndex('too_deep', `detail: nested deeper than ${limits.maxDetailDepth} levels; dropped, the event was kept`, index),
      note: { dropped: 'too_deep' },
    }
  }
  // Safe now: the depth is bounded, so stringify cannot overflow the stack.
  const bytes = Buffer.byteLength(JSON.stringify(detail))
  if (bytes > limits.maxDetailBytes) {
    return {
      ok: false,
      rejection: withIndex('too_large', `detail: ${bytes} bytes of extra fields, limit ${limits.maxDetailBytes}; dropped, the event was kept`, index),
      note: { dropped: 'too_large', bytes },
    }
  }
  return { ok: true }
}
