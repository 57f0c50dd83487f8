import { z } from 'zod'
import { errorCatalogue, type ErrorCode, type FieldError } from '../../errors'

/**
 * Response shapes shared by the routes (OpenAPI as a contract, issue 14): the error body of
 * http/error-handler.ts per catalogue code, pages, times on the wire. Route schemas are zod
 * like the request schemas, so the handlers' return types are checked against them by the
 * type provider and the answers against them under test (zod-provider.ts).
 */

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/

/**
 * A time as the API writes it: an ISO-8601 string. Handlers may hand over a Date (stores return
 * them): JSON.stringify writes it as exactly that string.
 */
export const timestamp = z
  .custom<Date | string>((v) => v instanceof Date || (typeof v === 'string' && ISO_TIME.test(v)), 'an ISO-8601 time')
  .meta({ type: 'string', format: 'date-time' })

/** `{ items, total, limit, offset }`: every list of DESIGN §4 (http/pagination.ts). */
export function page<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), total: z.number().int(), limit: z.number().int(), offset: z.number().int() })
}

/** 204: `reply.status(204).send()`, no body. */
export const noContent = z.undefined().meta({ description: 'No Content' })

/** A record id as the API shows it. */
export const id = z.string()

export interface ErrorBody {
  error: { code: ErrorCode; message: string; fields?: FieldError[] | undefined }
}

const fieldError = z.object({ path: z.string(), message: z.string() })

export type ErrorSchema = z.ZodType<ErrorBody, ErrorBody>

/** The error body (http/error-handler.ts) with `code` one of `codes`. */
export function errorSchema(codes: readonly [ErrorCode, ...ErrorCode[]], description?: string): ErrorSchema {
  return z
    .object({
      error: z.object({
        code: z.enum(codes),
        message: z.string(),
        // VALIDATION_FAILED: every failing field of the request.
        fields: z.array(fieldError).optional(),
      }),
    })
    .meta({ description: description ?? codes.map((c) => `${c}: ${errorCatalogue[c].message}`).join('; ') })
}

type StatusOf<C extends ErrorCode> = (typeof errorCatalogue)[C]['status']
export type ErrorResponses<C extends ErrorCode> = { [S in StatusOf<C>]: ErrorSchema }

/** The error responses for these catalogue codes, one per HTTP status, each listing its codes. */
export function errorResponses<const C extends ErrorCode>(codes: readonly C[]): ErrorResponses<C> {
  const byStatus = new Map<number, [ErrorCode, ...ErrorCode[]]>()
  for (const code of codes) {
    const status = errorCatalogue[code].status
    const group = byStatus.get(status)
    if (group === undefined) byStatus.set(status, [code])
    else if (!group.includes(code)) group.push(code)
  }
  return Object.fromEntries([...byStatus].map(([status, group]) => [status, errorSchema(group)])) as ErrorResponses<C>
}

/**
 * What every route of the bearer-token scope may answer besides its own: 400 for a request
 * that does not validate, 401 without a valid token, 403 for a role the route does not allow
 * (http/auth.ts), 500 for a bug, 503 while the database does not answer.
 */
export const BEARER_ERRORS = ['VALIDATION_FAILED', 'UNAUTHENTICATED', 'FORBIDDEN', 'INTERNAL', 'STORAGE_UNAVAILABLE'] as const satisfies readonly ErrorCode[]

/** The bearer scope's errors plus the route's own. */
export function bearerErrors<const C extends ErrorCode = never>(...codes: C[]): ErrorResponses<C | (typeof BEARER_ERRORS)[number]> {
  return errorResponses<C | (typeof BEARER_ERRORS)[number]>([...BEARER_ERRORS, ...codes])
}

/**
 * fastify's own answers to a request body it cannot read, kept at their status by the error
 * handler with the code VALIDATION_FAILED (http/error-handler.ts): on every route that reads a
 * body (POST, PUT, PATCH).
 */
export const bodyErrors = {
  413: errorSchema(['VALIDATION_FAILED'], 'VALIDATION_FAILED: the request body is over the size limit'),
  415: errorSchema(['VALIDATION_FAILED'], 'VALIDATION_FAILED: a Content-Type the route does not read'),
}

/** Response headers for the document: a copy of `schema` whose response declares them. */
export function withHeaders<T extends z.ZodType>(schema: T, headers: Record<string, { description: string; type?: 'string' | 'integer' }>): T {
  const declared = Object.fromEntries(Object.entries(headers).map(([name, h]) => [name, { type: h.type ?? 'string', description: h.description }]))
  return schema.meta({ ...(schema.meta() ?? {}), headers: declared })
}

export const RETRY_AFTER = { 'Retry-After': { type: 'integer', description: 'seconds to wait before trying again' } } as const
