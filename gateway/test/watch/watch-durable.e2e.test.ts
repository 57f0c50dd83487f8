import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { ApiClient } from '../../../test/support/api-client'
import { createPostgresDatabase, silentLogger, type TestDatabase } from '../../../test/support/databases'
import { waitFor } from '../../../test/support/gateway'
import { spawnGateway, type GatewayProcess } from '../../../test/support/gateway-process'
import { fixContent, frame, registerWatch, WatchClient } from '../../../test/support/watch-client'
import { openDb, type Db } from '../../src/storage/db'

/**
 * DESIGN §3b "answers go out only when the frame's data is durable", tried as it fails in the
 * field: 12 protocol watches stream fixes (`UD`, late `UD2`) with a heartbeat `LK` every few
 * frames and an `AL` (SOS) now and then, and the gateway process is killed with SIGKILL at a
 * random moment, three times, restarting on the same storage. The gateway handles a
 * connection's frames in order and answers one only when it and all before it are stored, so
 * every frame before an answered `LK` or `AL` is confirmed: all of those must be stored.
 */
const PASSWORD = 'watch-durable-password'
const WATCHES = 12
const CYCLES = 3

interface Confirmed {
  readings: Set<string>
  events: Set<string>
  /** Frames written but never confirmed at a kill: proof the kill hit the middle of the stream. */
  unconfirmed: number
}

const key = (imei: string, ms: number) => `${imei}|${ms}`

/** One watch's stream: frames written ahead of the answers (a window), confirmation by barrier. */
async function streamWatch(port: number, imei: string, startTs: number, seq: { n: number }, out: Confirmed, stop: { stopped: boolean }): Promise<void> {
  const watch = await WatchClient.connect(port)
  // Written but not yet covered by an answered barrier, in order.
  let open: Array<{ reading: string; event?: string }> = []
  let barriers: Array<{ content: string; nth: number; upTo: number }> = []
  const counts = new Map<string, number>()
  try {
    while (!stop.stopped && watch.isOpen) {
      for (let i = 0; i < 8; i++) {
        const n = seq.n++
        const ts = startTs + n * 1000
        const late = n % 5 === 4
        if (n % 17 === 16) {
          watch.write(frame(imei, fixContent('AL', ts, { lat: 31.2, lon: 121.4, status: 1 << 16 })))
          open.push({ reading: key(imei, ts), event: key(imei, ts) })
          const nth = (counts.get('AL') ?? 0) + 1
          counts.set('AL', nth)
          barriers.push({ content: 'AL', nth, upTo: open.length })
        } else {
          watch.write(frame(imei, fixContent(late ? 'UD2' : 'UD', ts, { lat: 31.2 + n * 1e-5, lon: 121.4 })))
          open.push({ reading: key(imei, ts) })
        }
      }
      watch.write(frame(imei, 'LK'))
      const nth = (counts.get('LK') ?? 0) + 1
      counts.set('LK', nth)
      barriers.push({ content: 'LK', nth, upTo: open.length })
      // Keep two barriers in flight: frames go out ahead of the answers, as a real watch's do.
      while (barriers.length > 2) {
        const b = barriers.shift()!
        await watch.answer(b.content, b.nth, 60_000)
        // Everything written before an answered barrier is confirmed.
        for (const f of open.slice(0, b.upTo)) {
          out.readings.add(f.reading)
          if (f.event) out.events.add(f.event)
        }
        open = open.slice(b.upTo)
        barriers = barriers.map((x) => ({ ...x, upTo: x.upTo - b.upTo }))
      }
    }
  } catch {
    // The kill closed the socket under a wait: what was confirmed so far stands.
  } finally {
    // Answers that arrived before the socket closed confirm their frames too.
    for (const b of barriers) {
      const answered = watch.answers.filter((a) => a.content === b.content).length >= b.nth
      if (!answered) break
      for (const f of open.slice(0, b.upTo)) {
        out.readings.add(f.reading)
        if (f.event) out.events.add(f.event)
      }
      open = open.slice(b.upTo)
      barriers = barriers.map((x) => ({ ...x, upTo: x.upTo - b.upTo }))
    }
    out.unconfirmed += open.length
    watch.end()
  }
}

