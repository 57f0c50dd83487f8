import type { FastifyPluginAsync } from 'fastify'
import type { ClusterAccess } from '../../broker-external/cluster-access'
import { emqxRoutes } from '../broker-auth/emqx-routes'
import { mosquittoRoutes } from '../broker-auth/mosquitto-routes'
import { useZodSchemas } from '../zod-provider'

export { BROKER_SECRET_HEADER } from '../broker-auth/request'

/**
 * The device registry, served to an external MQTT cluster's HTTP auth backends
 * (EG_BROKER=external), so devices log in to EMQX / Mosquitto with the id and secret the
 * gateway issued, under the same topic ACL as the embedded broker:
 *
 * - EMQX 5 HTTP authentication / authorization: `/broker/emqx/authn`, `/broker/emqx/authz`
 *   (broker-auth/emqx-routes.ts);
 * - mosquitto-go-auth's http backend: `/broker/mosquitto/{user,superuser,acl}`
 *   (broker-auth/mosquitto-routes.ts).
 *
 * They fail closed (issue 13, item 2): whatever is not explicitly allowed — a missing or wrong
 * shared secret, a request in a shape they cannot read, a registry that does not answer — is
 * answered as that broker reads "deny" (EMQX: 200 `{"result":"deny"}`; go-auth: 403), because
 * both brokers read any other failure as "no decision", and EMQX's default then allows.
 *
 * Outside the bearer-token scope: only the cluster calls these, proving it with the shared
 * secret EG_BROKER_AUTH_SECRET in `X-Eldergate-Broker-Secret`, as the password of HTTP Basic,
 * or — for mosquitto-go-auth, which cannot send headers — as `?secret=` in the configured URI.
 * Each broker gets its own encapsulated scope (its body parsing and error answers).
 */
export function brokerAuthRoutes(deps: { access: ClusterAccess; secret: string }): FastifyPluginAsync {
  return async (app) => {
    // Response schemas (for /docs) need the app's serializer: set here too, for a bare fastify.
    useZodSchemas(app)
    await app.register(emqxRoutes(deps))
    await app.register(mosquittoRoutes(deps))
  }
}
