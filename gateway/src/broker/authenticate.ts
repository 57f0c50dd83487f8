import type { AedesOptions, AuthenticateError } from 'aedes'
import type { Logger } from '../logger.js'
import type { Metrics } from '../metrics.js'
import { isValidDeviceId } from './acl.js'
import { remoteAddressOf, setIdentity } from './client-info.js'
import type { AuthThrottle } from './throttle.js'
import type { BrokerHooks } from './types.js'

/** Why a CONNECT was refused: the `reason` label of eg_mqtt_auth_refused_total. */
export type RefusalReason =
  | 'missing_credentials'
  | 'client_id_mismatch'
  | 'invalid_client_id'
  | 'bad_credentials'
  | 'throttled'
  | 'verify_failed'

/** CONNACK return codes of MQTT 3.1.1 (§3.2.2.3); the MQTT 5 bridge maps them to reason codes. */
const NOT_AUTHORIZED = 5
const SERVER_UNAVAILABLE = 3

type AuthenticateHandler = NonNullable<AedesOptions['authenticate']>

export interface AuthenticateDeps {
  hooks: Pick<BrokerHooks, 'verifyDevice'>
  throttle: AuthThrottle
  metrics: Metrics
  logger: Logger
  now?: () => number
}

/**
 * The aedes `authenticate` hook enforcing DESIGN §3 identity: clientId = username = deviceId,
 * password = secret. Order matters: the throttle is checked first so a blocked address or id never
 * reaches verifyDevice (no secret guessing during a block), then the cheap shape checks, then the
 * secret. The password is never logged, only the device id, username and remote address.
 */
export function createAuthenticate(deps: AuthenticateDeps): AuthenticateHandler {
  const { hooks, throttle, metrics, logger } = deps
  const now = deps.now ?? Date.now

  return function authenticate(client, username, password, done) {
    const clientId = client.id
    const remoteAddress = remoteAddressOf(client)
    const addressKey = 'addr:' + remoteAddress
    const idKey = 'id:' + clientId

    const refuse = (reason: RefusalReason, returnCode = NOT_AUTHORIZED): void => {
      metrics.authRefused.inc({ reason })
      if (reason !== 'throttled' && reason !== 'verify_failed') {
        const t = now()
        const blockedAddress = throttle.recordFailure(addressKey, t)
        const blockedId = throttle.recordFailure(idKey, t)
        if (blockedAddress || blockedId) {
          logger.warn({ deviceId: clientId, remoteAddress, blockedAddress, blockedId }, 'mqtt login throttled after repeated failures')
        }
      }
      logger.warn({ deviceId: clientId, username, remoteAddress, reason }, 'mqtt connection refused')
      const err = new Error('not authorized') as AuthenticateError
      // aedes sends CONNACK with this code and closes ([MQTT-3.2.2-5]).
      err.returnCode = returnCode as AuthenticateError['returnCode']
      done(err, false)
    }

    const t = now()
    if (throttle.isBlocked(addressKey, t) || throttle.isBlocked(idKey, t)) return refuse('throttled')
    if (username === undefined || password === undefined || username.length === 0 || password.length === 0) {
      return refuse('missing_credentials')
    }
    if (clientId !== username) return refuse('client_id_mismatch')
    if (!isValidDeviceId(clientId)) return refuse('invalid_client_id')

    hooks.verifyDevice(clientId, password.toString('utf8')).then(
      (device) => {
        if (device === null || device.deviceId !== clientId) return refuse('bad_credentials')
        // Forgive the id's earlier failures, never the address's: an attacker holding one valid
        // device must not be able to reset its address counter between guesses at other devices.
        throttle.recordSuccess(idKey, now())
        setIdentity(client, device)
        done(null, true)
      },
      (err: unknown) => {
        // The device store is down: say "server unavailable" (the device retries) rather than
        // "not authorized", and do not count it against the device.
        logger.error({ err, deviceId: clientId, remoteAddress }, 'device verification failed')
        refuse('verify_failed', SERVER_UNAVAILABLE)
      },
    )
  }
}

