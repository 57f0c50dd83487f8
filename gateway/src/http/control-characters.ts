import type { FastifyRequest, preValidationAsyncHookHandler } from 'fastify'
import { EgError, type FieldError } from '../errors'

/**
 * Control characters in request text are a 400 naming the field, on every route, before any
 * schema runs. NUL cannot be stored at all (PostgreSQL text refuses it: a 500 before this), and
 * the other C0 and C1 controls and DEL have no place in a name, an address, a note or a URL —
 * they forge log lines, break CSV reports and hide text on the board. Tab, line feed and
 * carriage return are allowed: notes and dispositions are multi-line text.
 *
 * Body, query string and path parameters are walked (object keys too), with an explicit stack
 * so a deeply nested body cannot overflow the call stack. The broker auth endpoints are left
 * alone: they answer every malformed call with their own "deny" (broker-auth-routes.ts).
 */
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/

/** Enough to name what is wrong without echoing a hostile body back in full. */
const MAX_REPORTED = 20

const UNCHECKED_PREFIX = '/api/v1/broker/'

const PARTS = [
  ['body', (r: FastifyRequest) => r.body],
  ['query', (r: FastifyRequest) => r.query],
  ['params', (r: FastifyRequest) => r.params],
] as const

/** A place in the walked value; the path is built from the parents only when reported. */
interface Place {
  value: unknown
  key: string | null
  parent: Place | null
}

function pathOf(place: Place, part: string, lastKey?: string): string {
  const keys: string[] = lastKey === undefined ? [] : [lastKey]
  for (let p: Place | null = place; p !== null; p = p.parent) if (p.key !== null) keys.push(p.key)
  return keys.length === 0 ? part : keys.reverse().join('.')
}

/** `contacts.0.name` for a nested field; the part's name for a bare string body. */
export function controlCharacterFields(value: unknown, part: string): FieldError[] {
  const fields: FieldError[] = []
  const stack: Place[] = [{ value, key: null, parent: null }]
  while (stack.length > 0 && fields.length < MAX_REPORTED) {
    const place = stack.pop()!
    const current = place.value
    if (typeof current === 'string') {
      if (CONTROL.test(current)) fields.push({ path: pathOf(place, part), message: 'control characters are not allowed' })
    } else if (ArrayBuffer.isView(current)) {
      // Raw bodies (buffers) are bytes, not text fields: their routes decode and check them.
      continue
    } else if (Array.isArray(current)) {
      for (let i = current.length - 1; i >= 0; i--) stack.push({ value: current[i], key: String(i), parent: place })
    } else if (current !== null && typeof current === 'object') {
      for (const [key, child] of Object.entries(current).reverse()) {
        if (CONTROL.test(key)) {
          fields.push({ path: pathOf(place, part, JSON.stringify(key)), message: 'control characters are not allowed in a field name' })
          continue
        }
        stack.push({ value: child, key, parent: place })
      }
    }
  }
  return fields
}

export const rejectControlCharacters: preValidationAsyncHookHandler = async (request) => {
  if (request.url.startsWith(UNCHECKED_PREFIX)) return
  const fields = PARTS.flatMap(([part, read]) => controlCharacterFields(read(request), part))
  if (fields.length > 0) throw new EgError('VALIDATION_FAILED', 'control characters in the request', { fields })
}
