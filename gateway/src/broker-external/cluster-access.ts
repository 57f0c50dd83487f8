import { createHash, timingSafeEqual } from 'node:crypto'
import { maySubscribe, publishChannel } from '../broker/acl'
import type { DeviceIdentity } from '../broker/types'

/**
 * Who may connect to the external MQTT cluster and what they may do there: the embedded
 * broker's rules (DESIGN §3, broker/acl.ts), answered for the cluster's HTTP auth backends.
 * Two kinds of client: devices (clientId = username = device id, password = device secret)
 * and gateway workers (EG_MQTT_USERNAME / EG_MQTT_PASSWORD), which are superusers because they
 * subscribe to every device's topics and publish commands.
 */
export interface ClusterAccessDeps {
  verifyDevice(deviceId: string, secret: string): Promise<DeviceIdentity | null>
  /** The workers' own MQTT account; unset: no client is a worker (e.g. anonymous test brokers). */
  worker?: { username: string; password: string } | undefined
}

export type Access = 'read' | 'write' | 'subscribe'

/** Equal-time comparison of two secrets of any length (digests first, so lengths do not leak). */
export function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest()
  const b = createHash('sha256').update(expected).digest()
  return timingSafeEqual(a, b)
}

export function createClusterAccess(deps: ClusterAccessDeps) {
  const isWorker = (username: string | undefined) => deps.worker !== undefined && username === deps.worker.username

  return {
    isWorker,

    /** CONNECT: a worker with the worker password, or a registered device presenting its own id twice and its secret. */
    async authenticate(c: { clientid: string; username?: string | undefined; password?: string | undefined }): Promise<{ allow: boolean; superuser: boolean }> {
      const password = c.password ?? ''
      if (deps.worker !== undefined && isWorker(c.username)) {
        return { allow: sameSecret(password, deps.worker.password), superuser: true }
      }
      if (c.username === undefined || c.username !== c.clientid) return { allow: false, superuser: false }
      return { allow: (await deps.verifyDevice(c.username, password)) !== null, superuser: false }
    },

    /**
     * PUBLISH / SUBSCRIBE / delivery: a worker anywhere; a device only on its own topics —
     * publish on its four device → gateway channels (never its cmd topic: commands come from
     * the gateway alone), subscribe and receive under its own prefix.
     */
    authorize(c: { clientid?: string | undefined; username?: string | undefined; topic: string }, access: readonly Access[]): boolean {
      if (isWorker(c.username)) return true
      const deviceId = c.username
      if (deviceId === undefined || (c.clientid !== undefined && c.clientid !== deviceId)) return false
      return access.every((a) => (a === 'write' ? publishChannel(deviceId, c.topic) !== null : maySubscribe(deviceId, c.topic)))
    },
  }
}

export type ClusterAccess = ReturnType<typeof createClusterAccess>
