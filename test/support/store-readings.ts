import type { CameraReading, WatchReading } from '../../rules/src/input'
import { createMetrics } from '../../gateway/src/metrics'
import type { Db } from '../../gateway/src/storage/db'
import { createTelemetryWriter } from '../../gateway/src/storage/telemetry-writer'
import { silentLogger } from './databases'

/**
 * Readings stored the way the gateway stores them: through the telemetry writer, which also
 * records each (elder, device) pair the elder queries read through (migration 021). A raw
 * INSERT INTO readings would leave them out, as no device does.
 */
export async function storeReadings(db: Db, readings: ReadonlyArray<WatchReading | CameraReading>): Promise<void> {
  const writer = createTelemetryWriter(db, { batchSize: 1_000, flushMs: 0, bufferCapacity: 10_000, logger: silentLogger, metrics: createMetrics() })
  await writer.push({ readings }, { durable: true })
  await writer.close()
}
