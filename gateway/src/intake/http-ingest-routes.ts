import type { FastifyError, FastifyPluginAsync, FastifyRequest } from 'fastify'
import { z } from 'zod'
import type { AuthThrottleOptions, DeviceChannel, DeviceIdentity, MessageOutcome } from '../broker/index'
import { deviceChannels, isDeviceChannel } from '../../../contract/topics'
import { AuthThrottle } from '../broker/throttle'
import { EgError, type ErrorCode } from '../errors'
import { httpErrorHandler } from '../http/error-handler'
import { security } from '../http/schemas/security'
import { RETRY_AFTER, withHeaders } from '../http/schemas/responses'
import { useZodSchemas } from '../http/zod-provider'
import type { Metrics } from '../metrics'
import type { DeviceAuthenticator } from '../registry/device-auth'
import { answerOf, ingestErrorBody, outcomeOfStatus, type IngestOutcome } from './http-ingest-answers'
import { DEVICE_REALM, createIngestAuthentication } from './http-ingest-auth'
import type { DeviceIntake } from './device-intake'

/**
 * HTTP ingest for vendor clouds (DESIGN §3c): `POST /api/v1/ingest/<deviceId>/<channel>`, HTTP
 * Basic `deviceId:secret`, the body exactly the MQTT payload of `eg/v1/<deviceId>/<channel>`.
 * Not a second pipeline: the payload goes to the MQTT path's intake (device-intake.ts) as a
 * QoS 1 publish would, so validation, dead letters, rule engine, storage and alerts are the
 * same, and the answer waits for what a PUBACK waits for:
 *
 * | answer | when |
 * |---|---|
 * | 202 `{accepted: true}` | the message's rows are committed (a status: taken) |
 * | 202 `{accepted: true, rejected, rejectedCount}` | committed, with some elements dead-lettered |
 * | 400 PAYLOAD_REFUSED, `details` | nothing in it was valid; dead-lettered |
 * | 401 BAD_DEVICE_CREDENTIALS + WWW-Authenticate | missing, malformed or wrong credentials |
 * | 403 DEVICE_MISMATCH | right secret, but for another device than the path names |
 * | 404 NOT_FOUND | a channel other than telemetry, event, status, cmd/ack |
 * | 413 PAYLOAD_TOO_LARGE, `details` | over EG_PAYLOAD_MAX_BYTES, or too many elements |
 * | 415 | a body that is neither application/json nor text/plain |
 * | 429 TOO_MANY_ATTEMPTS + Retry-After | this id from this address failed too often |
 * | 503 STORAGE_UNAVAILABLE + Retry-After | not known to be durable (storage down or stalled) |
 *
 * Never 202 unless durable: a 503 may still be committed later, and the retry it asks for is
 * harmless — the writer stores a resent reading once (its INSERT dedupes, as for MQTT resends).
 */
export interface HttpIngestOptions {
  deviceAuth: Pick<DeviceAuthenticator, 'verifyDevice'>
  intake: Pick<DeviceIntake, 'onMessage'>
  /**
   * The failed-login throttle's settings: the broker's (EG_AUTH_*). This route keeps its own
   * state (one AuthThrottle), so guesses over HTTP count here as CONNECTs count in the broker.
   */
  throttle: AuthThrottleOptions
  /** EG_PAYLOAD_MAX_BYTES: the body limit, as it is the broker's payload limit. */
  maxPayloadBytes: number
  /** eg_http_ingest_requests_total; eg_auth_throttled_total{kind="http_ingest"}. */
  metrics: Metrics
  /** How long a request waits for its message to become durable before answering 503. */
  durableTimeoutMs?: number
  /** Clock of the throttle (tests). */
  now?: () => number
}

/** Longer than any healthy group commit by orders of magnitude; shorter than vendors' HTTP timeouts (30–60 s). */
const DEFAULT_DURABLE_TIMEOUT_MS = 20_000
const UNAVAILABLE_RETRY_S = 5

