import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { adminUrl, createPostgresDatabase, silentLogger, type TestDatabase } from '../../../test/support/databases'
import { startTestGateway } from '../../../test/support/gateway'
import {
  createDatabaseOn,
  findPrivateBinaries,
  findTimescaleServer,
  offersTimescale,
  startUnpreloadedServer,
  suiteFor,
  type LocalServer,
} from '../../../test/support/timescale-servers'
import { loadConfig } from '../../src/config'
import { createLogger } from '../../src/logger'
import { openDb, type Db } from '../../src/storage/db'
import { detectTimescale, migrate } from '../../src/storage/migrate'
import { readStorageVariant } from '../../src/storage/storage-variant'
import { resolveTimescale, type TimescaleMode } from '../../src/storage/timescale-mode'

/**
 * EG_TIMESCALE on real servers: the TimescaleDB test server (preloads the extension), a
 * throwaway server that offers it without preloading it, and the system PostgreSQL (does not
 * offer it). Each case gets a fresh database.
 */
interface LogLine {
  level: number
  msg: string
  reason?: string
}

function capturingLogger(): { logger: ReturnType<typeof createLogger>; lines: LogLine[] } {
  const lines: LogLine[] = []
  return { lines, logger: createLogger('info', { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) }) }
}

const WARN = 40
const INFO = 30

async function withDatabase<T>(database: TestDatabase, fn: (db: Db) => Promise<T>): Promise<T> {
  const db = await openDb({ databaseUrl: database.url, dataDir: 'unused', logger: silentLogger })
  try {
    return await fn(db)
  } finally {
    await db.close()
    await database.drop()
  }
}

async function decide(db: Db, mode: TimescaleMode) {
  const { logger, lines } = capturingLogger()
  const timescale = await resolveTimescale(db, mode, logger)
  return { timescale, lines }
}

async function extensionInstalled(db: Db): Promise<boolean> {
  return (await db.query("SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'")).length > 0
}

async function hypertables(db: Db): Promise<string[]> {
  if (!(await extensionInstalled(db))) return []
  const rows = await db.query<{ hypertable_name: string }>('SELECT hypertable_name FROM timescaledb_information.hypertables ORDER BY 1')
  return rows.map((r) => r.hypertable_name)
}

describe('EG_TIMESCALE configuration', () => {
  it('defaults to auto, and a bad value stops start-up with one line naming the variable', () => {
    expect(loadConfig({}).EG_TIMESCALE).toBe('auto')
    expect(loadConfig({ EG_TIMESCALE: 'off' }).EG_TIMESCALE).toBe('off')
    expect(() => loadConfig({ EG_TIMESCALE: 'yes' })).toThrow(/^EG_TIMESCALE="yes": /)
    expect(() => loadConfig({ EG_TIMESCALE: 'yes' })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }))
  })

  it('refuses on without DATABASE_URL: PGlite has no TimescaleDB', () => {
    expect(() => loadConfig({ EG_TIMESCALE: 'on' })).toThrow(/EG_TIMESCALE=on needs DATABASE_URL/)
    expect(loadConfig({ EG_TIMESCALE: 'on', DATABASE_URL: 'postgres://x@h/d' }).EG_TIMESCALE).toBe('on')
  })
})

describe('EG_TIMESCALE on PGlite', () => {
  it('is always plain, says nothing, and refuses on', async () => {
    const db = await openDb({ dataDir: 'memory://', logger: silentLogger })
    try {
      expect(await decide(db, 'auto')).toEqual({ timescale: false, lines: [] })
      expect(await decide(db, 'off')).toEqual({ timescale: false, lines: [] })
      await expect(resolveTimescale(db, 'on', silentLogger)).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('PGlite') })
      expect(await detectTimescale(db)).toBe(false)
    } finally {
      await db.close()
    }
  })
})

