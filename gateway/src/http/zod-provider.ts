import { STATUS_CODES } from 'node:http'
import type {
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  FastifySchema,
  FastifySchemaCompiler,
  FastifySerializerCompiler,
  FastifyTypeProvider,
} from 'fastify'
import { z } from 'zod'
import { EgError, type FieldError } from '../errors'

/**
 * zod 4 as fastify's schema language, rather than a dependency: routes put zod schemas in
 * `schema.body/querystring/params` and `schema.response`, handlers get the parsed (coerced,
 * defaulted) request types and are held to the response types through this type provider, and
 * /docs gets JSON Schema from z.toJSONSchema.
 *
 * Other modules use it the same way: `app.withTypeProvider<ZodTypeProvider>().get(...)`.
 *
 * Response schemas describe, they do not rewrite: the serializer is JSON.stringify, exactly
 * what fastify uses for a route without one, so a field a schema forgot still reaches the
 * client. Under test (vitest, or EG_CHECK_RESPONSES=1) every answer is held to its route's
 * schema instead — the JSON as sent must parse and must lose nothing in parsing (no field the
 * schema does not name), and its status must be one the route declares — so the document at
 * /docs cannot drift from what the handlers send.
 */
declare module 'fastify' {
  interface FastifySchema {
    /**
     * For /docs only, never validated by fastify: request parts a route reads itself (a signed
     * raw body, a broker's form or query fields) and a documented path for a wildcard route.
     */
    docs?: {
      url?: string
      params?: z.ZodType
      querystring?: z.ZodType
      body?: { schema: z.ZodType; contentTypes: readonly string[]; description?: string }
    }
  }
}

export interface ZodTypeProvider extends FastifyTypeProvider {
  validator: this['schema'] extends z.ZodType ? z.output<this['schema']> : unknown
  serializer: this['schema'] extends z.ZodType ? z.input<this['schema']> : unknown
}

/** `home.lat`, `contacts.0.phone`; an issue about the whole body is named after its part. */
export function issuesToFields(error: z.ZodError, part: string): FieldError[] {
  return error.issues.map((issue) => ({
    path: issue.path.length === 0 ? part : issue.path.map(String).join('.'),
    message: issue.message,
  }))
}

const PART_NAMES: Record<string, string> = { body: 'body', querystring: 'query', params: 'params', headers: 'headers' }

/**
 * Parses with zod and reports every failing field at once (zod does not stop at the first),
 * as one EgError VALIDATION_FAILED. fastify passes an Error returned here straight to the
 * error handler.
 */
export const zodValidatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) => {
  if (!(schema instanceof z.ZodType)) {
    throw new Error(`route schema for ${httpPart ?? 'a request part'} must be a zod schema`)
  }
  const part = PART_NAMES[httpPart ?? 'body'] ?? 'body'
  return (data: unknown) => {
    const result = schema.safeParse(data)
    if (result.success) return { value: result.data }
    return { error: new EgError('VALIDATION_FAILED', `invalid ${part}`, { fields: issuesToFields(result.error, part) }) }
  }
}

/** Under test, answers are checked against their schemas (see the top of this file). */
export const CHECK_RESPONSES =
  process.env.EG_CHECK_RESPONSES === '1' || (process.env.EG_CHECK_RESPONSES !== '0' && process.env.VITEST !== undefined)

/** Where two JSON values first differ (a path), or undefined when they are equal. */
function firstDifference(a: unknown, b: unknown, path: string): string | undefined {
  if (Object.is(a, b)) return undefined
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || Array.isArray(a) !== Array.isArray(b)) return path || '(root)'
  const keys = new Set([...Object.keys(a), ...Object.keys(b)])
  for (const key of keys) {
    const found = firstDifference((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key], path === '' ? key : `${path}.${key}`)
    if (found !== undefined) return found
  }
  return undefined
}

function responseMismatch(message: string): Error {
  // The error handler answers 500 and logs at a level tests silence: say it where a test run shows it.
  process.stderr.write(`[response check] ${message}\n`)
  return new Error(message)
}

/**
 * fastify's serializer for routes with a response schema: JSON.stringify, as without one. Under
 * test it first checks the JSON against the schema and throws on a mismatch (→ 500).
 */
export const zodSerializerCompiler: FastifySerializerCompiler<unknown> = ({ schema, method, url, httpStatus }) => {
  if (!CHECK_RESPONSES || !(schema instanceof z.ZodType)) return (data) => JSON.stringify(data)
  const where = `${method} ${url} ${httpStatus ?? ''}`.trim()
  return (data) => {
    const json = JSON.stringify(data)
    const wire: unknown = json === undefined ? undefined : JSON.parse(json)
    const result = schema.safeParse(wire)
    if (!result.success) {
      const issues = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')
      throw responseMismatch(`${where}: the answer does not match its response schema: ${issues}`)
    }
    const lost = firstDifference(result.data, wire, '')
    if (lost !== undefined) throw responseMismatch(`${where}: the response schema does not describe ${lost} of the answer`)
    return json as string
  }
}

