import type { FastifyReply, FastifyRequest } from 'fastify'
import type { ChildLoggerOptions } from 'pino'
import { redactPaths } from '../logger'

/**
 * What a request log line may hold: method, path, address, status — never headers (the
 * Authorization bearer token), never bodies (passwords, device and webhook secrets). The
 * serializers are an allow-list, and redaction stays on as a second line of defence for
 * anything a handler logs by mistake.
 */
export const httpLoggerOptions: ChildLoggerOptions = {
  redact: { paths: [...redactPaths, 'adminPassword', '*.adminPassword', '*.headers', 'body', '*.body'], censor: '[redacted]' },
  serializers: {
    req: (req: FastifyRequest) => ({
      method: req.method,
      // The query string is dropped: searches (?q=) carry elders' names and phone numbers.
      url: req.url.split('?')[0],
      remoteAddress: req.ip,
      reqId: req.id,
    }),
    res: (res: FastifyReply) => ({ statusCode: res.statusCode }),
  },
}
