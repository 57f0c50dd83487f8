import type { FastifyPluginAsync, FastifyReply } from 'fastify'
import { z } from 'zod'
import type { ClusterAccess } from '../../broker-external/cluster-access'
import { security } from '../schemas/security'
import { denied, judge, type Judgement, type JudgeDeps } from './judge'
import { prepareBrokerScope } from './request'

/**
 * EMQX 5's HTTP authentication and authorization backends (emqx_authn_http, emqx_authz_http).
 * What EMQX reads: status 200 with a JSON body `{"result": "allow"|"deny"|"ignore"}` (authn
 * also `is_superuser`); 204 is *allow*; any other status, a missing `result` or a body that is
 * not JSON is *ignore* — and for authorization an ignore ends at `authorization.no_match`,
 * `allow` by default. So these endpoints answer 200 with an explicit result, always, even for a
 * missing secret or a request they cannot read; never 204, never 4xx/5xx.
 */
const id = z.string().max(256)
// EMQX renders only the placeholders its body template (or URL, for GET) names: the documented
// authn example sends {username, password}, with no client id.
const authnFields = z.object({ clientid: id.optional(), username: id.optional(), password: z.string().max(1024).optional() })
const authzFields = z.object({ clientid: id.optional(), username: id.optional(), topic: z.string().min(1).max(65_535), action: z.enum(['publish', 'subscribe']) })

const verdict = z.enum(['allow', 'deny', 'ignore'])
const authnAnswer = z.object({ result: verdict, is_superuser: z.boolean() }).meta({ description: 'the verdict: deny for a missing secret or an unreadable request too' })
const authzAnswer = z.object({ result: verdict }).meta({ description: 'the verdict: deny for a missing secret or an unreadable request too' })

/** The route's schema for one method: GET carries the fields in the query, POST in a JSON or form body. */
function emqxSchema(method: 'GET' | 'POST', what: 'authenticate' | 'authorize', fields: z.ZodObject, answer: z.ZodType) {
  return {
    operationId: `emqx${what === 'authenticate' ? 'Authenticate' : 'Authorize'}${method === 'GET' ? 'Get' : 'Post'}`,
    summary: `EMQX 5 HTTP ${what === 'authenticate' ? 'authentication' : 'authorization'} backend: always 200 with the verdict`,
    tags: ['broker'],
    security: security.brokerSecret,
    docs:
      method === 'GET'
        ? { querystring: fields }
        : { body: { schema: fields, contentTypes: ['application/json', 'application/x-www-form-urlencoded'] } },
    response: { 200: answer },
  }
}

export function emqxRoutes(deps: JudgeDeps & { access: ClusterAccess }): FastifyPluginAsync {
  const { access } = deps
  return async (app) => {
    const answerAuthn = (reply: FastifyReply, j: Judgement) => reply.code(200).type('application/json').send({ result: j.verdict, is_superuser: j.verdict === 'allow' && j.superuser })
    const answerAuthz = (reply: FastifyReply, j: Judgement) => reply.code(200).type('application/json').send({ result: j.verdict })
    prepareBrokerScope(app, (request, reply, problem) =>
      (request.url.split('?')[0] ?? '').endsWith('/authz') ? answerAuthz(reply, denied(problem)) : answerAuthn(reply, denied(problem)),
    )
    for (const method of ['GET', 'POST'] as const) {
      app.route({
        method,
        url: '/broker/emqx/authn',
        schema: emqxSchema(method, 'authenticate', authnFields, authnAnswer),
        handler: async (request, reply) => answerAuthn(reply, await judge(request, deps, authnFields, (c) => access.authenticate(c))),
      })

      app.route({
        method,
        url: '/broker/emqx/authz',
        schema: emqxSchema(method, 'authorize', authzFields, authzAnswer),
        handler: async (request, reply) =>
          answerAuthz(reply, await judge(request, deps, authzFields, ({ action, ...client }) => access.authorize(client, [action === 'publish' ? 'write' : 'subscribe']))),
      })
    }
  }
}