/** Under test: an answer with a status its route does not declare becomes a 500 that says so. */
async function checkDeclaredStatus(request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> {
  const response = request.routeOptions.schema?.response as Record<string, unknown> | undefined
  if (response === undefined) return payload
  const status = String(reply.statusCode)
  if (status in response || `${status[0] ?? ''}xx` in response || 'default' in response) return payload
  const message = `${request.method} ${request.routeOptions.url ?? request.url}: answered ${status}, which its schema.response does not declare`
  responseMismatch(message)
  reply.code(500).header('content-type', 'application/json; charset=utf-8').removeHeader('content-length')
  return JSON.stringify({ error: { code: 'INTERNAL', message } })
}

const STATUS_CHECKED = 'egResponseStatusChecked'

/**
 * zod for a fastify scope: request validation, response serialization (and, under test, the
 * response checks). The app sets it once; route plugins that must also work on their own (a
 * test's bare fastify) set it on their scope too.
 */
export function useZodSchemas(app: FastifyInstance): void {
  app.setValidatorCompiler(zodValidatorCompiler)
  app.setSerializerCompiler(zodSerializerCompiler)
  // Once per request path: a plugin inside the app that sets it again adds no second check.
  if (CHECK_RESPONSES && !app.hasDecorator(STATUS_CHECKED)) {
    app.decorate(STATUS_CHECKED, true)
    app.addHook('onSend', checkDeclaredStatus)
  }
}

type JsonObject = Record<string, unknown>

/** Response objects stay open in the document: a client must ignore a field it does not know. */
function openObjects(json: unknown): unknown {
  if (Array.isArray(json)) return json.map(openObjects)
  if (json === null || typeof json !== 'object') return json
  const out: JsonObject = {}
  for (const [key, value] of Object.entries(json)) {
    if (key === 'additionalProperties' && value === false) continue
    out[key] = openObjects(value)
  }
  return out
}

function toJsonSchema(schema: unknown, io: 'input' | 'output' = 'input'): unknown {
  if (!(schema instanceof z.ZodType)) return schema
  // io: 'input' documents what clients send (before defaults and coercion), 'output' what the
  // gateway answers; 'any' keeps the docs building when a schema uses a transform JSON Schema
  // cannot express.
  const json = z.toJSONSchema(schema, { target: 'openapi-3.0', io, unrepresentable: 'any' }) as JsonObject
  delete json.$schema
  return io === 'output' ? openObjects(json) : json
}

/**
 * One `schema.response` entry for @fastify/swagger: a zod schema (JSON; its meta description is
 * the response's, `headers` in its meta the response headers), `{ description, content }` with
 * zod schemas per media type, or `noContent`.
 */
function responseJson(status: string, entry: unknown): unknown {
  const fallback = STATUS_CODES[Number(status)] ?? status
  if (entry instanceof z.ZodType) {
    if (entry instanceof z.ZodUndefined) return { type: 'null', description: entry.description ?? fallback }
    const { description, headers, ...schema } = toJsonSchema(entry, 'output') as JsonObject
    return { description: description ?? fallback, ...(headers === undefined ? {} : { headers }), content: { 'application/json': { schema } } }
  }
  if (entry !== null && typeof entry === 'object' && 'content' in entry) {
    const { content, description, ...rest } = entry as { content: Record<string, { schema: unknown }>; description?: string }
    return {
      ...rest,
      description: description ?? fallback,
      content: Object.fromEntries(Object.entries(content).map(([type, media]) => [type, { ...media, schema: toJsonSchema(media.schema, 'output') }])),
    }
  }
  return entry
}

/** @fastify/swagger `transform`: the route's zod schemas become JSON Schema for /docs. */
export function zodSwaggerTransform({ schema, url }: { schema: unknown; url: string }): { schema: Record<string, unknown>; url: string } {
  if (schema === undefined || schema === null) return { schema: {}, url }
  const transformed: Record<string, unknown> = {}
  let documentedUrl = url
  for (const [key, value] of Object.entries(schema as Record<string, unknown>)) {
    if (key === 'response' && value !== null && typeof value === 'object') {
      transformed.response = Object.fromEntries(Object.entries(value).map(([status, s]) => [status, responseJson(status, s)]))
    } else if (key === 'docs' && value !== null && typeof value === 'object') {
      const docs = value as NonNullable<FastifySchema['docs']>
      if (docs.url !== undefined) documentedUrl = docs.url
      if (docs.params !== undefined) transformed.params = toJsonSchema(docs.params)
      if (docs.querystring !== undefined) transformed.querystring = toJsonSchema(docs.querystring)
      if (docs.body !== undefined) {
        const body = toJsonSchema(docs.body.schema) as JsonObject
        transformed.body = docs.body.description === undefined ? body : { ...body, description: docs.body.description }
        transformed.consumes = [...docs.body.contentTypes]
      }
    } else if (!(key in transformed)) {
      transformed[key] = key === 'body' || key === 'querystring' || key === 'params' || key === 'headers' ? toJsonSchema(value) : value
    }
  }
  return { schema: transformed, url: documentedUrl }
}
