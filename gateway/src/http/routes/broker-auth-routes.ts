import type { FastifyPluginAsync, FastifyRequest } from 'fastify'
import { z } from 'zod'
import { sameSecret, type Access, type ClusterAccess } from '../../broker-external/cluster-access.js'
import { EgError } from '../../errors.js'
import type { ZodTypeProvider } from '../zod-provider.js'

/**
 * The device registry, served to an external MQTT cluster's HTTP auth backends
 * (EG_BROKER=external), so devices log in to EMQX / Mosquitto with the id and secret the
 * gateway issued, under the same topic ACL as the embedded broker:
 *
 * - EMQX 5 HTTP authentication / authorization (JSON body, `{"result": "allow"|"deny"}`);
 * - mosquitto-go-auth's http backend (`auth_opt_http_params_mode json`,
 *   `auth_opt_http_response_mode status` or `json`): 200 `{"ok":true}` or 403
 *   `{"ok":false,"error":"…"}` — go-auth reads a 4xx as "deny" in both modes.
 *
 * Outside the bearer-token scope: only the cluster calls these, proving it with the shared
 * secret EG_BROKER_AUTH_SECRET in `X-Eldergate-Broker-Secret`, as the password of HTTP Basic,
 * or — for mosquitto-go-auth, which cannot send headers — as `?secret=` in the configured URI.
 */
export const BROKER_SECRET_HEADER = 'x-eldergate-broker-secret'

const id = z.string().max(256)
const emqxAuthnBody = z.object({ clientid: id, username: id.optional(), password: z.string().max(1024).optional() })
const emqxAuthzBody = z.object({ clientid: id, username: id.optional(), topic: z.string().min(1).max(65_535), action: z.enum(['publish', 'subscribe']) })
const mosquittoUserBody = z.object({ username: id, password: z.string().max(1024), clientid: id })
const mosquittoSuperuserBody = z.object({ username: id })
/** mosquitto-go-auth's `acc`: 1 read (delivery), 2 write (publish), 3 both, 4 subscribe. */
const mosquittoAclBody = z.object({ username: id, clientid: id, topic: z.string().min(1).max(65_535), acc: z.union([z.literal(1), z.literal(2), z.literal(3), z.literal(4)]) })

const accessOfAcc: Record<1 | 2 | 3 | 4, Access[]> = { 1: ['read'], 2: ['write'], 3: ['read', 'write'], 4: ['subscribe'] }

function presentedSecret(request: FastifyRequest): string | undefined {
  const header = request.headers[BROKER_SECRET_HEADER]
  if (typeof header === 'string') return header
  const authorization = request.headers.authorization
  if (authorization?.startsWith('Basic ')) {
    const decoded = Buffer.from(authorization.slice(6), 'base64').toString('utf8')
    const colon = decoded.indexOf(':')
    return colon === -1 ? undefined : decoded.slice(colon + 1)
  }
  const query = request.query as Record<string, unknown> | undefined
  return typeof query?.secret === 'string' ? query.secret : undefined
}

export function brokerAuthRoutes(deps: { access: ClusterAccess; secret: string }): FastifyPluginAsync {
  const { access } = deps
  return async (plain) => {
    plain.addHook('onRequest', async (request) => {
      const given = presentedSecret(request)
      if (given === undefined || !sameSecret(given, deps.secret)) {
        request.log.warn({ remoteAddress: request.ip, url: request.routeOptions.url }, 'broker auth call without the shared secret')
        throw new EgError('UNAUTHENTICATED', 'missing or wrong broker shared secret')
      }
    })
    const app = plain.withTypeProvider<ZodTypeProvider>()
    const schema = <B>(body: B) => ({ schema: { body, security: [], tags: ['broker'] } })

    app.post('/broker/emqx/authn', schema(emqxAuthnBody), async (request) => {
      const { allow, superuser } = await access.authenticate(request.body)
      return { result: allow ? 'allow' : 'deny', is_superuser: allow && superuser }
    })

    app.post('/broker/emqx/authz', schema(emqxAuthzBody), async (request) => {
      const { action, ...client } = request.body
      return { result: access.authorize(client, [action === 'publish' ? 'write' : 'subscribe']) ? 'allow' : 'deny' }
    })

    const mosquittoAnswer = (ok: boolean, reply: { code(status: number): unknown }, why: string) => {
      if (ok) return { ok: true }
      reply.code(403)
      return { ok: false, error: why }
    }

    app.post('/broker/mosquitto/user', schema(mosquittoUserBody), async (request, reply) => {
      const { allow } = await access.authenticate(request.body)
      return mosquittoAnswer(allow, reply, 'unknown client or wrong secret')
    })

    app.post('/broker/mosquitto/superuser', schema(mosquittoSuperuserBody), async (request, reply) =>
      mosquittoAnswer(access.isWorker(request.body.username), reply, 'not a gateway worker'),
    )

    app.post('/broker/mosquitto/acl', schema(mosquittoAclBody), async (request, reply) => {
      const { acc, ...client } = request.body
      return mosquittoAnswer(access.authorize(client, accessOfAcc[acc]), reply, 'topic outside the device’s own eg/v1/<id>/ tree')
    })
  }
}
