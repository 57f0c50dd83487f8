import type { CameraReading, DeviceEvent, RuleInput, WatchReading } from '../../../rules/src/input'
import type { DeviceChannel, DeviceIdentity } from '../broker/index'
import type { DecodeLimits } from '../ingest/decode'
import { decodeMessage } from '../ingest/decode'
import type { CommandAck, Decoded, StatusChange } from '../ingest/types'
import type { Metrics } from '../metrics'

/**
 * The ordered intake pipeline for one device message (DESIGN §2, the Traccar model):
 * decode → filter (validation; rejects counted and dead-lettered) → enrich (the identity the
 * broker authenticated carries tenant and elder) → detect (queued to the rule engine, never
 * waiting on storage) → persist (batched writer; its backpressure is returned to the broker,
 * which then withholds the PUBACK and stops reading that device's socket).
 */
export interface IntakeSinks {
  writer: { push(batch: { readings?: ReadonlyArray<WatchReading | CameraReading>; events?: ReadonlyArray<DeviceEvent>; acks?: ReadonlyArray<CommandAck> }): void | Promise<void> }
  deadLetters: { record(letter: { tenantId?: string; deviceId?: string; channel: string; reason: string; message: string; payload: Buffer }): void }
  activity: { seen(deviceId: string, at: number, battery?: number): void; setOnline(deviceId: string, online: boolean, at: number): void }
  /** Per-device rejected-message counts (storage/device-rejections.ts): one per dead letter. */
  rejections?: { rejected(deviceId: string, at: number, reason: string): void }
  detection: { submit(inputs: readonly RuleInput[]): void }
  onStatus?: (device: DeviceIdentity, status: StatusChange) => void
  onAcks?: (acks: CommandAck[]) => void
}

export interface DeviceIntake {
  onMessage(device: DeviceIdentity, channel: DeviceChannel, payload: Buffer): void | Promise<void>
}

export function createDeviceIntake(sinks: IntakeSinks, metrics: Metrics, limits: DecodeLimits, clock: () => number = Date.now): DeviceIntake {
  const accepted = {
    telemetry: metrics.messagesAccepted.labels('telemetry'),
    event: metrics.messagesAccepted.labels('event'),
    status: metrics.messagesAccepted.labels('status'),
    'cmd/ack': metrics.messagesAccepted.labels('cmd/ack'),
  } satisfies Record<DeviceChannel, unknown>

  function reject(device: DeviceIdentity, channel: DeviceChannel, payload: Buffer, decoded: Decoded, receivedAt: number): void {
    for (const r of decoded.rejections) metrics.messagesRejected.inc({ reason: r.reason })
    const first = decoded.rejections[0]
    if (!first) return
    const more = decoded.rejections.length > 1 ? ` (+${decoded.rejections.length - 1} more)` : ''
    const where = first.index === undefined ? '' : `[${first.index}] `
    sinks.deadLetters.record({
      tenantId: device.tenantId,
      deviceId: device.deviceId,
      channel,
      reason: first.reason,
      message: `${where}${first.message}${more}`,
      payload,
    })
    // Counted per message, like the dead letter: a buffered upload with some bad readings is one.
    sinks.rejections?.rejected(device.deviceId, receivedAt, first.reason)
  }

  return {
    onMessage(device, channel, payload) {
      const receivedAt = clock()
      const decoded = decodeMessage(device, channel, payload, receivedAt, limits)
      if (decoded.rejections.length > 0) reject(device, channel, payload, decoded, receivedAt)
      const { readings, events, acks, status } = decoded
      const count = readings.length + events.length + acks.length + (status ? 1 : 0)
      if (count === 0) return
      accepted[channel].inc(count)

      let battery: number | undefined
      for (const r of readings) if (r.kind === 'watch' && r.bat !== undefined) battery = r.bat
      sinks.activity.seen(device.deviceId, receivedAt, battery)
      if (status) {
        sinks.activity.setOnline(device.deviceId, status.online, receivedAt)
        sinks.onStatus?.(device, status)
      }
      if (acks.length > 0) sinks.onAcks?.(acks)

      if (readings.length > 0 || events.length > 0) {
        sinks.detection.submit(events.length === 0 ? readings : readings.length === 0 ? events : [...readings, ...events])
      }
      if (readings.length === 0 && events.length === 0 && acks.length === 0) return
      return sinks.writer.push({ readings, events, acks })
    },
  }
}
