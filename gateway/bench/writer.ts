/**
 * Micro-bench of the batched telemetry writer (storage/telemetry-writer.ts): rows/s into a
 * fresh PostgreSQL database and into in-memory PGlite, batches of 2,000, all indexes of the
 * migrations in place. Target (brief): ≥ 30,000 rows/s to PostgreSQL on a 2-core machine.
 *   npx tsx gateway/bench/writer.ts [rows]     (EG_TEST_PG_URL picks the PostgreSQL server)
 */
import os from 'node:os'
import type { WatchReading } from '../../rules/src/input'
import { createPostgresDatabase, silentLogger } from '../../test/support/databases'
import { createMetrics } from '../src/metrics'
import { openDb, type Db } from '../src/storage/db'
import { migrate } from '../src/storage/migrate'
import { createTelemetryWriter } from '../src/storage/telemetry-writer'

const total = Number(process.argv[2] ?? 200_000)
const batchSize = 2_000
const devices = 500
const t0 = Date.UTC(2026, 0, 1)

/** Realistic watch readings: 500 devices reporting in turn, every field present. */
function makeReadings(n: number): WatchReading[] {
  const out: WatchReading[] = new Array(n)
  for (let i = 0; i < n; i++) {
    const d = i % devices
    out[i] = {
      kind: 'watch', tenantId: 't1', elderId: `elder-${d}`, deviceId: `watch-${d}`, ts: t0 + Math.floor(i / devices) * 1000,
      lat: 31.2 + d * 1e-4, lon: 121.4 + i * 1e-7, acc: 12.5, src: 'gps', hr: 60 + (i % 40), steps: i, bat: 80, worn: true,
    }
  }
  return out
}

async function run(name: string, db: Db): Promise<void> {
  await migrate(db, { timescale: false })
  const writer = createTelemetryWriter(db, { batchSize, flushMs: 50, bufferCapacity: 20_000, logger: silentLogger, metrics: createMetrics() })
  const readings = makeReadings(total)
  // Warm-up: plans, connections, first pages of the indexes.
  const warm = makeReadings(batchSize).map((r) => ({ ...r, ts: r.ts - 86_400_000 }))
  writer.push({ readings: warm })
  await writer.flush()
  const started = performance.now()
  const cpu = process.cpuUsage()
  // Pushed as a broker would: small uploads, honouring backpressure.
  for (let i = 0; i < total; i += 10) {
    const wait = writer.push({ readings: readings.slice(i, i + 10) })
    if (wait) await wait
  }
  await writer.close()
  const seconds = (performance.now() - started) / 1000
  const used = process.cpuUsage(cpu)
  // This process's CPU per row (for PGlite that includes the database): the machine is shared,
  // so wall-clock rows/s moves with the load average while this figure mostly does not.
  const cpuPerRow = ((used.user + used.system) / total).toFixed(1)
  const [row] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM readings')
  if (row?.n !== total + batchSize) throw new Error(`${name}: expected ${total + batchSize} rows, found ${row?.n}`)
  console.log(`${name.padEnd(10)} ${total} rows in ${seconds.toFixed(2)} s = ${Math.round(total / seconds).toLocaleString('en')} rows/s (batch ${batchSize}); process CPU ${cpuPerRow} µs/row; load average ${os.loadavg()[0]!.toFixed(1)}`)
}

const pgDatabase = await createPostgresDatabase()
try {
  const db = await openDb({ databaseUrl: pgDatabase.url, dataDir: 'unused', logger: silentLogger })
  try {
    await run('postgres', db)
  } finally {
    await db.close()
  }
} finally {
  await pgDatabase.drop()
}
const lite = await openDb({ dataDir: 'memory://', logger: silentLogger })
try {
  await run('pglite', lite)
} finally {
  await lite.close()
}
