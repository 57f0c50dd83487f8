import { randomBytes, scryptSync } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends } from '../../../test/support/databases'
import { TEST_PASSWORD_SCRYPT } from '../../../test/support/password-hashing'
import { EgError } from '../../src/errors'
import { ensureBootstrap } from '../../src/registry/bootstrap'
import { passwordWeakness } from '../../src/registry/password-policy'
import { hashPassword } from '../../src/registry/secrets'
import { replacePasswordHash } from '../../src/registry/user-store'
import { ADMIN_PASSWORD, bearer, login, startApi, type Api } from './harness'

/**
 * New passwords (users, tenants' first admins, EG_ADMIN_PASSWORD on the first start): at least
 * 10 characters, not a common password, not repetitive. Old hashes are re-hashed at login.
 * Usernames and device ids are unique across tenants; a clash says the same whichever tenant
 * holds the value.
 */
const postgres = backends.find((b) => b.name === 'postgres')!

interface ErrorBody {
  error: { code: string; message: string; fields?: Array<{ path: string; message: string }> }
}

const WEAK = ['12345678', 'password', 'aaaaaaaa', 'short1', '1234567890', 'password123', 'Password123', 'qwertyuiop', 'aaaaaaaaaaaa', 'abababababab']

describe('password policy and uniqueness across tenants', () => {
  let api: Api
  let admin: string
  let adminB: string

  beforeAll(async () => {
    api = await startApi(postgres)
    admin = await login(api.app, 'admin', ADMIN_PASSWORD)
    const tenant = await api.app.inject({
      method: 'POST',
      url: '/api/v1/tenants',
      headers: bearer(admin),
      payload: { name: 'county-b', adminUsername: 'admin-b', adminPassword: 'county-b-password' },
    })
    expect(tenant.statusCode).toBe(201)
    adminB = await login(api.app, 'admin-b', 'county-b-password')
  })
  afterAll(() => api?.close())

  const send = (method: 'POST' | 'PATCH', url: string, token: string, payload: object) => api.app.inject({ method, url, headers: bearer(token), payload })

  it.each(WEAK)('refuses %j for a new user with a 400 naming password', async (password) => {
    const res = await send('POST', '/api/v1/users', admin, { username: `weak-${randomBytes(3).toString('hex')}`, password, role: 'operator' })
    expect(res.statusCode).toBe(400)
    const body = res.json() as ErrorBody
    expect(body.error.fields).toEqual([{ path: 'password', message: passwordWeakness(password) }])
  })

  it('refuses weak passwords on change and for a new tenant admin, accepts a good one', async () => {
    const created = await send('POST', '/api/v1/users', admin, { username: 'clerk1', password: 'clerk1-long-password', role: 'operator' })
    expect(created.statusCode).toBe(201)
    const id = (created.json() as { id: string }).id
    const changed = await send('PATCH', `/api/v1/users/${id}`, admin, { password: '12345678' })
    expect(changed.statusCode).toBe(400)
    expect((changed.json() as ErrorBody).error.fields?.map((f) => f.path)).toEqual(['password'])
    const tenant = await send('POST', '/api/v1/tenants', admin, { name: 'county-c', adminUsername: 'admin-c', adminPassword: 'password' })
    expect(tenant.statusCode).toBe(400)
    expect((tenant.json() as ErrorBody).error.fields?.map((f) => f.path)).toEqual(['adminPassword'])
    // Existing passwords still log in whatever the policy: it applies when one is set.
    expect(await login(api.app, 'clerk1', 'clerk1-long-password')).toMatch(/^[A-Za-z0-9_-]{43}$/)
  })

  it('applies the policy to EG_ADMIN_PASSWORD when the first start creates admin, and only then', async () => {
    const fresh = await postgres.open()
    try {
      const weak = await ensureBootstrap(fresh.db, { tenantName: 'fresh', adminPassword: 'password1' }).catch((err: unknown) => err)
      expect(weak).toBeInstanceOf(EgError)
      expect((weak as EgError).code).toBe('CONFIG_INVALID')
      expect((weak as EgError).message).toMatch(/^EG_ADMIN_PASSWORD=\(hidden\): at least 10 characters/)
      expect((await ensureBootstrap(fresh.db, { tenantName: 'fresh', adminPassword: 'fresh-admin-password' })).createdAdmin).toBe(true)
      // Later starts do not use it, so an old short value does not stop them.
      expect((await ensureBootstrap(fresh.db, { tenantName: 'fresh', adminPassword: 'password' })).createdAdmin).toBe(false)
    } finally {
      await fresh.cleanup()
    }
  })

  it('re-hashes a hash from before the parameters were stored at the next login, transparently', async () => {
    const created = await send('POST', '/api/v1/users', admin, { username: 'old-timer', password: 'old-timer-password', role: 'operator' })
    const id = (created.json() as { id: string }).id
    const salt = randomBytes(16)
    const legacy = `scrypt$${salt.toString('hex')}$${scryptSync('old-timer-password', salt, 32, { N: 16_384, r: 8, p: 1 }).toString('hex')}`
    await api.opened.db.query('UPDATE users SET password_hash = $2 WHERE id = $1', [id, legacy])

    await login(api.app, 'old-timer', 'old-timer-password')
    const [row] = await api.opened.db.query<{ password_hash: string }>('SELECT password_hash FROM users WHERE id = $1', [id])
    const { N, r, p } = TEST_PASSWORD_SCRYPT
    expect(row?.password_hash).toMatch(new RegExp(`^scrypt\\$${N}\\$${r}\\$${p}\\$[0-9a-f]{32}\\$[0-9a-f]{64}$`))
    // The new hash works; a wrong password still does not.
    await login(api.app, 'old-timer', 'old-timer-password')
    const wrong = await api.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'old-timer', password: 'old-timer-passwore' } })
    expect(wrong.statusCode).toBe(401)
  })

  it('never puts an old hash back over a password changed meanwhile', async () => {
    const created = await send('POST', '/api/v1/users', admin, { username: 'racer', password: 'racer-password-1', role: 'operator' })
    const id = (created.json() as { id: string }).id
    const [before] = await api.opened.db.query<{ password_hash: string }>('SELECT password_hash FROM users WHERE id = $1', [id])
    await send('PATCH', `/api/v1/users/${id}`, admin, { password: 'racer-password-2' })
    expect(await replacePasswordHash(api.opened.db, id, before?.password_hash ?? '', await hashPassword('racer-password-1'))).toBe(false)
    await login(api.app, 'racer', 'racer-password-2')
  })

  it('answers a username or device id taken in another tenant exactly as one taken in the own tenant', async () => {
    const taken = { username: 'shared.name', password: 'shared-name-password', role: 'operator' }
    expect((await send('POST', '/api/v1/users', admin, taken)).statusCode).toBe(201)
    const sameTenant = await send('POST', '/api/v1/users', admin, taken)
    const otherTenant = await send('POST', '/api/v1/users', adminB, taken)
    expect(sameTenant.statusCode).toBe(409)
    expect(otherTenant.statusCode).toBe(409)
    expect(otherTenant.json()).toEqual(sameTenant.json())
    expect(otherTenant.json()).toEqual({
      error: { code: 'CONFLICT', message: 'username "shared.name" is not available', fields: [{ path: 'username', message: 'not available; choose another' }] },
    })

    const elderA = await send('POST', '/api/v1/elders', admin, { name: '王秀英', home: { lat: 31.2, lon: 121.4 } })
    const elderB = await send('POST', '/api/v1/elders', adminB, { name: '李桂兰', home: { lat: 31.2, lon: 121.4 } })
    const watch = (elderId: string) => ({ elderId, kind: 'watch', id: 'IMEI-860000000000001' })
    expect((await send('POST', '/api/v1/devices', admin, watch((elderA.json() as { id: string }).id))).statusCode).toBe(201)
    const deviceSame = await send('POST', '/api/v1/devices', admin, watch((elderA.json() as { id: string }).id))
    const deviceOther = await send('POST', '/api/v1/devices', adminB, watch((elderB.json() as { id: string }).id))
    expect(deviceOther.statusCode).toBe(409)
    expect(deviceOther.json()).toEqual(deviceSame.json())
    expect((deviceOther.json() as ErrorBody).error.message).toBe('device id "IMEI-860000000000001" is not available')
  })
})
