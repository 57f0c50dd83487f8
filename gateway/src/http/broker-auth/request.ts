import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'

/**
 * Reading a broker's auth request in every shape the brokers send by default (issue 13,
 * item 2), into one flat map of string fields:
 *
 * - EMQX 5 (emqx_auth_http_utils:generate_request): POST with the configured body as JSON
 *   (default content type) or form-urlencoded; GET with the body's fields in the query string.
 * - mosquitto-go-auth (backends/http.go): POST (default), PUT or GET carrying a JSON body
 *   (`http_params_mode json`, the default — yes, a GET with a body), or a POST form
 *   (`http_params_mode form`).
 *
 * Parameters in the configured URL (`?secret=`, `?clientid=${clientid}`) join the fields. A
 * request that cannot be read — unknown content type, broken JSON, a field given twice with
 * two values, too large — is a `RequestProblem`, which every endpoint answers with deny.
 */
export const BROKER_SECRET_HEADER = 'x-eldergate-broker-secret'

/** URL parameters that configure the answer, never a broker field. */
const CONTROL_PARAMS = new Set(['secret', 'response_mode'])
/** Auth requests are a handful of short fields; anything bigger is not one. */
export const BROKER_BODY_LIMIT = 16 * 1024

export type BrokerFields = Record<string, string>
export type RequestProblem = 'unsupported_content_type' | 'malformed_body' | 'conflicting_fields' | 'body_too_large'
export type DecodedRequest = { ok: true; fields: BrokerFields } | { ok: false; problem: RequestProblem }

/**
 * Prepares an encapsulated scope for broker endpoints: every body arrives as a string for
 * decodeBrokerRequest (no parser of fastify's can answer 400/415 first), and every error —
 * a body too large, a malformed Content-Type header — goes to `onError`, which answers deny.
 */
export function prepareBrokerScope(app: FastifyInstance, onError: (request: FastifyRequest, reply: FastifyReply, problem: RequestProblem) => FastifyReply): void {
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: BROKER_BODY_LIMIT }, (_request, body, done) => done(null, body))
  app.setErrorHandler((err: Error & { statusCode?: number }, request, reply) => {
    const problem: RequestProblem = err.statusCode === 413 ? 'body_too_large' : err.statusCode === 415 ? 'unsupported_content_type' : 'malformed_body'
    request.log.warn({ err: err.message, url: request.url.split('?')[0] }, 'broker auth request unreadable: answered deny')
    return onError(request, reply, problem)
  })
}

/** The shared secret as presented: header, HTTP Basic password, or `?secret=` (go-auth cannot send headers). */
export function presentedSecret(request: FastifyRequest): string | undefined {
  const header = request.headers[BROKER_SECRET_HEADER]
  if (typeof header === 'string') return header
  const authorization = request.headers.authorization
  if (authorization?.startsWith('Basic ')) {
    const decoded = Buffer.from(authorization.slice(6), 'base64').toString('utf8')
    const colon = decoded.indexOf(':')
    return colon === -1 ? undefined : decoded.slice(colon + 1)
  }
  const secret = queryOf(request).secret
  return typeof secret === 'string' ? secret : undefined
}

/** `?response_mode=text`: mosquitto-go-auth's text mode wants the body "ok", not JSON. */
export function responseMode(request: FastifyRequest): 'json' | 'text' {
  return queryOf(request).response_mode === 'text' ? 'text' : 'json'
}

export async function decodeBrokerRequest(request: FastifyRequest): Promise<DecodedRequest> {
  const fields: BrokerFields = {}
  for (const [key, value] of Object.entries(queryOf(request))) {
    if (CONTROL_PARAMS.has(key)) continue
    if (typeof value !== 'string') return { ok: false, problem: 'conflicting_fields' }
    fields[key] = value
  }
  const body = await bodyText(request)
  if (body === 'too_large') return { ok: false, problem: 'body_too_large' }
  if (body === undefined || body === '') return { ok: true, fields }
  const parsed = parseBody(request.headers['content-type'], body)
  if (!parsed.ok) return parsed
  for (const [key, value] of Object.entries(parsed.fields)) {
    if (fields[key] !== undefined && fields[key] !== value) return { ok: false, problem: 'conflicting_fields' }
    fields[key] = value
  }
  return { ok: true, fields }
}

function parseBody(contentType: string | undefined, body: string): DecodedRequest {
  const mediaType = (contentType ?? '').split(';')[0]?.trim().toLowerCase()
  if (mediaType === 'application/json') {
    let value: unknown
    try {
      value = JSON.parse(body)
    } catch {
      return { ok: false, problem: 'malformed_body' }
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, problem: 'malformed_body' }
    const fields: BrokerFields = {}
    // Scalars only: go-auth sends `acc` as a number; nested template values are not ours to read.
    for (const [key, v] of Object.entries(value)) {
      if (typeof v === 'string') fields[key] = v
      else if (typeof v === 'number' || typeof v === 'boolean') fields[key] = String(v)
    }
    return { ok: true, fields }
  }
  if (mediaType === 'application/x-www-form-urlencoded') {
    const fields: BrokerFields = {}
    for (const [key, value] of new URLSearchParams(body)) {
      if (fields[key] !== undefined) return { ok: false, problem: 'conflicting_fields' }
      fields[key] = value
    }
    return { ok: true, fields }
  }
  return { ok: false, problem: 'unsupported_content_type' }
}

/** The body as text: parsed by the scope's catch-all parser, or — for a GET, which fastify never reads — read here. */
async function bodyText(request: FastifyRequest): Promise<string | undefined | 'too_large'> {
  if (typeof request.body === 'string') return request.body
  if (request.method !== 'GET') return undefined
  const length = request.headers['content-length']
  if (request.headers['transfer-encoding'] === undefined && (length === undefined || length === '0')) return undefined
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of request.raw as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > BROKER_BODY_LIMIT) return 'too_large'
    chunks.push(chunk)
  }
  return Buffer.concat(chunks).toString('utf8')
}

function queryOf(request: FastifyRequest): Record<string, unknown> {
  const query: unknown = request.query
  return typeof query === 'object' && query !== null ? (query as Record<string, unknown>) : {}
}
