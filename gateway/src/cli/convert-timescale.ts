/**
 * npx tsx gateway/src/cli/convert-timescale.ts
 *
 * Converts the database at DATABASE_URL, set up on plain PostgreSQL, to TimescaleDB: the
 * telemetry tables become hypertables (every row is rewritten: minutes to hours on a large
 * database) and the hourly activity view becomes a continuous aggregate. Run it with every
 * gateway stopped, after the PostgreSQL server preloads timescaledb; then start the gateway
 * (EG_TIMESCALE=auto or on). See storage/timescale-convert.ts.
 */
import { loadConfig } from '../config'
import { isEgError } from '../errors'
import { createLogger } from '../logger'
import { openDb } from '../storage/db'
import { convertToTimescale } from '../storage/timescale-convert'

async function main(): Promise<void> {
  const config = loadConfig(process.env)
  if (config.DATABASE_URL === undefined) throw new Error('DATABASE_URL is not set: only a PostgreSQL database can be converted')
  const logger = createLogger(config.EG_LOG_LEVEL)
  const db = await openDb({ databaseUrl: config.DATABASE_URL, dataDir: config.EG_DATA_DIR, logger })
  try {
    const result = await convertToTimescale(db, logger)
    console.log(result.converted ? `converted to TimescaleDB (applied: ${result.applied.join(', ') || 'none'})` : 'already on TimescaleDB; the hourly aggregate is refreshed')
  } finally {
    await db.close()
  }
}

main().catch((err: unknown) => {
  console.error(`convert-timescale: ${isEgError(err) ? `${err.code}: ${err.message}` : (err as Error).message}`)
  process.exit(1)
})
