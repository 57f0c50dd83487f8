import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { backends } from '../../../test/support/databases'
import { watchReading } from '../../../test/support/telemetry'
import { listMigrations, migrate, splitStatements } from '../../src/storage/migrate'
import { queryReadings } from '../../src/storage/telemetry-queries'

const migrationsDir = fileURLToPath(new URL('../../src/storage/migrations/', import.meta.url))

describe('migration files', () => {
  it('are numbered without gaps or duplicates per variant', () => {
    const numbers = listMigrations().map((m) => Number(m.version.slice(0, 3)))
    expect(numbers.length).toBeGreaterThan(1)
    expect([...numbers].sort((a, b) => a - b)).toEqual(numbers)
  })

  it('split on statement ends and drop comments', () => {
    expect(splitStatements('-- c\nCREATE TABLE a (x int);\nSELECT 1;\n')).toEqual(['CREATE TABLE a (x int)', 'SELECT 1'])
  })
})

describe.each(backends)('migrate on $name', (backend) => {
  it('applies every plain migration once and is idempotent', async () => {
    const { db, cleanup } = await backend.open({ migrate: false })
    try {
      const first = await migrate(db, { timescale: false })
      expect(first).toContain('001_registry')
      expect(first).toContain('002_telemetry')
      expect(first.some((v) => v.endsWith('.timescale'))).toBe(false)
      expect(await migrate(db, { timescale: false })).toEqual([])
      const tables = await db.query<{ table_name: string }>(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1",
      )
      expect(tables.map((t) => t.table_name)).toEqual(expect.arrayContaining(['elders', 'devices', 'readings', 'dead_letters']))
    } finally {
      await cleanup()
    }
  })

  it('adds the health columns (019) to a readings table that already holds readings, which keep theirs', async () => {
    const { db, cleanup } = await backend.open({ migrate: false })
    const dir = mkdtempSync(join(tmpdir(), 'eg-migrations-'))
    try {
      // The database as a gateway before 019 left it, with a reading in it.
      for (const m of listMigrations().filter((m) => m.version < '019')) copyFileSync(join(migrationsDir, m.file), join(dir, m.file))
      await migrate(db, { timescale: false, dir })
      const before = watchReading(1, { tenantId: 'tm', elderId: 'em', deviceId: 'wm' })
      await db.query(
        "INSERT INTO readings (time, tenant_id, elder_id, device_id, kind, hr, worn) VALUES (timestamptz 'epoch' + $1::float8 * interval '1 millisecond', 'tm', 'em', 'wm', 'watch', $2, $3)",
        [before.ts, before.hr, before.worn],
      )
      expect(await migrate(db, { timescale: false })).toContain('019_health_readings')
      const columns = await db.query<{ column_name: string; data_type: string; is_nullable: string; column_default: string | null }>(
        "SELECT column_name, data_type, is_nullable, column_default FROM information_schema.columns WHERE table_name = 'readings' AND column_name IN ('spo2', 'sys', 'dia', 'temp') ORDER BY ordinal_position",
      )
      expect(columns).toEqual([
        { column_name: 'spo2', data_type: 'smallint', is_nullable: 'YES', column_default: null },
        { column_name: 'sys', data_type: 'smallint', is_nullable: 'YES', column_default: null },
        { column_name: 'dia', data_type: 'smallint', is_nullable: 'YES', column_default: null },
        { column_name: 'temp', data_type: 'real', is_nullable: 'YES', column_default: null },
      ])
      const range = { tenantId: 'tm', elderId: 'em', from: before.ts, to: before.ts + 60_000, limit: 10 }
      expect(await queryReadings(db, range)).toStrictEqual([{ kind: 'watch', tenantId: 'tm', elderId: 'em', deviceId: 'wm', ts: before.ts, hr: before.hr, worn: before.worn }])
    } finally {
      rmSync(dir, { recursive: true, force: true })
      await cleanup()
    }
  })

  it('records a no-transaction migration only after its statements ran, so a failure is retried', async () => {
    const { db, cleanup } = await backend.open({ migrate: false })
    const dir = mkdtempSync(join(tmpdir(), 'eg-migrations-'))
    try {
      // Fails on the first start: the view reads a table that does not exist yet.
      writeFileSync(join(dir, '001_outside.sql'), '-- eg:no-transaction\nCREATE OR REPLACE VIEW later_view AS SELECT x FROM later_table;\n')
      await expect(migrate(db, { timescale: false, dir })).rejects.toMatchObject({ code: 'MIGRATION_FAILED' })
      expect(await db.query('SELECT 1 FROM schema_migrations WHERE version = $1', ['001_outside'])).toEqual([])
      await db.query('CREATE TABLE later_table (x int)')
      expect(await migrate(db, { timescale: false, dir })).toEqual(['001_outside'])
      expect(await db.query('SELECT x FROM later_view')).toEqual([])
      expect(await migrate(db, { timescale: false, dir })).toEqual([])
    } finally {
      rmSync(dir, { recursive: true, force: true })
      await cleanup()
    }
  })
})
