import { TOPIC_ROOT, isValidDeviceId, publishChannel } from '../broker/acl'
import type { DeviceChannel } from '../broker/types'

/**
 * The cluster-side view of the DESIGN §3 topics: which filters a gateway worker subscribes to,
 * and which device and channel a received topic belongs to.
 */

/**
 * Device → gateway data, shared among the workers of `group` (MQTT 5 `$share`): the broker gives
 * each message to one worker of the group. Status is not among them, see statusFilter.
 */
export function sharedFilters(group: string): string[] {
  return ['telemetry', 'event', 'cmd/ack'].map((channel) => `$share/${group}/${TOPIC_ROOT}+/${channel}`)
}

/**
 * Status is subscribed by every worker, unshared: each worker needs the whole online picture
 * (any worker's API may send a voice prompt, and the dispatcher sends only to online devices),
 * and only a non-shared subscription receives the retained statuses when a worker starts
 * (MQTT 5 §4.8.2: no retained messages for shared subscriptions). Acting on it N times is
 * harmless: the online flag is idempotent in storage and commands are at-least-once anyway.
 */
export const statusFilter = `${TOPIC_ROOT}+/status`

/** `eg/v1/<deviceId>/<channel>` → its parts; null for anything else (not a device topic of §3). */
export function parseDeviceTopic(topic: string): { deviceId: string; channel: DeviceChannel } | null {
  if (!topic.startsWith(TOPIC_ROOT)) return null
  const end = topic.indexOf('/', TOPIC_ROOT.length)
  if (end === -1) return null
  const deviceId = topic.slice(TOPIC_ROOT.length, end)
  if (!isValidDeviceId(deviceId)) return null
  const channel = publishChannel(deviceId, topic)
  return channel === null ? null : { deviceId, channel }
}