const systemOffers = await offersTimescale(adminUrl)
describe.skipIf(systemOffers)(systemOffers ? 'EG_TIMESCALE where the extension is not offered — skipped: EG_TEST_PG_URL offers timescaledb' : 'EG_TIMESCALE where the extension is not offered (system PostgreSQL)', () => {
  it('auto runs plain with one info line: not offered, how to enable, stays plain', async () => {
    await withDatabase(await createPostgresDatabase(), async (db) => {
      const { timescale, lines } = await decide(db, 'auto')
      expect(timescale).toBe(false)
      expect(lines).toHaveLength(1)
      expect(lines[0]).toMatchObject({ level: INFO, reason: 'not-offered' })
      expect(lines[0]?.msg).toMatch(/does not offer the timescaledb extension/)
      expect(lines[0]?.msg).toMatch(/install TimescaleDB .*, set shared_preload_libraries = 'timescaledb' in postgresql\.conf and restart PostgreSQL, then restart the gateway/)
      expect(lines[0]?.msg).toMatch(/stays plain after that .*convert-timescale/)
      await migrate(db, { timescale })
      expect(await readStorageVariant(db)).toBe('plain')
      expect(await detectTimescale(db)).toBe(false)
    })
  })

  it('on refuses, naming shared_preload_libraries and saying the extension is not offered', async () => {
    await withDatabase(await createPostgresDatabase(), async (db) => {
      const refused = resolveTimescale(db, 'on', silentLogger)
      await expect(refused).rejects.toMatchObject({ code: 'CONFIG_INVALID' })
      await expect(refused).rejects.toThrow(/^EG_TIMESCALE=on, but this PostgreSQL server does not offer the timescaledb extension.*shared_preload_libraries/)
    })
  })
})

const timescaleServer = await findTimescaleServer()
const onTimescale = suiteFor('EG_TIMESCALE on a server that preloads TimescaleDB', timescaleServer)
describe.skipIf(onTimescale.skip)(onTimescale.title, () => {
  beforeAll(() => onTimescale.check())
  const fresh = () => createDatabaseOn(timescaleServer.url!)

  it('auto uses it silently: extension created, hypertables after migrating', async () => {
    await withDatabase(await fresh(), async (db) => {
      expect(await decide(db, 'auto')).toEqual({ timescale: true, lines: [] })
      expect(await extensionInstalled(db)).toBe(true)
      await migrate(db, { timescale: true })
      expect(await hypertables(db)).toEqual(['command_acks', 'device_events', 'readings'])
      expect(await readStorageVariant(db)).toBe('timescale')
      // The next start decides the same; off cannot run a TimescaleDB database.
      expect(await decide(db, 'auto')).toEqual({ timescale: true, lines: [] })
      expect(await decide(db, 'on')).toEqual({ timescale: true, lines: [] })
      await expect(resolveTimescale(db, 'off', silentLogger)).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringMatching(/^EG_TIMESCALE=off, but this database was set up with TimescaleDB/) })
    })
  })

  it('drives the gateway start: on gets hypertables; off then refuses that database', async () => {
    const database = await fresh()
    try {
      const running = await startTestGateway({ database, env: { EG_TIMESCALE: 'on' } })
      expect(await hypertables(running.gateway.db)).toEqual(['command_acks', 'device_events', 'readings'])
      await running.stop()
      await expect(startTestGateway({ database, env: { EG_TIMESCALE: 'off' } })).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('EG_TIMESCALE=off') })
    } finally {
      await database.drop()
    }
  })

  it('off never creates the extension and migrates plain', async () => {
    await withDatabase(await fresh(), async (db) => {
      expect(await decide(db, 'off')).toEqual({ timescale: false, lines: [] })
      const applied = await migrate(db, { timescale: false })
      expect(applied).toContain('011_aggregates_hourly.plain')
      expect(applied.some((v) => v.endsWith('.timescale'))).toBe(false)
      expect(await extensionInstalled(db)).toBe(false)
      expect(await readStorageVariant(db)).toBe('plain')
    })
  })
})

