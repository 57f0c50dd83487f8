/**
 * The MQTT topics of DESIGN §3: a device publishes and subscribes only under `eg/v1/<its id>/`.
 * Pure string functions, imported by the broker's ACL, the external-broker cluster, the HTTP
 * ingest (whose channels are these topics' leaves) and the simulators.
 */

export const TOPIC_ROOT = 'eg/v1/'

/** What a device publishes on, below `eg/v1/<id>/` (`cmd/ack` spans two levels). */
export const deviceChannels = ['telemetry', 'event', 'status', 'cmd/ack'] as const
export type DeviceChannel = (typeof deviceChannels)[number]

/** Every leaf of a device's topic tree: what it publishes, and `cmd`, which it subscribes to. */
export type TopicLeaf = DeviceChannel | 'cmd'

const channelSet: ReadonlySet<string> = new Set<string>(deviceChannels)

export function isDeviceChannel(leaf: string): leaf is DeviceChannel {
  return channelSet.has(leaf)
}

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

export function topicOf(deviceId: string, leaf: TopicLeaf): string {
  return devicePrefix(deviceId) + leaf
}

export function commandTopic(deviceId: string): string {
  return topicOf(deviceId, 'cmd')
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
  return isDeviceChannel(rest) ? rest : null
}

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
