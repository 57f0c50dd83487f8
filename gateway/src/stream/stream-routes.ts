import type { FastifyPluginAsync } from 'fastify'
import { z } from 'zod'
import { latestSeq } from './change-log-store'
import { EgError } from '../errors'
import { ALL_ROLES, bearerToken, userOf } from '../http/auth'
import { security } from '../http/schemas/security'
import { bearerErrors } from '../http/schemas/responses'
import type { ZodTypeProvider } from '../http/zod-provider'
import type { Logger } from '../logger'
import { hashToken } from '../registry/secrets'
import { findSession } from '../registry/token-store'
import type { Queryable } from '../storage/db'
import type { ChangeBus } from './change-bus'
import { createStreamConnection, defaultStreamLimits, formatEvent, type StreamConnection, type StreamLimits } from './stream-connection'
import { changeFilterFor, createPlacementLookup } from './visibility'

/**
 * `GET /api/v1/stream`: the board's live feed as Server-Sent Events. Each change is
 * `id: <seq>` / `event: alert|notice|voice|device` / `data: <the change as JSON>`.
 *
 * - Fresh connection: `event: hello` carrying the current seq as its id, then live changes.
 *   The id matters: a browser reconnecting sends it back as Last-Event-ID, so even a stream
 *   that saw no change yet resumes without a gap.
 * - Resume: `Last-Event-ID` (what EventSource sends on reconnect) or `?since=<seq>` replays
 *   every change after it from the change log, then goes live with no gap and no duplicate.
 *   The header wins: EventSource reconnects to the same URL, whose `since` is stale.
 * - `event: reset` means the change log no longer holds what the client missed (pruned, or a
 *   position from another database): reload the state over REST and keep streaming.
 * - Browsers' EventSource cannot send headers, so the token may come as `?access_token=`
 *   (see bearerToken in http/auth.ts); request logs drop query strings, so it is never logged.
 */
export interface StreamDeps {
  db: Queryable
  bus: ChangeBus
  logger: Logger
  limits?: Partial<StreamLimits>
  /**
   * How often an open stream re-checks its session. Logout, password, role and station changes
   * and disabling end streams on this node at once (http/live-sessions.ts), and expiry ends them
   * on time; this catches the same changes made through another node.
   */
  sessionCheckMs?: number
}

const streamQuery = z.object({
  since: z.coerce.number().int().min(0).optional(),
  access_token: z.string().max(512).optional(),
})

const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  // Like every API answer (http/security-headers.ts): alerts and elders' names stay out of caches.
  'cache-control': 'no-store, no-transform',
  // nginx and similar proxies buffer responses unless told not to.
  'x-accel-buffering': 'no',
}

const streamSchema = {
  operationId: 'streamChanges',
  summary: 'Live changes (Server-Sent Events): alert, notice, voice and device changes; resume with Last-Event-ID or ?since=',
  tags: ['alerts'],
  security: security.bearerOrQueryToken,
  querystring: streamQuery,
  response: {
    200: {
      description:
        'the stream: `event: hello` first, then `id: <seq>` / `event: alert|notice|voice|device` / `data: <the change as JSON>`; ' +
        '`event: reset` when the log no longer holds what was missed',
      content: { 'text/event-stream': { schema: z.string() } },
    },
    ...bearerErrors(),
  },
}

/** Reconnect delay the browser's EventSource uses after a drop (ms). */
const RETRY_MS = 3_000

function headersSet(headers: Record<string, number | string | string[] | undefined>): Record<string, number | string | string[]> {
  return Object.fromEntries(Object.entries(headers).filter((entry): entry is [string, number | string | string[]] => entry[1] !== undefined))
}

function lastEventId(header: string | string[] | undefined): number | undefined {
  if (header === undefined) return undefined
  const value = Array.isArray(header) ? header[header.length - 1] : header
  if (value === undefined || value.trim() === '') return undefined
  if (!/^\d{1,15}$/.test(value.trim())) {
    throw new EgError('VALIDATION_FAILED', 'invalid Last-Event-ID', { fields: [{ path: 'last-event-id', message: 'expected a change sequence number' }] })
  }
  return Number(value.trim())
}

