import type { CameraReading, DeviceEvent, WatchReading } from '../../../rules/src/input'
import type { CommandAck } from '../ingest/types'
import { classifyDbError, describeDbError } from './db-errors'

/**
 * The rows of one telemetry batch and what the writer does when the database refuses them for
 * a data reason (DESIGN §3: "no message can affect another device's messages"): the batch is
 * halved until each offending row stands alone, that row becomes a dead letter with the reason,
 * and every other row of the batch is stored. A poisoned row among 2,000 costs about 2 × log2(2,000)
 * ≈ 22 extra statements once, instead of wedging the writer for every device.
 */
export interface TelemetryRows {
  readings: Array<WatchReading | CameraReading>
  events: DeviceEvent[]
  acks: CommandAck[]
}

/** Rows inserted per table (duplicates excluded). */
export interface TelemetryCounts {
  readings: number
  events: number
  acks: number
}

export const noRows = (): TelemetryCounts => ({ readings: 0, events: 0, acks: 0 })

export const rowCount = (rows: TelemetryRows): number => rows.readings.length + rows.events.length + rows.acks.length

/** One row refused by the database, as the dead letter that records its fate. */
export interface RefusedRow {
  tenantId: string
  deviceId: string
  /** The MQTT channel it came in on. */
  channel: 'telemetry' | 'event' | 'cmd/ack'
  /** Why, bounded: SQLSTATE or error name, and message. */
  error: string
  /** The record as JSON text, or a bounded description when it cannot be serialised. */
  record: string
}

function halve(rows: TelemetryRows): [TelemetryRows, TelemetryRows] {
  // Split the concatenation events ‖ acks ‖ readings at its middle.
  const mid = Math.floor(rowCount(rows) / 2)
  const ne = Math.min(rows.events.length, mid)
  const na = Math.min(rows.acks.length, mid - ne)
  const nr = mid - ne - na
  return [
    { events: rows.events.slice(0, ne), acks: rows.acks.slice(0, na), readings: rows.readings.slice(0, nr) },
    { events: rows.events.slice(ne), acks: rows.acks.slice(na), readings: rows.readings.slice(nr) },
  ]
}

/** JSON of a record that may be hostile (too deep to stringify, cyclic): never throws. */
function recordText(record: object): string {
  try {
    return JSON.stringify(record)
  } catch (err) {
    const r = record as { kind?: unknown; ts?: unknown; type?: unknown }
    return JSON.stringify({ kind: r.kind, ts: r.ts, type: r.type, unserialisable: describeDbError(err, 120) })
  }
}

function refused(rows: TelemetryRows, err: unknown): RefusedRow {
  const error = describeDbError(err)
  const event = rows.events[0]
  if (event) return { tenantId: event.tenantId, deviceId: event.deviceId, channel: 'event', error, record: recordText(event) }
  const ack = rows.acks[0]
  if (ack) return { tenantId: ack.tenantId, deviceId: ack.deviceId, channel: 'cmd/ack', error, record: recordText(ack) }
  const reading = rows.readings[0]!
  return { tenantId: reading.tenantId, deviceId: reading.deviceId, channel: 'telemetry', error, record: recordText(reading) }
}

/**
 * Stores `rows` with `write` (one statement; it retries transient failures itself and throws
 * only data errors). On a data error, halves and recurses; a single refused row goes to
 * `deadLetter`, which resolves once that fate is durable.
 */
export async function storeIsolating(
  rows: TelemetryRows,
  write: (rows: TelemetryRows) => Promise<TelemetryCounts>,
  deadLetter: (row: RefusedRow) => Promise<void>,
): Promise<TelemetryCounts> {
  try {
    return await write(rows)
  } catch (err) {
    if (classifyDbError(err) !== 'data') throw err
    if (rowCount(rows) === 1) {
      await deadLetter(refused(rows, err))
      return noRows()
    }
    const [first, second] = halve(rows)
    const a = await storeIsolating(first, write, deadLetter)
    const b = await storeIsolating(second, write, deadLetter)
    return { readings: a.readings + b.readings, events: a.events + b.events, acks: a.acks + b.acks }
  }
}
