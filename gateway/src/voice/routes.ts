import { randomUUID } from 'node:crypto'
import type { FastifyPluginAsync } from 'fastify'
import { z } from 'zod'
import type { Change } from '../stream/change-log-store'
import { EgError } from '../errors'
import { STAFF, auditBy, userOf } from '../http/auth'
import { idParams, pageQuery } from '../http/pagination'
import { bearerErrors, bodyErrors, page, timestamp } from '../http/schemas/responses'
import type { ZodTypeProvider } from '../http/zod-provider'
import { recordAudit } from '../registry/audit-store'
import type { Db } from '../storage/db'
import { appendVoiceChanges, promptView } from './changes'
import { DEFAULT_VOICE_TTL_MS } from './planner'
import { voicePromptStatuses } from './status'
import { resolveVoiceLanguage } from './templates'
import { deviceForPrompt, insertPrompt, listPrompts } from './voice-store'

/**
 * /api/v1 routes of voice prompts: an operator's manual prompt (喊话, DESIGN §4
 * `POST /devices/:id/voice`) and the prompt log with delivery status.
 */
export interface VoiceRouteDeps {
  db: Db
  /** After the prompt is committed: wake the dispatcher and the live stream (AlertEffects.afterCommit). */
  afterCommit(changes: readonly Change[]): void
  ttlMs?: number
  /** Wall clock: the row's created_at. */
  clock?: () => number
  /** The tenant's rule clock: an operator prompt expires on it, as alert prompts do. */
  ruleClock?: (tenantId: string) => number
}

const languageTag = z.string().regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'a language tag such as zh-CN')

const voiceBody = z.object({
  // Spoken from a watch speaker: 200 characters is about a minute of speech.
  text: z.string().trim().min(1).max(200),
  lang: languageTag.optional(),
  priority: z.enum(['normal', 'high']).default('normal'),
})

const promptQuery = pageQuery.extend({
  elderId: z.string().max(128).optional(),
  alertId: z.string().max(128).optional(),
  deviceId: z.string().max(128).optional(),
  status: z.enum(voicePromptStatuses).optional(),
})

/** A voice prompt with its delivery status (voice-store.ts VoicePrompt, without the tenant). */
const promptSchema = z.object({
  id: z.string(),
  elderId: z.string(),
  deviceId: z.string(),
  alertId: z.string().nullable(),
  origin: z.enum(['alert', 'operator']),
  requestedBy: z.string().nullable(),
  text: z.string(),
  lang: z.string(),
  priority: z.enum(['normal', 'high']),
  status: z.enum(voicePromptStatuses),
  expiresAt: timestamp,
  createdAt: timestamp,
  sentAt: timestamp.nullable(),
  sendCount: z.number().int(),
  ackedAt: timestamp.nullable(),
  updatedAt: timestamp,
})

const sendSchema = {
  operationId: 'sendVoicePrompt',
  summary: "An operator's voice prompt to a device (喊话): queued, delivered by the dispatcher",
  tags: ['voice'],
  params: idParams,
  body: voiceBody,
  response: {
    202: z.object({ commandId: z.string().optional().describe("the prompt's id: its delivery shows in GET /voice-prompts") }).meta({ description: 'queued' }),
    ...bearerErrors('NOT_FOUND'),
    ...bodyErrors,
  },
}
const listSchema = {
  operationId: 'listVoicePrompts',
  summary: 'Voice prompts with their delivery status, newest first',
  tags: ['voice'],
  querystring: promptQuery,
  response: { 200: page(promptSchema), ...bearerErrors() },
}

export function voiceRoutes(deps: VoiceRouteDeps): FastifyPluginAsync {
  const ttlMs = deps.ttlMs ?? DEFAULT_VOICE_TTL_MS
  const clock = deps.clock ?? Date.now
  const ruleClock = deps.ruleClock ?? (() => clock())
  return async (plain) => {
    const app = plain.withTypeProvider<ZodTypeProvider>()
    const config = { roles: STAFF }

    // Operator prompts are deliberate: they are not counted against the alert rate limit.
    app.post('/devices/:id/voice', { config, schema: sendSchema }, async (request, reply) => {
      const actor = userOf(request)
      const deviceId = request.params.id
      const { text, priority } = request.body
      const now = ruleClock(actor.tenantId)
      const changes = await deps.db.transaction(async (tx) => {
        const device = await deviceForPrompt(tx, actor.tenantId, deviceId)
        if (device === null) throw new EgError('NOT_FOUND', 'device not found')
        const prompt = await insertPrompt(tx, {
          id: randomUUID(),
          tenantId: actor.tenantId,
          elderId: device.elderId,
          deviceId,
          alertId: null,
          occasionId: null,
          origin: 'operator',
          requestedBy: actor.username,
          text,
          lang: request.body.lang ?? resolveVoiceLanguage(device.language),
          priority,
          status: 'queued',
          expiresAt: new Date(now + ttlMs),
          createdAt: new Date(clock()),
          ruleAt: new Date(now),
        })
        await recordAudit(tx, auditBy(actor, 'voice.send', deviceId, { promptId: prompt.id, elderId: prompt.elderId, lang: prompt.lang, priority, text }))
        return appendVoiceChanges(tx, [{ prompt, previousStatus: null }])
      })
      deps.afterCommit(changes)
      return reply.status(202).send({ commandId: changes[0]?.entityId })
    })

    app.get('/voice-prompts', { config, schema: listSchema }, async (request) => {
      const q = request.query
      const page = await listPrompts(deps.db, { tenantId: userOf(request).tenantId, ...q })
      return { items: page.items.map(promptView), total: page.total, limit: q.limit, offset: q.offset }
    })
  }
}