// The channels are the contract's device → gateway ones (contract/topics.ts); `cmd` is gateway → device, so it cannot be posted.
// `*`, not `:channel`: `cmd/ack` spans two path segments.
const ingestParams = z.object({
  deviceId: z.string().describe('the device id, the same as the Basic user name'),
  '*': z.enum(deviceChannels).describe('the channel: the topic under eg/v1/<deviceId>/'),
})

/** One refused element of a message (the intake's MessageRejection): reason codes of eg_messages_rejected_total. */
const rejection = z.object({ reason: z.string(), message: z.string(), index: z.number().int().optional().describe('the element of an array payload') })

/** The API's error body (http/error-handler.ts), with `details` when the payload was at fault (http-ingest-answers.ts). */
function ingestError(codes: readonly [ErrorCode, ...ErrorCode[]], description: string) {
  return z
    .object({
      error: z.object({
        code: z.enum(codes),
        message: z.string(),
        details: z.array(rejection).optional(),
        fields: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
      }),
    })
    .meta({ description })
}

const ingestSchema = {
  operationId: 'ingestDeviceMessage',
  summary: 'A vendor cloud posts one device message (the MQTT payload of eg/v1/<deviceId>/<channel>); 202 once durable',
  tags: ['ingest'],
  security: security.deviceBasic,
  // The channel is checked (404) before the credentials, in onRequest.
  params: ingestParams,
  docs: {
    url: '/api/v1/ingest/:deviceId/:channel',
    params: z.object({
      deviceId: z.string().describe('the device id, the same as the Basic user name'),
      channel: z.enum(deviceChannels).describe('the topic under eg/v1/<deviceId>/: `cmd/ack` is two path segments (or one, %2F-encoded)'),
    }),
    body: {
      schema: z.unknown(),
      contentTypes: ['application/json', 'text/plain'],
      description: 'exactly the MQTT payload: one reading or an array (up to 5,000), one event or an array, `online`/`offline`, or a command ack',
    },
  },
  response: {
    202: z
      .object({
        accepted: z.literal(true),
        rejected: z.array(rejection).optional().describe('elements dead-lettered (the first 100); the others are stored: do not resend'),
        rejectedCount: z.number().int().optional(),
      })
      .meta({ description: 'durable: the rows are committed' }),
    400: ingestError(
      ['PAYLOAD_REFUSED', 'VALIDATION_FAILED'],
      'PAYLOAD_REFUSED: nothing in the payload was valid (dead-lettered; `details` says why); VALIDATION_FAILED: an unreadable request',
    ),
    401: withHeaders(ingestError(['BAD_DEVICE_CREDENTIALS'], 'BAD_DEVICE_CREDENTIALS: missing, malformed or wrong credentials'), {
      'WWW-Authenticate': { description: DEVICE_REALM },
    }),
    403: ingestError(['DEVICE_MISMATCH'], 'DEVICE_MISMATCH: the secret of another device than the path names'),
    404: ingestError(['NOT_FOUND'], 'NOT_FOUND: a channel other than telemetry, event, status, cmd/ack'),
    413: ingestError(['PAYLOAD_TOO_LARGE'], 'PAYLOAD_TOO_LARGE: over EG_PAYLOAD_MAX_BYTES, or too many elements (`details`)'),
    415: ingestError(['VALIDATION_FAILED'], 'VALIDATION_FAILED: a body that is neither application/json nor text/plain'),
    429: withHeaders(ingestError(['TOO_MANY_ATTEMPTS'], 'TOO_MANY_ATTEMPTS: this id from this address failed too often'), RETRY_AFTER),
    500: ingestError(['INTERNAL'], 'INTERNAL: internal error'),
    503: withHeaders(ingestError(['STORAGE_UNAVAILABLE'], 'STORAGE_UNAVAILABLE: not known to be stored; send it again later'), RETRY_AFTER),
  },
}

interface IngestTarget {
  channel: DeviceChannel
  device?: DeviceIdentity
}

/** The storage did not confirm in time: answered like an outage (503), which it may well be. */
class NotDurableInTime extends Error {
  constructor(ms: number) {
    super(`not durable within ${ms} ms`)
  }
}

