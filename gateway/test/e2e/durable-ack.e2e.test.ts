import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ApiClient, seedElders, type SeededDevice } from '../../../test/support/api-client'
import { createPostgresDatabase, silentLogger, type TestDatabase } from '../../../test/support/databases'
import { waitFor } from '../../../test/support/gateway'
import { spawnGateway, type GatewayProcess } from '../../../test/support/gateway-process'
import { key, startQos1Stream, type Acked } from '../../../test/support/qos1-stream'
import { lockReadings, type ReadingsLock } from '../../../test/support/stall'
import { openDb, type Db } from '../../src/storage/db'

/**
 * DESIGN §3 "Acceptance is durable", tried the way it fails in the field: a gateway process
 * killed with SIGKILL at a random moment of a QoS 1 stream (20 devices, 8 publishes in flight
 * each, buffered uploads and fall events among the readings), several times over, then
 * restarted on the same storage. Every reading and event whose PUBACK reached its device must be
 * stored. And the same after the database stalled first (a lock held on the readings table):
 * PUBACKs must stop while nothing can be committed, instead of running ahead in memory.
 */
const PASSWORD = 'durable-ack-password'
const DEVICES = 20
const WINDOW = 8
const CYCLES = 3

interface Storage {
  name: 'pglite' | 'postgres'
  env(): Record<string, string>
  /** Opens the storage in this process once no gateway holds it (PGlite allows one process). */
  open(): Promise<Db>
  cleanup(): Promise<void>
}

function pgliteStorage(): Storage {
  const dir = mkdtempSync(join(tmpdir(), 'eg-durable-'))
  return {
    name: 'pglite',
    env: () => ({ EG_DATA_DIR: dir }),
    open: () => openDb({ dataDir: dir, logger: silentLogger }),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  }
}

function postgresStorage(database: () => TestDatabase): Storage {
  return {
    name: 'postgres',
    env: () => ({ DATABASE_URL: database().url }),
    open: () => openDb({ databaseUrl: database().url, dataDir: 'unused', logger: silentLogger }),
    cleanup: () => database().drop(),
  }
}

async function storedKeys(db: Db): Promise<{ readings: Set<string>; events: Set<string> }> {
  const readings = await db.query<{ device_id: string; ms: number }>('SELECT device_id, (extract(epoch FROM time) * 1000)::int8 AS ms FROM readings')
  const events = await db.query<{ device_id: string; ms: number }>('SELECT device_id, (extract(epoch FROM time) * 1000)::int8 AS ms FROM device_events')
  return { readings: new Set(readings.map((r) => key(r.device_id, r.ms))), events: new Set(events.map((r) => key(r.device_id, r.ms))) }
}

function missing(acked: Set<string>, stored: Set<string>): string[] {
  return [...acked].filter((k) => !stored.has(k))
}

async function acceptedSoFar(gateway: GatewayProcess): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${gateway.httpPort}/metrics`)).text()
  return text
    .split('\n')
    .filter((l) => l.startsWith('eg_messages_accepted_total{'))
    .reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0)
}

describe('a QoS 1 PUBACK survives SIGKILL', () => {
  let database: TestDatabase
  const storages: Storage[] = []

  beforeAll(async () => {
    database = await createPostgresDatabase()
    storages.push(pgliteStorage(), postgresStorage(() => database))
  })
  afterAll(async () => {
    for (const s of storages) await s.cleanup().catch(() => undefined)
  })

  async function start(storage: Storage): Promise<{ gateway: GatewayProcess; api: ApiClient }> {
    const gateway = await spawnGateway({ ...storage.env(), EG_ADMIN_PASSWORD: PASSWORD })
    const api = new ApiClient(`http://127.0.0.1:${gateway.httpPort}`)
    await api.login('admin', PASSWORD)
    return { gateway, api }
  }

  it.each(['pglite', 'postgres'] as const)('stores every acknowledged reading and event after %s is killed at random moments', { timeout: 240_000 }, async (name) => {
    const storage = storages.find((s) => s.name === name)!
    let { gateway, api } = await start(storage)
    const devices: SeededDevice[] = await seedElders(api, DEVICES, { prefix: `durable-${name}` })
    const all: Acked = { readings: new Set(), events: new Set(), unacked: 0 }
    try {
      for (let cycle = 0; cycle < CYCLES; cycle++) {
        if (cycle > 0) ({ gateway, api } = await start(storage))
        const stream = await startQos1Stream({
          url: `mqtt://127.0.0.1:${gateway.mqttPort}`,
          devices,
          window: WINDOW,
          startTs: Date.now() - 3_600_000 + cycle * 600_000,
          eventEvery: 25,
          batch: cycle === 1 ? 3 : 1,
        })
        // A random moment of the stream: after some traffic, then a random further number of PUBACKs.
        const killAt = 300 + Math.floor(Math.random() * 1_500)
        await waitFor(async () => stream.ackedCount() >= killAt, { what: `${killAt} PUBACKs`, timeoutMs: 60_000 })
        await gateway.kill('SIGKILL')
        await stream.stop()
        for (const k of stream.acked.readings) all.readings.add(k)
        for (const k of stream.acked.events) all.events.add(k)
        all.unacked += stream.acked.unacked
      }
    } finally {
      await gateway.kill('SIGKILL')
    }
    // Publishes were in flight at each kill: the kill really hit the middle of the stream.
    expect(all.unacked).toBeGreaterThan(0)
    expect(all.events.size).toBeGreaterThan(0)
    const db = await storage.open()
    try {
      const stored = await storedKeys(db)
      expect(missing(all.readings, stored.readings)).toEqual([])
      expect(missing(all.events, stored.events)).toEqual([])
    } finally {
      await db.close()
    }
  })

  it('stores every acknowledged reading when the database stalled before the kill (postgres)', { timeout: 180_000 }, async () => {
    const fresh = await createPostgresDatabase()
    const storage = postgresStorage(() => fresh)
    let { gateway, api } = await start(storage)
    const devices = await seedElders(api, DEVICES, { prefix: 'stall' })
    let stall: ReadingsLock | undefined
    try {
      const stream = await startQos1Stream({ url: `mqtt://127.0.0.1:${gateway.mqttPort}`, devices, window: WINDOW, startTs: Date.now() - 3_600_000, eventEvery: 10 })
      await waitFor(async () => stream.ackedCount() >= 500, { what: '500 PUBACKs before the stall' })
      stall = await lockReadings(fresh.url)
      // The gateway holds messages it took off the sockets while nothing can commit (every
      // device's window fills up: 20 × 8 in flight)…
      await waitFor(async () => {
        return (await stall!.writerWaiting()) && (await acceptedSoFar(gateway)) - stream.ackedCount() >= 100
      }, { what: 'the writer to wait on the lock, holding accepted messages' })
      const ackedDuringStall = stream.ackedCount()
      await gateway.kill('SIGKILL')
      await stream.stop()
      // …but acknowledges none of them: at most the publishes whose commit had already begun.
      expect(stream.ackedCount() - ackedDuringStall).toBe(0)
      await stall.release()
      ;({ gateway, api } = await start(storage))
      await gateway.kill('SIGKILL')
      const db = await storage.open()
      try {
        const stored = await storedKeys(db)
        expect(missing(stream.acked.readings, stored.readings)).toEqual([])
        expect(missing(stream.acked.events, stored.events)).toEqual([])
      } finally {
        await db.close()
      }
    } finally {
      await stall?.release().catch(() => undefined)
      await gateway.kill('SIGKILL')
      await storage.cleanup()
    }
  })
})
