import type { DeviceEventType, DeviceKind, LocationSource } from '../../contract/device-events'

/**
 * What the rule engine consumes: readings already decoded, validated and enriched by the
 * gateway (DESIGN §2: decode → filter → enrich → detect). Times are epoch milliseconds,
 * event time as reported by the device. Plain data only: these are also what the gateway
 * persists and what the backtester replays.
 */
export type { DeviceEventType, DeviceKind, LocationSource }

interface InputBase {
  tenantId: string
  elderId: string
  deviceId: string
  /** Event time, epoch ms. */
  ts: number
  /**
   * When it reached the gateway, on the rule clock (epoch ms): the wall clock under
   * EG_CLOCK=wall, the tenant's event clock at the moment of arrival under EG_CLOCK=event.
   * Silence rules measure delivery by it (DESIGN §5); absent, the event time stands in.
   */
  arrivedAt?: number
}

/** One watch reading; every field but ts optional (DESIGN §3). */
export interface WatchReading extends InputBase {
  kind: 'watch'
  lat?: number
  lon?: number
  /** Horizontal accuracy in metres. */
  acc?: number
  src?: LocationSource
  hr?: number
  steps?: number
  bat?: number
  worn?: boolean
  /** Blood oxygen saturation, percent. */
  spo2?: number
  /** Blood pressure, mmHg: systolic and diastolic, each possibly alone (dia < sys when both). */
  sys?: number
  dia?: number
  /** Body temperature, °C. */
  temp?: number
}

/** One camera reading at the elder's home. */
export interface CameraReading extends InputBase {
  kind: 'camera'
  /** The elder is seen at home. */
  presence?: boolean
  persons?: number
  /** Unrecognised people in view. */
  strangers?: number
  motion?: boolean
}

/** A discrete device event. */
export interface DeviceEvent extends InputBase {
  kind: 'event'
  deviceKind: DeviceKind
  type: DeviceEventType
  /** Extra fields the device sent, kept as evidence. */
  detail?: Record<string, unknown>
}

export type RuleInput = WatchReading | CameraReading | DeviceEvent