describe('a watch-protocol answer survives SIGKILL', () => {
  let database: TestDatabase | undefined
  const dirs: string[] = []
  afterAll(async () => {
    await database?.drop()
    for (const d of dirs) rmSync(d, { recursive: true, force: true })
  })

  it.each(['pglite', 'postgres'] as const)('stores every frame before an answered LK or AL after %s is killed at random moments', { timeout: 240_000 }, async (name) => {
    let env: Record<string, string>
    let open: () => Promise<Db>
    if (name === 'pglite') {
      const dir = mkdtempSync(join(tmpdir(), 'eg-watch-durable-'))
      dirs.push(dir)
      env = { EG_DATA_DIR: dir }
      open = () => openDb({ dataDir: dir, logger: silentLogger })
    } else {
      database = await createPostgresDatabase()
      const url = database.url
      env = { DATABASE_URL: url }
      open = () => openDb({ databaseUrl: url, dataDir: 'unused', logger: silentLogger })
    }
    const start = async (): Promise<{ gateway: GatewayProcess; api: ApiClient }> => {
      const gateway = await spawnGateway({ ...env, EG_ADMIN_PASSWORD: PASSWORD, EG_WATCH_PORT: '0' })
      const api = new ApiClient(`http://127.0.0.1:${gateway.httpPort}`)
      await api.login('admin', PASSWORD)
      return { gateway, api }
    }
    let { gateway, api } = await start()
    const imeis: string[] = []
    for (let i = 0; i < WATCHES; i++) {
      const elder = await api.request<{ id: string }>('POST', '/api/v1/elders', { name: `durable-watch-${i}`, home: { lat: 31.2, lon: 121.4, radiusM: 100 } })
      const imei = `86${name === 'pglite' ? 1 : 2}${String(i).padStart(12, '0')}`
      await registerWatch(api, elder.id, imei)
      imeis.push(imei)
    }
    const confirmed: Confirmed = { readings: new Set(), events: new Set(), unconfirmed: 0 }
    const seqs = imeis.map(() => ({ n: 0 }))
    try {
      for (let cycle = 0; cycle < CYCLES; cycle++) {
        if (cycle > 0) ({ gateway, api } = await start())
        const stop = { stopped: false }
        // Whole seconds: the protocol's clock (HHMMSS) has no milliseconds.
        const startTs = Math.floor(Date.now() / 1000) * 1000 - 3 * 3_600_000
        const streams = imeis.map((imei, i) => streamWatch(gateway.watchPort!, imei, startTs, seqs[i]!, confirmed, stop))
        const before = confirmed.readings.size
        const killAt = 200 + Math.floor(Math.random() * 600)
        await waitFor(async () => confirmed.readings.size - before >= killAt, { what: `${killAt} confirmed frames`, timeoutMs: 90_000 })
        await gateway.kill('SIGKILL')
        stop.stopped = true
        await Promise.all(streams)
      }
    } finally {
      await gateway.kill('SIGKILL')
    }
    expect(confirmed.unconfirmed).toBeGreaterThan(0)
    expect(confirmed.events.size).toBeGreaterThan(0)
    const db = await open()
    try {
      const byImei = new Map((await db.query<{ id: string; imei: string }>('SELECT id, imei FROM devices WHERE imei IS NOT NULL')).map((r) => [r.id, r.imei]))
      const readings = await db.query<{ device_id: string; ms: number }>('SELECT device_id, (extract(epoch FROM time) * 1000)::int8 AS ms FROM readings')
      const events = await db.query<{ device_id: string; ms: number }>("SELECT device_id, (extract(epoch FROM time) * 1000)::int8 AS ms FROM device_events WHERE type = 'sos'")
      const stored = (rows: Array<{ device_id: string; ms: number }>) => new Set(rows.map((r) => key(byImei.get(r.device_id) ?? '?', Number(r.ms))))
      const storedReadings = stored(readings)
      const storedEvents = stored(events)
      expect([...confirmed.readings].filter((k) => !storedReadings.has(k))).toEqual([])
      expect([...confirmed.events].filter((k) => !storedEvents.has(k))).toEqual([])
    } finally {
      await db.close()
    }
  })
})
