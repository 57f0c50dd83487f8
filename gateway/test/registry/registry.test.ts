import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends, silentLogger, type OpenedBackend } from '../../../test/support/databases'
import { ensureBootstrap } from '../../src/registry/bootstrap'
import { createDeviceAuthenticator } from '../../src/registry/device-auth'
import { insertDevice, rotateDeviceSecret } from '../../src/registry/device-store'
import { insertElder } from '../../src/registry/elder-store'
import { generateDeviceSecret, hashDeviceSecret, verifyPassword } from '../../src/registry/secrets'
import { findUserForLogin } from '../../src/registry/user-store'
import { openDb, type Queryable } from '../../src/storage/db'

describe.each(backends)('registry on $name', (backend) => {
  let opened: OpenedBackend
  beforeAll(async () => {
    opened = await backend.open()
  })
  afterAll(async () => {
    await opened.cleanup()
  })

  it('bootstraps the admin once; a second call is a no-op', async () => {
    const first = await ensureBootstrap(opened.db, { tenantName: 'county-a' })
    expect(first.createdAdmin).toBe(true)
    expect(first.generatedPassword).toMatch(/^[A-Za-z0-9_-]{20,}$/)
    const admin = await findUserForLogin(opened.db, 'admin')
    expect(admin?.role).toBe('admin')
    expect(await verifyPassword(first.generatedPassword ?? '', admin?.passwordHash ?? '')).toBe(true)

    const second = await ensureBootstrap(opened.db, { tenantName: 'county-a', adminPassword: 'another-password' })
    expect(second).toEqual({ tenantId: first.tenantId, createdAdmin: false })
    const [users, tenants] = await Promise.all([
      opened.db.query<{ n: number }>('SELECT count(*)::int AS n FROM users'),
      opened.db.query<{ n: number }>('SELECT count(*)::int AS n FROM tenants'),
    ])
    expect(users[0]?.n).toBe(1)
    expect(tenants[0]?.n).toBe(1)
  })

  it('verifies device secrets, caches rows and forgets them on invalidate', async () => {
    const tenantId = (await opened.db.query<{ id: string }>('SELECT id FROM tenants LIMIT 1'))[0]?.id ?? ''
    const elder = await insertElder(opened.db, tenantId, 'elder-1', { name: 'Wang', home: { lat: 31, lon: 121 } })
    const secret = generateDeviceSecret()
    await insertDevice(opened.db, tenantId, { id: 'watch-001', elderId: elder.id, kind: 'watch', secretHash: hashDeviceSecret(secret) })

    let lookups = 0
    const counting: Queryable = {
      query: (sql, params) => {
        lookups++
        return opened.db.query(sql, params)
      },
    }
    const auth = createDeviceAuthenticator(counting, { cacheTtlMs: 60_000 })
    expect(await auth.verifyDevice('watch-001', secret)).toEqual({ deviceId: 'watch-001', tenantId, elderId: 'elder-1', kind: 'watch', crs: 'wgs84' })
    expect(await auth.verifyDevice('watch-001', 'wrong-secret')).toBeNull()
    expect(await auth.verifyDevice('no-such-device', secret)).toBeNull()
    expect(await auth.verifyDevice('bad/id', secret)).toBeNull()
    // A reconnect storm: concurrent and repeated connects reuse one cached row.
    const storm = await Promise.all(Array.from({ length: 50 }, () => auth.verifyDevice('watch-001', secret)))
    expect(storm.every((identity) => identity?.deviceId === 'watch-001')).toBe(true)
    expect(lookups).toBe(2) // watch-001 once, no-such-device once; the malformed id never reaches the DB

    const rotated = generateDeviceSecret()
    await rotateDeviceSecret(opened.db, tenantId, 'watch-001', hashDeviceSecret(rotated))
    auth.invalidate('watch-001')
    expect(await auth.verifyDevice('watch-001', secret)).toBeNull()
    expect(await auth.verifyDevice('watch-001', rotated)).not.toBeNull()
  })

  it('expires cached rows after the TTL', async () => {
    let now = 1_000
    const auth = createDeviceAuthenticator(opened.db, { cacheTtlMs: 5_000, now: () => now })
    const tenantId = (await opened.db.query<{ id: string }>('SELECT id FROM tenants LIMIT 1'))[0]?.id ?? ''
    const secret = generateDeviceSecret()
    await insertDevice(opened.db, tenantId, { id: 'cam-ttl', elderId: 'elder-1', kind: 'camera', secretHash: hashDeviceSecret(secret) })
    expect(await auth.verifyDevice('cam-ttl', secret)).not.toBeNull()
    const rotated = generateDeviceSecret()
    await rotateDeviceSecret(opened.db, tenantId, 'cam-ttl', hashDeviceSecret(rotated))
    // Another worker rotated it (no invalidate here): the cached row holds until the TTL.
    expect(await auth.verifyDevice('cam-ttl', secret)).not.toBeNull()
    now += 5_001
    expect(await auth.verifyDevice('cam-ttl', secret)).toBeNull()
    expect(await auth.verifyDevice('cam-ttl', rotated)).not.toBeNull()
  })
})

describe.each(backends)('concurrent bootstrap on $name', (backend) => {
  it('creates exactly one admin when two workers start at once', async () => {
    const opened = await backend.open()
    const second = backend.name === 'postgres' && opened.url !== undefined ? { db: await openDb({ databaseUrl: opened.url, dataDir: 'unused', logger: silentLogger }) } : null
    try {
      const results = await Promise.all([
        ensureBootstrap(opened.db, { tenantName: 'county-a', adminPassword: 'password-one' }),
        ensureBootstrap(second?.db ?? opened.db, { tenantName: 'county-a', adminPassword: 'password-two' }),
      ])
      expect(results.filter((r) => r.createdAdmin)).toHaveLength(1)
      expect(results[0]?.tenantId).toBe(results[1]?.tenantId)
      const users = await opened.db.query<{ n: number }>('SELECT count(*)::int AS n FROM users')
      expect(users[0]?.n).toBe(1)
    } finally {
      await second?.db.close()
      await opened.cleanup()
    }
  })
})