export function httpIngestRoutes(opts: HttpIngestOptions): FastifyPluginAsync {
  const { intake, maxPayloadBytes, metrics } = opts
  const durableTimeoutMs = opts.durableTimeoutMs ?? DEFAULT_DURABLE_TIMEOUT_MS
  const authenticate = createIngestAuthentication({
    deviceAuth: opts.deviceAuth,
    throttle: new AuthThrottle(opts.throttle),
    throttled: metrics.authThrottled,
    now: opts.now ?? Date.now,
  })
  // Per request, set by the onRequest hook for the handler and by answers for the metric.
  const targets = new WeakMap<FastifyRequest, IngestTarget>()
  const outcomes = new WeakMap<FastifyRequest, IngestOutcome>()

  return async (app) => {
    // Its own, as the app sets them too: the plugin does not depend on where it is registered.
    useZodSchemas(app)
    // The body is the MQTT payload: bytes, handed to the intake unparsed (it parses and
    // validates, and dead-letters the original bytes). Bare `online`/`offline` is a valid
    // status payload, so text/plain is as welcome as application/json.
    app.removeAllContentTypeParsers()
    app.addContentTypeParser(['application/json', 'text/plain'], { parseAs: 'buffer', bodyLimit: maxPayloadBytes }, (_request, body, done) => done(null, body))

    app.setErrorHandler((err: FastifyError | Error, request, reply) => {
      if ((err as FastifyError).statusCode === 413) {
        // As the broker counts a packet over the limit: a message refused as oversize, unread.
        metrics.messagesRejected.inc({ reason: 'oversize' })
        const rejection = { reason: 'oversize', message: `payload: over ${maxPayloadBytes} bytes` }
        return reply.status(413).send(ingestErrorBody('PAYLOAD_TOO_LARGE', [rejection]))
      }
      return httpErrorHandler(err, request, reply)
    })

    app.addHook('onResponse', async (request, reply) => {
      metrics.httpIngestRequests.inc({ outcome: outcomes.get(request) ?? outcomeOfStatus(reply.statusCode) })
    })

    app.post(
      '/ingest/:deviceId/*',
      {
        bodyLimit: maxPayloadBytes,
        schema: ingestSchema,
        // Before the body is read: no credentials, no buffering of a payload.
        onRequest: async (request, reply) => {
          const { deviceId, '*': channelPath } = request.params as { deviceId: string; '*': string }
          if (!isDeviceChannel(channelPath)) throw new EgError('NOT_FOUND', `no channel ${JSON.stringify(channelPath.slice(0, 64))}: one of ${deviceChannels.join(', ')}`)
          const target: IngestTarget = { channel: channelPath }
          targets.set(request, target)
          target.device = await authenticate(request, reply, deviceId)
        },
      },
      async (request, reply) => {
        const target = targets.get(request)
        if (target?.device === undefined) throw new EgError('INTERNAL', 'http ingest: no authenticated device')
        const payload = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0)
        let outcome: MessageOutcome
        try {
          // QoS 1: the promise settles once the message's fate is durable (rows or dead letter).
          outcome = await withinDeadline(intake.onMessage(target.device, target.channel, payload, 1), durableTimeoutMs)
        } catch (err) {
          request.log.warn({ err, deviceId: target.device.deviceId, channel: target.channel }, 'http ingest: message not durable; answered 503')
          reply.header('retry-after', String(UNAVAILABLE_RETRY_S))
          throw new EgError('STORAGE_UNAVAILABLE', 'the message is not known to be stored; send it again later', { cause: err })
        }
        const answer = answerOf(outcome)
        outcomes.set(request, answer.outcome)
        return reply.status(answer.status).send(answer.body)
      },
    )
  }
}

/** The intake's answer, or a rejection when it does not come within `ms` (the timer never outlives it). */
async function withinDeadline(outcome: MessageOutcome | Promise<MessageOutcome>, ms: number): Promise<MessageOutcome> {
  if (!(outcome instanceof Promise)) return outcome
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new NotDurableInTime(ms)), ms)
  })
  try {
    return await Promise.race([outcome, deadline])
  } finally {
    clearTimeout(timer)
  }
}
