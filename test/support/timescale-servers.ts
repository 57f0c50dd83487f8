import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { appendFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import pg from 'pg'
import type { TestDatabase } from './databases'

/**
 * PostgreSQL servers for the TimescaleDB tests:
 *
 * - the TimescaleDB test server (`../shared/timescaledb/start.sh`: PostgreSQL 15 preloading
 *   timescaledb 2.17.2 on 127.0.0.1:5433), or whatever EG_TEST_TIMESCALE_URL names;
 * - a throwaway server that offers the extension without preloading it — the state right after
 *   installing the package — initdb'd here from start.sh's private binaries (EG_TSDB_ROOT).
 *
 * Suites skip, saying why in their title, when these are missing — unless
 * EG_TEST_TIMESCALE_REQUIRED=1 (CI), where a missing server fails them instead.
 */
export const timescaleRequired = process.env.EG_TEST_TIMESCALE_REQUIRED === '1'
const defaultTimescaleUrl = 'postgres://postgres@127.0.0.1:5433/postgres'
const tsdbRoot = process.env.EG_TSDB_ROOT ?? '/var/tmp/eg-tsdb'
const pgBin = `${tsdbRoot}/usr/lib/postgresql/15/bin`
const run = promisify(execFile)

/** A server found (url: its maintenance database; for binaries, their folder) or why not. */
export type Found = { url: string; missing?: undefined } | { url?: undefined; missing: string }

async function queryOnce<R extends pg.QueryResultRow>(url: string, sql: string): Promise<R[]> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 })
  await client.connect()
  try {
    return (await client.query<R>(sql)).rows
  } finally {
    await client.end()
  }
}

/** The TimescaleDB test server, when it answers, offers the extension and preloads it. */
export async function findTimescaleServer(): Promise<Found> {
  const url = process.env.EG_TEST_TIMESCALE_URL ?? defaultTimescaleUrl
  const shown = url.replace(/\/\/[^@/]*@/, '//')
  try {
    const [row] = await queryOnce<{ offered: boolean; libraries: string }>(
      url,
      "SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb') AS offered, current_setting('shared_preload_libraries') AS libraries",
    )
    if (!row?.offered) return { missing: `${shown} does not offer timescaledb` }
    if (!row.libraries.includes('timescaledb')) return { missing: `${shown} does not preload timescaledb` }
    return { url }
  } catch (err) {
    return { missing: `no TimescaleDB at ${shown} (${(err as Error).message}; start it with bash ../shared/timescaledb/start.sh)` }
  }
}

/** Whether a server offers the extension at all (the system server on 5432 must not). */
export async function offersTimescale(url: string): Promise<boolean> {
  const rows = await queryOnce(url, "SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'")
  return rows.length > 0
}

/**
 * How a suite that needs `found` behaves: skipped (title says why) when it is missing, unless
 * EG_TEST_TIMESCALE_REQUIRED=1; then `check()` (call it in beforeAll) fails the suite.
 */
export function suiteFor(name: string, ...found: Found[]): { skip: boolean; title: string; check(): void } {
  const missing = found.map((f) => f.missing).filter((m): m is string => m !== undefined)
  const gap = missing.join('; ')
  return {
    skip: missing.length > 0 && !timescaleRequired,
    title: missing.length > 0 && !timescaleRequired ? `${name} — skipped: ${gap}` : name,
    check() {
      if (missing.length > 0) throw new Error(`EG_TEST_TIMESCALE_REQUIRED=1, but ${gap}`)
    },
  }
}

/** A fresh database `eg_test_<random>` on the server at `serverUrl` (its maintenance database), dropped by drop(). */
export async function createDatabaseOn(serverUrl: string, opts: { owner?: string } = {}): Promise<TestDatabase> {
  const name = `eg_test_${randomBytes(6).toString('hex')}`
  // Identifiers cannot be parameters; both come from this file (random hex, a fixed role name).
  await queryOnce(serverUrl, `CREATE DATABASE ${name}${opts.owner ? ` OWNER ${opts.owner}` : ''}`)
  const url = serverUrl.replace(/\/[^/]*$/, `/${name}`)
  return {
    url,
    drop: async () => void (await queryOnce(serverUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)),
  }
}

export interface LocalServer {
  /** The maintenance database, as postgres (trust). */
  url: string
  port: number
  stop(): Promise<void>
}

/** Where startUnpreloadedServer finds its binaries; missing until start.sh has run once. */
export function findPrivateBinaries(): Found {
  return existsSync(`${pgBin}/initdb`) && existsSync(`${tsdbRoot}/usr/share/postgresql/15/extension/timescaledb.control`)
    ? { url: pgBin }
    : { missing: `no PostgreSQL 15 binaries with timescaledb under ${tsdbRoot} (bash ../shared/timescaledb/start.sh installs them)` }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))))
    })
  })
}

/** PostgreSQL refuses to run as root: as root (CI, dev machines) the server runs as postgres. */
async function asPostgres(file: string, args: string[]): Promise<void> {
  const root = process.getuid?.() === 0
  await run(root ? 'runuser' : file, root ? ['-u', 'postgres', '--', file, ...args] : args, { timeout: 60_000 })
}

/**
 * A throwaway PostgreSQL 15 whose extension folder holds timescaledb but whose
 * shared_preload_libraries does not name it. Durability is not what it tests: no fsync.
 */
export async function startUnpreloadedServer(): Promise<LocalServer> {
  const dir = mkdtempSync(join(tmpdir(), 'eg-unpreloaded-'))
  const data = join(dir, 'data')
  const port = await freePort()
  try {
    if (process.getuid?.() === 0) await run('chown', ['postgres:postgres', dir])
    await asPostgres(`${pgBin}/initdb`, ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync'])
    appendFileSync(
      join(data, 'postgresql.conf'),
      [`listen_addresses = '127.0.0.1'`, `port = ${port}`, `unix_socket_directories = '${dir}'`, 'fsync = off', 'synchronous_commit = off', 'full_page_writes = off', ''].join('\n'),
    )
    await asPostgres(`${pgBin}/pg_ctl`, ['-D', data, '-l', join(dir, 'server.log'), '-w', '-t', '60', 'start'])
  } catch (err) {
    rmSync(dir, { recursive: true, force: true })
    throw err
  }
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    async stop() {
      await asPostgres(`${pgBin}/pg_ctl`, ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => undefined)
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
