import type { FastifySchemaCompiler, FastifyTypeProvider } from 'fastify'
import { z } from 'zod'
import { EgError, type FieldError } from '../errors.js'

/**
 * zod 4 as fastify's schema language, in ~60 lines rather than a dependency: routes put zod
 * schemas in `schema.body/querystring/params`, handlers get the parsed (coerced, defaulted)
 * types through this type provider, and /docs gets JSON Schema from z.toJSONSchema.
 *
 * Other modules use it the same way: `app.withTypeProvider<ZodTypeProvider>().get(...)`.
 */
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

function toJsonSchema(schema: unknown): unknown {
  if (!(schema instanceof z.ZodType)) return schema
  // io: 'input' documents what clients send (before defaults and coercion); 'any' keeps the
  // docs building when a schema uses a transform JSON Schema cannot express.
  const json = z.toJSONSchema(schema, { target: 'openapi-3.0', io: 'input', unrepresentable: 'any' }) as Record<string, unknown>
  delete json.$schema
  return json
}

/** @fastify/swagger `transform`: the route's zod schemas become JSON Schema for /docs. */
export function zodSwaggerTransform({ schema, url }: { schema: unknown; url: string }): { schema: Record<string, unknown>; url: string } {
  if (schema === undefined || schema === null) return { schema: {}, url }
  const transformed: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(schema as Record<string, unknown>)) {
    if (key === 'response' && value !== null && typeof value === 'object') {
      transformed.response = Object.fromEntries(Object.entries(value).map(([status, s]) => [status, toJsonSchema(s)]))
    } else {
      transformed[key] = key === 'body' || key === 'querystring' || key === 'params' || key === 'headers' ? toJsonSchema(value) : value
    }
  }
  return { schema: transformed, url }
}
