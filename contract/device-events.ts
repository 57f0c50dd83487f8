/**
 * The vocabulary of DESIGN §3 without any validation library: the rule engine's input layer is
 * pure and imports these, the payload schemas (device-payloads.ts) are built from them, and the
 * simulators and scenario files speak them.
 */

export const deviceKinds = ['watch', 'camera'] as const
export type DeviceKind = (typeof deviceKinds)[number]

/** How a watch got its fix: satellite, Wi-Fi or cell towers (lbs, the coarsest). */
export const locationSources = ['gps', 'wifi', 'lbs'] as const
export type LocationSource = (typeof locationSources)[number]

/** Events a watch raises (the scenario files plant these). */
export const watchEventTypes = ['sos', 'fall', 'removed', 'worn', 'low_battery', 'power_off'] as const
export type WatchEventType = (typeof watchEventTypes)[number]
/** Events a home camera raises. */
export const cameraEventTypes = ['door_open', 'door_close'] as const

export const deviceEventTypes = [...watchEventTypes, ...cameraEventTypes] as const
export type DeviceEventType = (typeof deviceEventTypes)[number]

/** A command's acknowledgement on `cmd/ack`: received, spoken, or not possible. */
export const commandAckStatuses = ['delivered', 'played', 'failed'] as const
export type CommandAckStatus = (typeof commandAckStatuses)[number]

/** A command on `eg/v1/<id>/cmd` (DESIGN §3): the gateway sends voice prompts. */
export interface VoiceCommand {
  id: string
  type: 'voice'
  text: string
  /** BCP 47, e.g. `zh-CN`. */
  lang: string
  priority: 'normal' | 'high'
  /** ISO-8601; the device drops a prompt it receives after this. */
  expiresAt: string
}
