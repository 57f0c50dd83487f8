/**
 * Types of the decode-and-validate step (DESIGN §2: decode → filter → enrich → detect).
 * The step is pure: bytes in, typed records and rejections out; no I/O, no clock.
 */
import type { CameraReading, DeviceEvent, WatchReading } from '../../../rules/src/input'
import type { CommandAckStatus, DeviceKind } from '../../../contract/device-events'
import type { DeviceChannel } from '../../../contract/topics'
import type { Crs } from '../geo/crs'

export type { DeviceChannel }

/** Who sent the message, as resolved by the broker's authentication (never from the payload). */
export interface DeviceIdentity {
  deviceId: string
  tenantId: string
  elderId: string
  kind: DeviceKind
  /**
   * The coordinate system the device reports positions in (DESIGN §4); absent = wgs84. The
   * intake converts its fixes to WGS-84 (ingest/device-crs.ts), so nothing after it sees another.
   */
  crs?: Crs
}

/** Stable reason codes: they label the rejected-messages metric and the dead-letter store. */
export type RejectReason =
  | 'oversize'
  | 'not_json'
  | 'empty'
  | 'bad_shape'
  | 'out_of_range'
  | 'bad_ts'
  | 'future_ts'
  | 'too_many'
  | 'bad_status'
  /** An event's extra fields nested or sized beyond the bounds: the detail is dropped, the event kept. */
  | 'too_deep'
  | 'too_large'

export interface Rejection {
  reason: RejectReason
  /** Short and names the field, e.g. "hr: must be ≤ 250". */
  message: string
  /** Element of an array upload; absent for a single object. */
  index?: number
}

export interface CommandAck {
  tenantId: string
  elderId: string
  deviceId: string
  commandId: string
  status: CommandAckStatus
  ts: number
}

export interface StatusChange {
  deviceId: string
  online: boolean
}

export interface DecodeLimits {
  maxPayloadBytes: number
  maxFutureSkewMs: number
  /** Elements per array upload. */
  maxBatch: number
  /** Nesting levels of an event's extra fields (the detail object is level 1). */
  maxDetailDepth: number
  /** UTF-8 bytes of an event's extra fields as JSON. */
  maxDetailBytes: number
}

export interface Decoded {
  readings: Array<WatchReading | CameraReading>
  events: DeviceEvent[]
  acks: CommandAck[]
  status: StatusChange | null
  rejections: Rejection[]
}
