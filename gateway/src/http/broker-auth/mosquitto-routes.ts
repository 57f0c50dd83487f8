import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { z } from 'zod'
import type { Access, ClusterAccess } from '../../broker-external/cluster-access'
import { security } from '../schemas/security'
import { denied, judge, type Judgement, type JudgeDeps } from './judge'
import { prepareBrokerScope, responseMode } from './request'

/**
 * mosquitto-go-auth's http backend (backends/http.go, httpRequest). What it reads:
 *
 * - `auth_opt_http_response_mode status` (the default): any 2xx is *allow*, the body unread;
 * - `json`: a 2xx with `{"ok": true}` is allow, `{"ok": false}` deny;
 * - `text`: a 2xx with the body exactly `ok` is allow;
 * - in every mode a non-2xx status is deny (4xx quietly, 5xx as a backend error).
 *
 * So allow is 200 with `{"ok":true}` (or `ok` with `?response_mode=text` in the configured
 * URIs), and everything else — deny, not ours, no shared secret, an unreadable request — is
 * 403 with `{"ok":false,"error":…}`: denied whichever mode go-auth runs in. Never a 200 that
 * says no in its body: in status mode that would read as yes. go-auth has no "ignore".
 */
const id = z.string().max(256)
const userFields = z.object({ username: id, password: z.string().max(1024), clientid: id.optional() })
const superuserFields = z.object({ username: id })
/** `acc`: 1 read (delivery), 2 write (publish), 3 both, 4 subscribe (MOSQ_ACL_*); a number in JSON, a string in a form. */
const aclFields = z.object({ username: id, clientid: id.optional(), topic: z.string().min(1).max(65_535), acc: z.enum(['1', '2', '3', '4']) })
const accessOfAcc: Record<'1' | '2' | '3' | '4', Access[]> = { '1': ['read'], '2': ['write'], '3': ['read', 'write'], '4': ['subscribe'] }

/** `?response_mode=text`: the answer as go-auth's text mode reads it. */
const responseModeQuery = z.object({ response_mode: z.enum(['text']).optional().describe('answer `ok` / the reason as text/plain instead of JSON') })

const goAuthResponses = {
  200: {
    description: 'allow',
    content: { 'application/json': { schema: z.object({ ok: z.literal(true) }) }, 'text/plain': { schema: z.literal('ok') } },
  },
  403: {
    description: 'deny: not allowed, not ours, no shared secret, or an unreadable request',
    content: { 'application/json': { schema: z.object({ ok: z.literal(false), error: z.string() }) }, 'text/plain': { schema: z.string() } },
  },
}

const METHODS = ['GET', 'POST', 'PUT'] as const

function goAuthSchema(method: (typeof METHODS)[number], url: string, fields: z.ZodObject) {
  const name = url.slice(url.lastIndexOf('/') + 1)
  return {
    operationId: `mosquitto${name[0]?.toUpperCase() ?? ''}${name.slice(1)}${method[0]}${method.slice(1).toLowerCase()}`,
    summary: `mosquitto-go-auth http backend, ${name} check: 200 to allow, 403 to deny`,
    tags: ['broker'],
    security: security.brokerSecret,
    docs:
      method === 'GET'
        ? { querystring: fields.extend(responseModeQuery.shape) }
        : { querystring: responseModeQuery, body: { schema: fields, contentTypes: ['application/json', 'application/x-www-form-urlencoded'] } },
    response: goAuthResponses,
  }
}

function answer(request: FastifyRequest, reply: FastifyReply, j: Judgement): FastifyReply {
  const text = responseMode(request) === 'text'
  if (j.verdict === 'allow') return text ? reply.code(200).type('text/plain').send('ok') : reply.code(200).send({ ok: true })
  const error = `denied: ${j.reason}`
  return text ? reply.code(403).type('text/plain').send(error) : reply.code(403).send({ ok: false, error })
}

export function mosquittoRoutes(deps: JudgeDeps & { access: ClusterAccess }): FastifyPluginAsync {
  const { access } = deps
  return async (app) => {
    prepareBrokerScope(app, (request, reply, problem) => answer(request, reply, denied(problem)))
    // go-auth's http_method may be POST (default), PUT or GET (with the JSON body on a GET).
    const route = <S extends z.ZodObject>(url: string, fields: S, decide: Parameters<typeof judge<S>>[3]) => {
      for (const method of METHODS) {
        app.route({
          method,
          url,
          schema: goAuthSchema(method, url, fields),
          handler: async (request, reply) => answer(request, reply, await judge(request, deps, fields, decide)),
        })
      }
    }

    route('/broker/mosquitto/user', userFields, (c) => access.authenticate(c))
    route('/broker/mosquitto/superuser', superuserFields, async ({ username }) =>
      access.isWorker(username) ? { verdict: 'allow', reason: 'worker', superuser: true } : { verdict: 'deny', reason: 'not_ours', superuser: false },
    )
    route('/broker/mosquitto/acl', aclFields, ({ acc, ...client }) => access.authorize(client, accessOfAcc[acc]))
  }
}
