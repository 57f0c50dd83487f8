import { createHash, timingSafeEqual } from 'node:crypto'
import { publishChannel, TOPIC_ROOT } from '../../../contract/topics'
import { maySubscribe } from '../broker/acl'
import type { DeviceIdentity } from '../broker/types'

/**
 * Who may connect to the external MQTT cluster and what they may do there: the embedded
 * broker's rules (DESIGN §3, broker/acl.ts), answered for the cluster's HTTP auth backends.
 * Two kinds of client are ours: devices (clientId = username = device id, password = device
 * secret) and gateway workers (EG_MQTT_USERNAME / EG_MQTT_PASSWORD), which are superusers
 * because they subscribe to every device's topics and publish commands.
 *
 * Every answer is a verdict: `allow`, `deny`, or `ignore` — "not ours, ask the next
 * authenticator / authorizer" (EMQX's chain). `ignore` is given only where no device and no
 * eldergate topic is at stake: for a client whose username and client id are neither a
 * registered device nor the worker account, on a topic outside `eg/v1/`. A registered device
 * gets `allow` or `deny`, never `ignore`, so no later authorizer (or EMQX's `no_match = allow`
 * default) can widen a device's topics; anyone's use of `eg/v1/…` is ours to decide, so
 * strangers are denied there. Brokers without a chain (mosquitto-go-auth) read `ignore` as deny.
 */
export interface ClusterAccessDeps {
  verifyDevice(deviceId: string, secret: string): Promise<DeviceIdentity | null>
  /** A registered device by id (no secret): tells "one of ours, wrong secret" from "not ours". */
  lookupDevice(deviceId: string): Promise<DeviceIdentity | null>
  /** The workers' own MQTT account; unset: no client is a worker (e.g. anonymous test brokers). */
  worker?: { username: string; password: string } | undefined
}

export type Access = 'read' | 'write' | 'subscribe'
export type Verdict = 'allow' | 'deny' | 'ignore'

/** Why a verdict was given: logged by the endpoints, and asserted by tests. */
export type VerdictReason =
  | 'device'
  | 'worker'
  | 'wrong_secret'
  | 'client_id_mismatch'
  | 'own_topic'
  | 'foreign_topic'
  | 'eldergate_topic'
  | 'not_ours'

export interface Decision {
  verdict: Verdict
  reason: VerdictReason
  /** Only a worker is a superuser (EMQX `is_superuser`, go-auth's superuser check). */
  superuser: boolean
}

/** Equal-time comparison of two secrets of any length (digests first, so lengths do not leak). */
export function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest()
  const b = createHash('sha256').update(expected).digest()
  return timingSafeEqual(a, b)
}

/**
 * Whether a topic or filter can reach `eg/v1/…` — literally, or through `+`/`#` in its first
 * two levels — including shared (`$share/<group>/…`), queued (`$queue/…`) and exclusive
 * (`$exclusive/…`) subscriptions of such a filter.
 */
export function mayReachEldergateTopics(topic: string): boolean {
  let filter = topic
  if (filter.startsWith('$share/')) {
    const end = filter.indexOf('/', '$share/'.length)
    if (end === -1) return false
    filter = filter.slice(end + 1)
  } else if (filter.startsWith('$queue/')) filter = filter.slice('$queue/'.length)
  else if (filter.startsWith('$exclusive/')) filter = filter.slice('$exclusive/'.length)
  const levels = filter.split('/')
  const root = TOPIC_ROOT.split('/').filter((l) => l !== '') // ['eg', 'v1']
  for (let i = 0; i < root.length; i++) {
    const level = levels[i]
    if (level === undefined) return false
    if (level === '#') return true
    if (level !== '+' && level !== root[i]) return false
  }
  return levels.length > root.length
}

const decide = (verdict: Verdict, reason: VerdictReason, superuser = false): Decision => ({ verdict, reason, superuser })

export function createClusterAccess(deps: ClusterAccessDeps) {
  const isWorker = (username: string | undefined) => deps.worker !== undefined && username === deps.worker.username
  const isDevice = async (id: string | undefined) => id !== undefined && id !== '' && (await deps.lookupDevice(id)) !== null

  return {
    isWorker,

    /**
     * CONNECT: a worker with the worker password, or a registered device presenting its own id
     * as username — and as client id, when the broker's request carries one (EMQX sends only the
     * fields its body template names; its documented example has no client id) — and its secret.
     */
    async authenticate(c: { clientid?: string | undefined; username?: string | undefined; password?: string | undefined }): Promise<Decision> {
      const password = c.password ?? ''
      if (deps.worker !== undefined && isWorker(c.username)) {
        return sameSecret(password, deps.worker.password) ? decide('allow', 'worker', true) : decide('deny', 'wrong_secret')
      }
      const clientid = c.clientid === '' ? undefined : c.clientid
      if (await isDevice(c.username)) {
        if (clientid !== undefined && clientid !== c.username) return decide('deny', 'client_id_mismatch')
        const device = c.username === undefined || password === '' ? null : await deps.verifyDevice(c.username, password)
        return device !== null ? decide('allow', 'device') : decide('deny', 'wrong_secret')
      }
      // A device's id as the client id of anyone else would take over that device's session.
      if (await isDevice(clientid)) return decide('deny', 'client_id_mismatch')
      return decide('ignore', 'not_ours')
    },

    /**
     * PUBLISH / SUBSCRIBE / delivery: a worker anywhere; a device only on its own topics —
     * publish on its four device → gateway channels (never its cmd topic: commands come from
     * the gateway alone), subscribe and receive under its own prefix; anything else denied.
     */
    async authorize(c: { clientid?: string | undefined; username?: string | undefined; topic: string }, access: readonly Access[]): Promise<Decision> {
      if (isWorker(c.username)) return decide('allow', 'worker', true)
      const deviceId = c.username
      if (deviceId !== undefined && (await isDevice(deviceId))) {
        if (c.clientid !== undefined && c.clientid !== '' && c.clientid !== deviceId) return decide('deny', 'client_id_mismatch')
        const ok = access.every((a) => (a === 'write' ? publishChannel(deviceId, c.topic) !== null : maySubscribe(deviceId, c.topic)))
        return ok ? decide('allow', 'own_topic') : decide('deny', 'foreign_topic')
      }
      if (await isDevice(c.clientid)) return decide('deny', 'client_id_mismatch')
      return mayReachEldergateTopics(c.topic) ? decide('deny', 'eldergate_topic') : decide('ignore', 'not_ours')
    },
  }
}

export type ClusterAccess = ReturnType<typeof createClusterAccess>
