import type { AedesOptions, AuthenticateError, Client } from 'aedes'
import type { Logger } from '../logger'
import type { Metrics } from '../metrics'
import { isValidDeviceId } from '../../../contract/topics'
import { remoteAddressOf, setIdentity } from './client-info'
import type { AuthThrottle, ThrottleScope } from './throttle'
import type { BrokerHooks } from './types'

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
type AuthenticateDone = Parameters<AuthenticateHandler>[3]

export interface AuthenticateDeps {
  hooks: Pick<BrokerHooks, 'verifyDevice'>
  throttle: AuthThrottle
  metrics: Metrics
  logger: Logger
  now?: () => number
}

/**
 * The aedes `authenticate` hook enforcing DESIGN §3 identity: clientId = username = deviceId,
 * password = secret. The throttle (throttle.ts) is asked first: a pair (this address, this id)
 * that kept failing is refused before its secret is checked, and attempts from an address that
 * kept failing are delayed unless their id logged in from there before. No id is ever refused
 * from every address. Then the cheap shape checks, then the secret. The password is never
 * logged, only the device id, username and remote address.
 */
export function createAuthenticate(deps: AuthenticateDeps): AuthenticateHandler {
  const { hooks, throttle, metrics, logger } = deps
  const now = deps.now ?? Date.now
  const throttled = metrics.authThrottled

  return function authenticate(client, username, password, done) {
    const remoteAddress = remoteAddressOf(client)
    // The id whose secret is being tried: the username (DESIGN §3), or the client id without one.
    const claimedId = username !== undefined && username.length > 0 ? username : client.id
    const attempt: Attempt = { client, username, remoteAddress, claimedId, done }

    const gate = throttle.gate(remoteAddress, claimedId, now())
    if (gate.kind === 'refuse') {
      throttled.inc({ kind: 'mqtt', scope: gate.scope, action: 'refused' })
      return refuse(attempt, 'throttled', { throttled: { scope: gate.scope, retryAfterMs: gate.retryAfterMs } })
    }
    if (gate.kind === 'check') return check(attempt, password)

    throttled.inc({ kind: 'mqtt', scope: 'address', action: 'delayed' })
    logger.debug({ deviceId: claimedId, remoteAddress, delayMs: gate.delayMs }, 'mqtt login delayed: its address keeps failing')
    // unref: a waiting login must not hold a closing process open; aedes ignores `done` for a
    // client that went away meanwhile.
    setTimeout(() => {
      gate.release()
      // Failures may have landed during the wait (parallel guesses at the same pair).
      const retryAfterMs = throttle.pairRetryAfterMs(remoteAddress, claimedId, now())
      if (retryAfterMs > 0) {
        throttled.inc({ kind: 'mqtt', scope: 'pair', action: 'refused' })
        return refuse(attempt, 'throttled', { throttled: { scope: 'pair', retryAfterMs } })
      }
      check(attempt, password)
    }, gate.delayMs).unref()
  }

  function check(attempt: Attempt, password: Buffer | undefined): void {
    const { client, username } = attempt
    const clientId = client.id
    if (username === undefined || password === undefined || username.length === 0 || password.length === 0) {
      return refuse(attempt, 'missing_credentials')
    }
    if (clientId !== username) return refuse(attempt, 'client_id_mismatch')
    if (!isValidDeviceId(clientId)) return refuse(attempt, 'invalid_client_id')

    hooks.verifyDevice(clientId, password.toString('utf8')).then(
      (device) => {
        if (device === null || device.deviceId !== clientId) return refuse(attempt, 'bad_credentials')
        throttle.recordSuccess(attempt.remoteAddress, attempt.claimedId, now())
        setIdentity(client, device)
        attempt.done(null, true)
      },
      (err: unknown) => {
        // The device store is down: say "server unavailable" (the device retries) rather than
        // "not authorized", and do not count it against the device.
        logger.error({ err, deviceId: clientId, remoteAddress: attempt.remoteAddress }, 'device verification failed')
        refuse(attempt, 'verify_failed', { returnCode: SERVER_UNAVAILABLE })
      },
    )
  }

  function refuse(attempt: Attempt, reason: RefusalReason, detail: RefusalDetail = {}): void {
    const { client, username, remoteAddress, claimedId } = attempt
    metrics.authRefused.inc({ reason })
    if (reason !== 'throttled' && reason !== 'verify_failed') {
      const outcome = throttle.recordFailure(remoteAddress, claimedId, now())
      if (outcome.pairLockMs > 0) {
        logger.warn({ deviceId: claimedId, remoteAddress, failures: outcome.pairFailures, waitMs: outcome.pairLockMs }, 'mqtt login throttled: this id from this address waits after repeated failures')
      }
      if (outcome.addressTurnedHot) {
        logger.warn({ remoteAddress, failures: outcome.addressFailures, delayMs: outcome.addressDelayMs }, 'mqtt login throttled: new ids from this address are delayed after repeated failures')
      }
    }
    logger.warn({ deviceId: client.id, username, remoteAddress, reason, ...detail.throttled }, 'mqtt connection refused')
    const err = new Error('not authorized') as AuthenticateError
    // aedes sends CONNACK with this code and closes ([MQTT-3.2.2-5]).
    err.returnCode = (detail.returnCode ?? NOT_AUTHORIZED) as AuthenticateError['returnCode']
    attempt.done(err, false)
  }
}

interface RefusalDetail {
  returnCode?: number
  /** Set for a throttled refusal: what was hot and for how much longer (logged). */
  throttled?: { scope: ThrottleScope; retryAfterMs: number }
}

interface Attempt {
  client: Client
  username: string | undefined
  remoteAddress: string
  claimedId: string
  done: AuthenticateDone
}
