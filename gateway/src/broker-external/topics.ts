import { TOPIC_ROOT, type DeviceChannel } from '../../../contract/topics'

/**
 * The cluster-side view of the DESIGN §3 topics: which filters a gateway worker subscribes to.
 * Which device and channel a received topic belongs to is the contract's `parseDeviceTopic`.
 */

/**
 * Device → gateway data, shared among the workers of `group` (MQTT 5 `$share`): the broker gives
 * each message to one worker of the group. Status is not among them, see statusFilter.
 */
export function sharedFilters(group: string): string[] {
  return (['telemetry', 'event', 'cmd/ack'] as const satisfies readonly DeviceChannel[]).map((channel) => `$share/${group}/${TOPIC_ROOT}+/${channel}`)
}

/**
 * Status is subscribed by every worker, unshared: each worker needs the whole online picture
 * (any worker's API may send a voice prompt, and the dispatcher sends only to online devices),
 * and only a non-shared subscription receives the retained statuses when a worker starts
 * (MQTT 5 §4.8.2: no retained messages for shared subscriptions). Acting on it N times is
 * harmless: the online flag is idempotent in storage and commands are at-least-once anyway.
 */
export const statusFilter = `${TOPIC_ROOT}+/status`