export function streamRoutes(deps: StreamDeps): FastifyPluginAsync {
  const limits: StreamLimits = { ...defaultStreamLimits, ...deps.limits }
  const sessionCheckMs = deps.sessionCheckMs ?? 30_000
  const logger = deps.logger.child({ component: 'stream' })
  const lookup = createPlacementLookup(deps.db)

  return async (plain) => {
    const app = plain.withTypeProvider<ZodTypeProvider>()
    const open = new Set<StreamConnection>()
    // Open streams would keep server.close() waiting forever: end them first.
    app.addHook('preClose', async () => {
      for (const connection of open) connection.end('shutdown')
    })

    app.get(
      '/stream',
      { config: { roles: ALL_ROLES }, schema: streamSchema },
      async (request, reply) => {
        const user = userOf(request)
        const resumeFrom = lastEventId(request.headers['last-event-id']) ?? request.query.since
        const tokenHash = request.session?.tokenHash ?? hashToken(bearerToken(request) ?? '')
        const expiresAt = request.session?.expiresAt.getTime()

        let sessionTimer: NodeJS.Timeout | undefined
        let expiryTimer: NodeJS.Timeout | undefined
        let untrack = () => {}
        const connection = createStreamConnection(reply.raw, {
          db: deps.db,
          tenantId: user.tenantId,
          filter: changeFilterFor(user, lookup),
          limits,
          logger,
          onEnd() {
            unsubscribe()
            untrack()
            clearInterval(sessionTimer)
            clearTimeout(expiryTimer)
            open.delete(connection)
          },
        })
        // Subscribe before reading the head: anything committed from here on is either in
        // the replay (seq ≤ head) or held from the bus (seq > head), never in neither.
        const unsubscribe = deps.bus.subscribe(user.tenantId, connection.listener)
        let head: number
        try {
          head = await latestSeq(deps.db, user.tenantId)
        } catch (err) {
          unsubscribe()
          throw err
        }

        if (!connection.isOpen()) return reply.hijack()
        reply.hijack()
        // Hijacked: the headers set by hooks (security-headers.ts) are written here or not at all.
        reply.raw.writeHead(200, { ...headersSet(reply.getHeaders()), ...SSE_HEADERS })
        reply.raw.socket?.setNoDelay(true)
        open.add(connection)
        let start = head
        let replayUntil: number | null = null
        let hello = `retry: ${RETRY_MS}\n\n`
        if (resumeFrom !== undefined && resumeFrom <= head) {
          start = resumeFrom
          replayUntil = head
        } else if (resumeFrom !== undefined) {
          // Ahead of this database's log: a position from before a reset or from elsewhere.
          hello += formatEvent('reset', null, { reason: 'unknown_position', from: resumeFrom, to: head })
        }
        hello += formatEvent('hello', start, { seq: start, latestSeq: head, replay: replayUntil !== null, role: user.role })
        reply.raw.write(hello)
        connection.start(start, replayUntil)

        // Logout, password or role change, disabling: ended at once by the route that did it.
        if (connection.isOpen() && request.server.hasDecorator('liveSessions')) {
          untrack = request.server.liveSessions.track({ userId: user.id, tokenHash }, (reason) => connection.end(reason))
        }
        // setTimeout holds at most ~24.8 days; a token TTL is hours.
        if (expiresAt !== undefined && expiresAt - Date.now() < 2 ** 31 - 1) {
          expiryTimer = setTimeout(() => connection.end('session expired'), Math.max(0, expiresAt - Date.now()))
          expiryTimer.unref()
        }
        sessionTimer = setInterval(() => {
          findSession(deps.db, tokenHash)
            .then((session) => {
              if (session === null) connection.end('session ended')
            })
            .catch((err: unknown) => logger.warn({ err: (err as Error).message }, 'stream session check failed; will retry'))
        }, sessionCheckMs)
        sessionTimer.unref()
        return reply
      },
    )
  }
}
