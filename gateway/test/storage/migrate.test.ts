import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { backends } from '../../../test/support/databases'
import { listMigrations, migrate, splitStatements } from '../../src/storage/migrate'

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