const binaries = findPrivateBinaries()
const unpreloaded = suiteFor('EG_TIMESCALE on a server that offers TimescaleDB without preloading it', binaries)
describe.skipIf(unpreloaded.skip)(unpreloaded.title, () => {
  let server: LocalServer
  beforeAll(async () => {
    unpreloaded.check()
    server = await startUnpreloadedServer()
    await createDatabaseOn(server.url).then((d) => d.drop())
    const admin = new pg.Client({ connectionString: server.url })
    await admin.connect()
    // A database owner that is no superuser: it may create the (trusted) extension but not read shared_preload_libraries.
    await admin.query('CREATE ROLE eg_owner LOGIN')
    await admin.end()
  })
  afterAll(() => server?.stop())

  it('auto runs plain with one warning: not preloaded, how to enable, stays plain; the migration is unharmed', async () => {
    await withDatabase(await createDatabaseOn(server.url), async (db) => {
      const { timescale, lines } = await decide(db, 'auto')
      expect(timescale).toBe(false)
      expect(lines).toHaveLength(1)
      expect(lines[0]).toMatchObject({ level: WARN, reason: 'not-preloaded' })
      expect(lines[0]?.msg).toMatch(/offers the timescaledb extension but does not preload it/)
      expect(lines[0]?.msg).toMatch(/set shared_preload_libraries = 'timescaledb' in postgresql\.conf and restart PostgreSQL, then restart the gateway/)
      expect(lines[0]?.msg).toMatch(/stays plain after that \(no table rewrite at start-up\): convert it once, with the gateway stopped, by `npx tsx gateway\/src\/cli\/convert-timescale\.ts`/)
      expect(await migrate(db, { timescale })).toContain('011_aggregates_hourly.plain')
      expect(await extensionInstalled(db)).toBe(false)
    })
  })

  it('auto, as a role that cannot read shared_preload_libraries, survives the failed CREATE EXTENSION (FATAL) and runs plain', async () => {
    const database = await createDatabaseOn(server.url, { owner: 'eg_owner' })
    const url = database.url.replace('//postgres@', '//eg_owner@')
    const db = await openDb({ databaseUrl: url, dataDir: 'unused', logger: silentLogger, poolSize: 1 })
    try {
      await expect(db.query("SELECT current_setting('shared_preload_libraries')")).rejects.toThrow(/permission|privileges/)
      const { timescale, lines } = await decide(db, 'auto')
      expect(timescale).toBe(false)
      expect(lines).toMatchObject([{ level: WARN, reason: 'not-preloaded' }])
      // The server ended the connection that tried; the pool's next one migrates.
      expect(await migrate(db, { timescale })).toContain('002_telemetry')
      expect(await extensionInstalled(db)).toBe(false)
    } finally {
      await db.close()
      await database.drop()
    }
  })

  it('on refuses, naming shared_preload_libraries and saying the extension is not preloaded', async () => {
    await withDatabase(await createDatabaseOn(server.url), async (db) => {
      const refused = resolveTimescale(db, 'on', silentLogger)
      await expect(refused).rejects.toMatchObject({ code: 'CONFIG_INVALID' })
      await expect(refused).rejects.toThrow(/^EG_TIMESCALE=on, but this PostgreSQL server offers the timescaledb extension but does not preload it.*shared_preload_libraries = 'timescaledb'/)
      expect(await extensionInstalled(db)).toBe(false)
    })
  })

  it('stops the gateway start with on', async () => {
    const database = await createDatabaseOn(server.url)
    try {
      await expect(startTestGateway({ database, env: { EG_TIMESCALE: 'on' } })).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining("shared_preload_libraries = 'timescaledb'") })
    } finally {
      await database.drop()
    }
  })

  it('off runs plain silently', async () => {
    await withDatabase(await createDatabaseOn(server.url), async (db) => {
      expect(await decide(db, 'off')).toEqual({ timescale: false, lines: [] })
    })
  })
})
