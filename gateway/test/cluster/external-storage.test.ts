import pg from 'pg'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createStorageFeed } from '../../src/cluster/storage-feed'
import { acquireLeases, leaseHolders } from '../../src/cluster/lease-store'
import { createTenantLeases } from '../../src/cluster/tenant-leases'
import type { FeedInput } from '../../src/cluster/feed-store'
import { backends, silentLogger, type OpenedBackend } from '../../../test/support/databases'

/**
 * The two storage mechanisms of external-broker mode against real PostgreSQL: rule leases
 * (one holder per tenant, take-over after expiry) and the storage feed (every stored reading
 * reaches the lease holder once, even one whose transaction commits late).
 */
const postgres = backends.find((b) => b.name === 'postgres')!

/** A worker's leases over `tenants`, writing what happens to it into `events`. */
function leasesFor(db: OpenedBackend['db'], holder: string, tenants: readonly string[], events: string[]) {
  return createTenantLeases({
    db,
    holder,
    ttlMs: 60_000,
    logger: silentLogger,
    tenants: async () => [...tenants],
    onGain: async (t) => void events.push(`${holder} gains ${t}`),
    onLose: async (t) => void events.push(`${holder} loses ${t}`),
    onShed: async (t) => void events.push(`${holder} sheds ${t}`),
  })
}

describe('external-broker mode storage', () => {
  let opened: OpenedBackend

  beforeEach(async () => {
    opened = await postgres.open()
  })
  afterEach(async () => {
    await opened.cleanup()
  })

  const insertReading = (q: { query(sql: string, params: unknown[]): Promise<unknown> }, deviceId: string, ts: number) =>
    q.query(
      "INSERT INTO readings (time, tenant_id, elder_id, device_id, kind, hr) VALUES (timestamptz 'epoch' + $1::float8 * interval '1 millisecond', 't1', 'e1', $2, 'watch', 70)",
      [ts, deviceId],
    )

  it('hands over a reading whose transaction started before, but committed after, newer readings', async () => {
    const submitted: FeedInput[] = []
    const feed = await createStorageFeed({ db: opened.db, submit: (inputs) => submitted.push(...inputs), slackMs: 0 })
    // A slow writer: its transaction (and so its rows' received_at) starts first, commits last.
    const slow = new pg.Client({ connectionString: opened.url })
    await slow.connect()
    try {
      await slow.query('BEGIN')
      await insertReading(slow, 'watch-slow', 1_000)
      await insertReading(opened.db, 'watch-fast', 2_000)
      await feed.poll(['t1'])
      expect(submitted.map((i) => i.deviceId)).toEqual(['watch-fast'])
      await slow.query('COMMIT')
    } finally {
      await slow.end()
    }
    await feed.poll(['t1'])
    // Read again after the commit, and nothing handed over twice.
    expect(submitted.map((i) => i.deviceId)).toEqual(['watch-fast', 'watch-slow'])
    await feed.poll(['t1'])
    expect(submitted).toHaveLength(2)
  })

  it('reads only the tenants it is asked for (the others belong to other lease holders)', async () => {
    const submitted: FeedInput[] = []
    const feed = await createStorageFeed({ db: opened.db, submit: (inputs) => submitted.push(...inputs), slackMs: 0 })
    await insertReading(opened.db, 'watch-1', 1_000)
    await opened.db.query(
      "INSERT INTO readings (time, tenant_id, elder_id, device_id, kind, hr) VALUES (timestamptz 'epoch' + interval '1 second', 't2', 'e2', 'watch-2', 'watch', 70)",
    )
    await feed.poll(['t1'])
    expect(submitted.map((i) => [i.tenantId, i.deviceId])).toEqual([['t1', 'watch-1']])
  })

  it('gives a tenant to one holder, and to another only once the first lease has expired', async () => {
    expect(await acquireLeases(opened.db, 'worker-a', ['tenant:t1', 'tenant:t2'], 60_000)).toEqual(['tenant:t1', 'tenant:t2'])
    expect(await acquireLeases(opened.db, 'worker-b', ['tenant:t1', 'tenant:t2', 'tenant:t3'], 60_000)).toEqual(['tenant:t3'])
    await opened.db.query("UPDATE worker_leases SET expires_at = now() - interval '1 second' WHERE scope = 'tenant:t1'")
    expect(await acquireLeases(opened.db, 'worker-b', ['tenant:t1'], 60_000)).toEqual(['tenant:t1'])
    expect((await leaseHolders(opened.db)).get('tenant:t1')).toBe('worker-b')
  })

  it('tells the old holder it lost a tenant that another worker took over after expiry', async () => {
    const events: string[] = []
    const leasesOf = (holder: string) => leasesFor(opened.db, holder, ['t1'], events)
    const a = leasesOf('worker-a')
    const b = leasesOf('worker-b')
    await a.renew()
    await b.renew()
    expect([a.owns('t1'), b.owns('t1')]).toEqual([true, false])
    // worker-a stalls past its TTL (simulated: the lease runs out), worker-b takes over.
    await opened.db.query("UPDATE worker_leases SET expires_at = now() - interval '1 second'")
    await b.renew()
    await a.renew()
    expect([a.owns('t1'), b.owns('t1')]).toEqual([false, true])
    expect(events).toEqual(['worker-a gains t1', 'worker-b gains t1', 'worker-a loses t1'])
    await b.releaseAll()
    await a.renew()
    expect(a.owns('t1')).toBe(true)
  })

  it('balances tenants over the live workers: a newcomer gets its share handed over, a leaver gives it back', async () => {
    const events: string[] = []
    const tenants = ['t1', 't2', 't3', 't4', 't5']
    const leasesOf = (holder: string) => leasesFor(opened.db, holder, tenants, events)
    const a = leasesOf('worker-a')
    const b = leasesOf('worker-b')
    await a.renew()
    expect(a.owned().sort()).toEqual(tenants)
    await b.renew() // announces itself; everything is still held by a
    expect(b.owned()).toEqual([])
    await a.renew() // two workers now: a keeps ceil(5 / 2) = 3 and hands 2 over
    expect(events.filter((e) => e.startsWith('worker-a sheds'))).toEqual(['worker-a sheds t4', 'worker-a sheds t5'])
    await b.renew()
    expect([a.owned().sort(), b.owned().sort()]).toEqual([['t1', 't2', 't3'], ['t4', 't5']])
    // Every tenant has exactly one holder, and nobody lost a lease in the hand-over.
    const holders = await leaseHolders(opened.db)
    expect(tenants.map((t) => holders.get(t))).toEqual(['worker-a', 'worker-a', 'worker-a', 'worker-b', 'worker-b'])
    expect(events.some((e) => e.includes('loses'))).toBe(false)
    // b stops gracefully: its tenants and its announcement go, and a takes everything back.
    await b.releaseAll()
    await a.renew()
    expect(a.owned().sort()).toEqual(tenants)
    await a.releaseAll()
  })
})
