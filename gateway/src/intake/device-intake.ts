import type { CameraReading, DeviceEvent, RuleInput, WatchReading } from '../../../rules/src/input'
import type { DeviceChannel, DeviceIdentity, MessageOutcome } from '../broker/index'
import type { DecodeLimits } from '../ingest/decode'
import { decodeMessage } from '../ingest/decode'
import type { CommandAck, Decoded, Rejection, StatusChange } from '../ingest/types'
import type { Metrics } from '../metrics'

/**
 * The ordered intake pipeline for one device message (DESIGN §2, the Traccar model):
 * decode → filter (validation; rejects counted and dead-lettered) → enrich (the identity the
 * broker authenticated carries tenant and elder) → detect (queued to the rule engine, never
 * waiting on storage) → persist (group-committing writer).
 *
 * What onMessage's promise means is what a PUBACK means (DESIGN §3 "Acceptance is durable"):
 * for QoS 1 it resolves once the message's fate is durable — its rows committed, its rejection
 * (or the part of it that was rejected) committed as a dead letter. The broker holds the PUBACK
 * and stops reading that device's socket until then, which is also the backpressure of a slow
 * database. QoS 0 is not acknowledged to anyone: it waits only when the writer's buffer is full.
 * A status message is the device's retained will (kept by the broker) and answers at once.
 *
 * A message rejected as a whole answers with its refusal once the dead letter is durable: the
 * broker still acknowledges it (its fate is durable), routes and retains nothing, and tells
 * MQTT 5 devices why in the PUBACK reason code. One with some elements kept is accepted. Both
 * answers carry the rejections (`rejected`) for senders that can be told why in words (HTTP
 * ingest); a message taken whole answers nothing, so the hot path allocates no answer.
 */
export interface IntakeSinks {
  writer: {
    push(
      batch: { readings?: ReadonlyArray<WatchReading | CameraReading>; events?: ReadonlyArray<DeviceEvent>; acks?: ReadonlyArray<CommandAck> },
      opts?: { durable?: boolean },
    ): void | Promise<void>
  }
  deadLetters: {
    record(
      letter: { tenantId?: string; deviceId?: string; channel: string; reason: string; message: string; payload: Buffer },
      opts?: { durable?: boolean },
    ): void | Promise<void>
  }
  activity: { seen(deviceId: string, at: number, battery?: number): void; setOnline(deviceId: string, online: boolean, at: number): void }
  /** Per-device rejected-message counts (storage/device-rejections.ts): one per dead letter. */
  rejections?: { rejected(deviceId: string, at: number, reason: string): void }
  detection: { submit(inputs: readonly RuleInput[]): void }
  /** The newest fix per elder, seen before the writer stores it (intake/latest-fixes.ts: notices read it). */
  latestFixes?: { observe(readings: ReadonlyArray<WatchReading | CameraReading>): void }
  onStatus?: (device: DeviceIdentity, status: StatusChange) => void
  onAcks?: (acks: CommandAck[]) => void
}

export interface DeviceIntake {
  /** `qos` as published: 1 (or 2) waits for durability, 0 only for room. Defaults to 1, the safe reading. */
  onMessage(device: DeviceIdentity, channel: DeviceChannel, payload: Buffer, qos?: 0 | 1 | 2): MessageOutcome | Promise<MessageOutcome>
}

const settled = (): void => undefined

/** A limit (size, elements per upload) says "quota"; anything else about the payload, "format". */
function refusal(rejected: readonly Rejection[]): MessageOutcome {
  const reason = rejected[0]?.reason
  return { refused: reason === 'oversize' || reason === 'too_many' ? 'quota_exceeded' : 'payload_format_invalid', rejected }
}

/** `outcome` once `pending` (the commit, the dead letter) is durable; at once when nothing waits. */
function once(pending: void | Promise<unknown>, outcome: MessageOutcome): MessageOutcome | Promise<MessageOutcome> {
  if (pending === undefined) return outcome
  return pending.then(outcome === undefined ? settled : () => outcome)
}

export function createDeviceIntake(sinks: IntakeSinks, metrics: Metrics, limits: DecodeLimits, clock: () => number = Date.now): DeviceIntake {
  const accepted = metrics.acceptedTally satisfies Record<DeviceChannel, number>

  function reject(device: DeviceIdentity, channel: DeviceChannel, payload: Buffer, decoded: Decoded, receivedAt: number, durable: boolean): void | Promise<void> {
    for (const r of decoded.rejections) metrics.messagesRejected.inc({ reason: r.reason })
    const first = decoded.rejections[0]
    if (!first) return
    const more = decoded.rejections.length > 1 ? ` (+${decoded.rejections.length - 1} more)` : ''
    const where = first.index === undefined ? '' : `[${first.index}] `
    // Counted per message, like the dead letter: a buffered upload with some bad readings is one.
    sinks.rejections?.rejected(device.deviceId, receivedAt, first.reason)
    return sinks.deadLetters.record(
      { tenantId: device.tenantId, deviceId: device.deviceId, channel, reason: first.reason, message: `${where}${first.message}${more}`, payload },
      { durable },
    )
  }

  return {
    onMessage(device, channel, payload, qos = 1) {
      const receivedAt = clock()
      const durable = qos > 0
      const decoded = decodeMessage(device, channel, payload, receivedAt, limits)
      const lettered = decoded.rejections.length > 0 ? reject(device, channel, payload, decoded, receivedAt, durable) : undefined
      const { readings, events, acks, status } = decoded
      const count = readings.length + events.length + acks.length + (status ? 1 : 0)
      if (count === 0) return once(lettered, refusal(decoded.rejections))
      accepted[channel] += count

      let battery: number | undefined
      for (const r of readings) if (r.kind === 'watch' && r.bat !== undefined) battery = r.bat
      sinks.activity.seen(device.deviceId, receivedAt, battery)
      if (status) {
        sinks.activity.setOnline(device.deviceId, status.online, receivedAt)
        sinks.onStatus?.(device, status)
      }
      if (acks.length > 0) sinks.onAcks?.(acks)

      if (readings.length > 0) sinks.latestFixes?.observe(readings)
      if (readings.length > 0 || events.length > 0) {
        sinks.detection.submit(events.length === 0 ? readings : readings.length === 0 ? events : [...readings, ...events])
      }
      // Taken, with some parts dead-lettered: say which (an event whose oversize detail was dropped counts too).
      const partly: MessageOutcome = decoded.rejections.length === 0 ? undefined : { rejected: decoded.rejections }
      if (readings.length === 0 && events.length === 0 && acks.length === 0) return once(lettered, partly)
      const stored = sinks.writer.push({ readings, events, acks }, { durable })
      // Without rejections there is no dead letter: the writer's answer is returned as it is.
      if (partly === undefined) return stored
      return once(stored === undefined ? lettered : lettered === undefined ? stored : Promise.all([stored, lettered]), partly)
    },
  }
}
