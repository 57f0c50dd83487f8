import type { DeviceChannel } from './types.js'

/**
 * The topic ACL of DESIGN §3: a device may publish and subscribe only under `eg/v1/<its id>/`.
 * Pure string functions so the rules are unit-tested without a broker.
 */

export const TOPIC_ROOT = 'eg/v1/'

const deviceChannels: ReadonlySet<string> = new Set<DeviceChannel>(['telemetry', 'event', 'status', 'cmd/ack'])

/**
 * A device id is one topic level of plain characters: `/` would let one id reach into another's
 * tree (`a/b` vs `a`), `+`/`#` would turn our own prefix into a wildcard, `$` marks broker topics,
 * and NUL is forbidden in MQTT strings. Such ids are refused at CONNECT.
 */
export function isValidDeviceId(deviceId: string): boolean {
  if (deviceId.length === 0 || deviceId.length > 128) return false
  for (let i = 0; i < deviceId.length; i++) {
    const c = deviceId.charCodeAt(i)
    // '/', '+', '#', '$', NUL
    if (c === 47 || c === 43 || c === 35 || c === 36 || c === 0) return false
  }
  return true
}

export function devicePrefix(deviceId: string): string {
  return TOPIC_ROOT + deviceId + '/'
}

export function commandTopic(deviceId: string): string {
  return devicePrefix(deviceId) + 'cmd'
}

/**
 * The channel a device may publish `topic` on, or null when the ACL refuses it
 * (another device's topic, an unknown channel, `$SYS`, anything outside eg/v1).
 * Hot path: one prefix compare and one set lookup, no split.
 */
export function publishChannel(deviceId: string, topic: string): DeviceChannel | null {
  const prefix = devicePrefix(deviceId)
  if (!topic.startsWith(prefix)) return null
  const rest = topic.slice(prefix.length)
  return deviceChannels.has(rest) ? (rest as DeviceChannel) : null
}

/**
 * Whether a device may subscribe to `filter`: only filters under its own prefix. Wildcards are
 * fine after the prefix (`eg/v1/<id>/#`), but not in place of the id (`eg/v1/+/cmd`, `#`), and
 * shared subscriptions (`$share/...`) fall outside the prefix too.
 */
export function maySubscribe(deviceId: string, filter: string): boolean {
  return filter.startsWith(devicePrefix(deviceId))
}
