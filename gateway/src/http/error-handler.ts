import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { errorCatalogue, isEgError, type ErrorCode, type FieldError } from '../errors'

/**
 * The one HTTP error mapping (DESIGN §6: one error catalogue). Body shape everywhere:
 * `{ error: { code, message, fields? } }`.
 *
 * - EgError → its catalogue status;
 * - fastify's own client errors (malformed JSON, empty JSON body, wrong content type, body
 *   too large) keep their 4xx status and become VALIDATION_FAILED, because they are bad
 *   input too and the catalogue has no finer code for them;
 * - anything else is a bug or an outage: 500 INTERNAL with no internals in the body, the
 *   error itself in the log.
 */
interface ErrorBody {
  error: { code: ErrorCode; message: string; fields?: FieldError[] }
}

function body(code: ErrorCode, message: string, fields?: FieldError[]): ErrorBody {
  return { error: fields === undefined ? { code, message } : { code, message, fields } }
}

export function httpErrorHandler(err: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (isEgError(err)) {
    if (err.status >= 500) request.log.error({ err }, 'request failed')
    return reply.status(err.status).send(body(err.code, err.message, err.fields))
  }
  const status = (err as FastifyError).statusCode
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const fastifyCode = (err as FastifyError).code
    const message = fastifyCode === 'FST_ERR_CTP_INVALID_JSON_BODY' || err instanceof SyntaxError ? 'request body is not valid JSON' : err.message
    return reply.status(status).send(body('VALIDATION_FAILED', message))
  }
  request.log.error({ err }, 'unhandled error')
  return reply.status(500).send(body('INTERNAL', errorCatalogue.INTERNAL.message))
}

export function notFoundHandler(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return reply.status(404).send(body('NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0] ?? ''}`))
}
