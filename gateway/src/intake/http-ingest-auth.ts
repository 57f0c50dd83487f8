import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { DeviceIdentity } from '../broker/index'
import type { AuthThrottle } from '../broker/throttle'
import type { ThrottledCounter } from '../broker/throttle-metrics'
import { EgError } from '../errors'
import type { DeviceAuthenticator } from '../registry/device-auth'
import { parseBasicCredentials, type BasicProblem } from './basic-credentials'

/**
 * Who may post a device's messages over HTTP (DESIGN §3c): whoever presents that device's id and
 * secret as HTTP Basic — the same credentials, checked by the same authenticator, as the
 * device's MQTT CONNECT, and behind the same failed-login throttle (broker/throttle.ts), so a
 * secret cannot be guessed over HTTP any faster than over MQTT:
 *
 * - the throttle is asked first, keyed on (client address, the id whose secret is tried): a
 *   pair that kept failing is answered 429 with Retry-After before anything is checked; an
 *   address that kept failing waits before its new ids are checked;
 * - a missing header is the challenge half of challenge-response clients: 401 with the realm,
 *   not counted; anything else that is not a right secret (another scheme, a malformed Basic
 *   header, an unknown device, a wrong secret) is 401 and counts as a failure;
 * - the right secret for another device than the path names is 403 (DEVICE_MISMATCH): the
 *   credentials are good, so telling the integrator which half is wrong leaks nothing they do
 *   not hold, and it is not counted as a guess;
 * - a registry that does not answer is 503, not counted against the device (as over MQTT).
 *
 * Runs as an onRequest hook, before the body is read: a caller without credentials never makes
 * the gateway buffer a payload. Neither the secret nor the header is ever logged.
 */
export const DEVICE_REALM = 'Basic realm="eldergate devices"'
/** A registry outage is short or it is an incident; the vendor's retry should not hammer it. */
const UNAVAILABLE_RETRY_S = 5

export interface IngestAuthDeps {
  deviceAuth: Pick<DeviceAuthenticator, 'verifyDevice'>
  throttle: AuthThrottle
  /** eg_auth_throttled_total (broker/throttle-metrics.ts), kind="http_ingest". */
  throttled: ThrottledCounter
  now: () => number
}

export type DeviceAuthentication = (request: FastifyRequest, reply: FastifyReply, pathDeviceId: string) => Promise<DeviceIdentity>

export function createIngestAuthentication(deps: IngestAuthDeps): DeviceAuthentication {
  const { deviceAuth, throttle, throttled, now } = deps

  return async function authenticateDevice(request, reply, pathDeviceId) {
    const credentials = parseBasicCredentials(request.headers.authorization)
    // The id whose secret is being tried: the Basic user name, else the device the path names.
    const claimedId = credentials.ok ? credentials.deviceId : pathDeviceId
    const remoteAddress = request.ip
    await admit(request, reply, remoteAddress, claimedId)

    if (!credentials.ok) return refuse(request, reply, claimedId, credentials.problem, credentials.problem !== 'missing')
    let device: DeviceIdentity | null
    try {
      device = await deviceAuth.verifyDevice(credentials.deviceId, credentials.secret)
    } catch (err) {
      request.log.error({ err, deviceId: claimedId, remoteAddress }, 'http ingest: device verification failed')
      reply.header('retry-after', String(UNAVAILABLE_RETRY_S))
      throw new EgError('STORAGE_UNAVAILABLE', 'device registry unavailable; retry later', { cause: err })
    }
    if (device === null || device.deviceId !== credentials.deviceId) return refuse(request, reply, claimedId, 'bad_credentials', true)
    throttle.recordSuccess(remoteAddress, claimedId, now())
    if (device.deviceId !== pathDeviceId) {
      request.log.warn({ deviceId: device.deviceId, pathDeviceId, remoteAddress }, 'http ingest refused: credentials of another device')
      throw new EgError('DEVICE_MISMATCH', `the credentials are for device ${device.deviceId}, the path names ${pathDeviceId}`)
    }
    return device
  }

  /** Resolves when the attempt may be checked; throws 429 while its pair (or its hot address) must wait. */
  async function admit(request: FastifyRequest, reply: FastifyReply, remoteAddress: string, claimedId: string): Promise<void> {
    const gate = throttle.gate(remoteAddress, claimedId, now())
    if (gate.kind === 'check') return
    if (gate.kind === 'refuse') {
      throttled.inc({ kind: 'http_ingest', scope: gate.scope, action: 'refused' })
      return tooMany(request, reply, claimedId, gate.retryAfterMs)
    }
    throttled.inc({ kind: 'http_ingest', scope: 'address', action: 'delayed' })
    request.log.debug({ deviceId: claimedId, remoteAddress, delayMs: gate.delayMs }, 'http ingest delayed: its address keeps failing')
    try {
      await sleep(gate.delayMs)
    } finally {
      gate.release()
    }
    // Failures may have landed during the wait (parallel guesses at the same pair).
    const retryAfterMs = throttle.pairRetryAfterMs(remoteAddress, claimedId, now())
    if (retryAfterMs > 0) {
      throttled.inc({ kind: 'http_ingest', scope: 'pair', action: 'refused' })
      tooMany(request, reply, claimedId, retryAfterMs)
    }
  }

  function tooMany(request: FastifyRequest, reply: FastifyReply, claimedId: string, retryAfterMs: number): never {
    request.log.warn({ deviceId: claimedId, remoteAddress: request.ip, retryAfterMs }, 'http ingest throttled: refused before the secret was checked')
    reply.header('retry-after', String(Math.max(1, Math.ceil(retryAfterMs / 1000))))
    throw new EgError('TOO_MANY_ATTEMPTS')
  }

  function refuse(request: FastifyRequest, reply: FastifyReply, claimedId: string, problem: BasicProblem | 'bad_credentials', counted: boolean): never {
    const remoteAddress = request.ip
    if (counted) {
      const outcome = throttle.recordFailure(remoteAddress, claimedId, now())
      if (outcome.pairLockMs > 0) {
        request.log.warn({ deviceId: claimedId, remoteAddress, failures: outcome.pairFailures, waitMs: outcome.pairLockMs }, 'http ingest throttled: this id from this address waits after repeated failures')
      }
      if (outcome.addressTurnedHot) {
        request.log.warn({ remoteAddress, failures: outcome.addressFailures, delayMs: outcome.addressDelayMs }, 'http ingest throttled: new ids from this address are delayed after repeated failures')
      }
    }
    // A missing header is a client asking for the challenge, not a failure worth a warning.
    request.log[counted ? 'warn' : 'debug']({ deviceId: claimedId, remoteAddress, problem }, 'http ingest refused: bad device credentials')
    reply.header('www-authenticate', DEVICE_REALM)
    throw new EgError('BAD_DEVICE_CREDENTIALS')
  }
}
