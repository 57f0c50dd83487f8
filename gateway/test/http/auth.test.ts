import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends } from '../../../test/support/databases'
import { generateToken, hashToken } from '../../src/registry/secrets'
import { insertToken } from '../../src/registry/token-store'
import { ADMIN_PASSWORD, bearer, home, login, startApi, userToken, type Api } from './harness'

describe.each(backends)('authentication and roles on $name', (backend) => {
  let api: Api
  let admin: string
  beforeAll(async () => {
    api = await startApi(backend)
    admin = await login(api.app, 'admin', ADMIN_PASSWORD)
  })
  afterAll(async () => {
    await api.close()
  })

  it('logs in with the contract shape and answers /me', async () => {
    const res = await api.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'admin', password: ADMIN_PASSWORD } })
    expect(res.statusCode).toBe(200)
    const body = res.json()
    expect(body).toMatchObject({ token: expect.any(String), expiresAt: expect.any(String), user: { username: 'admin', role: 'admin', tenantId: api.tenantId } })
    const me = await api.app.inject({ method: 'GET', url: '/api/v1/me', headers: bearer(body.token) })
    expect(me.statusCode).toBe(200)
    expect(me.json()).toMatchObject({ username: 'admin', role: 'admin', tenantId: api.tenantId })
    expect(me.body).not.toContain('password')
  })

  it('refuses requests without, with a bad, or with an expired token', async () => {
    const none = await api.app.inject({ method: 'GET', url: '/api/v1/elders' })
    expect(none.statusCode).toBe(401)
    expect(none.json().error.code).toBe('UNAUTHENTICATED')
    const bad = await api.app.inject({ method: 'GET', url: '/api/v1/elders', headers: bearer('not-a-real-token') })
    expect(bad.statusCode).toBe(401)
    const basic = await api.app.inject({ method: 'GET', url: '/api/v1/elders', headers: { authorization: 'Basic YWRtaW46eA==' } })
    expect(basic.statusCode).toBe(401)

    const expired = generateToken()
    const adminId = (await api.opened.db.query<{ id: string }>("SELECT id FROM users WHERE username = 'admin'"))[0]?.id ?? ''
    await insertToken(api.opened.db, { tokenHash: hashToken(expired), userId: adminId, expiresAt: new Date(Date.now() - 1000) })
    const res = await api.app.inject({ method: 'GET', url: '/api/v1/elders', headers: bearer(expired) })
    expect(res.statusCode).toBe(401)
  })

  it('ends the session at logout', async () => {
    const token = await login(api.app, 'admin', ADMIN_PASSWORD)
    expect((await api.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: bearer(token) })).statusCode).toBe(204)
    expect((await api.app.inject({ method: 'GET', url: '/api/v1/me', headers: bearer(token) })).statusCode).toBe(401)
  })

  it('answers a wrong password with 401 BAD_CREDENTIALS and makes that username wait at that address with 429', async () => {
    await userToken(api.app, admin, { username: 'throttled', role: 'operator' })
    for (let i = 0; i < 3; i++) {
      // From an address of its own: the per-address counter would otherwise block the other tests.
      const res = await api.app.inject({ method: 'POST', url: '/api/v1/auth/login', remoteAddress: '10.0.0.9', payload: { username: 'throttled', password: 'wrong-password' } })
      expect(res.statusCode).toBe(401)
      expect(res.json().error.code).toBe('BAD_CREDENTIALS')
    }
    // That username from that address waits now, even with the right password: guessing
    // during the wait learns nothing.
    const blocked = await api.app.inject({ method: 'POST', url: '/api/v1/auth/login', remoteAddress: '10.0.0.9', payload: { username: 'throttled', password: 'throttled-password' } })
    expect(blocked.statusCode).toBe(429)
    expect(blocked.json().error.code).toBe('TOO_MANY_ATTEMPTS')
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0)
    // Only that pair (issue 13): the user from another address, and another user from the
    // guessing address, log in at once (login-throttle.test.ts has the attacks themselves).
    expect((await api.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'throttled', password: 'throttled-password' } })).statusCode).toBe(200)
    const sameAddress = await api.app.inject({ method: 'POST', url: '/api/v1/auth/login', remoteAddress: '10.0.0.9', payload: { username: 'admin', password: ADMIN_PASSWORD } })
    expect(sameAddress.statusCode).toBe(200)
  })

  it('enforces roles: operators cannot manage users or police stations, police cannot list elders', async () => {
    const station = await api.app.inject({
      method: 'POST',
      url: '/api/v1/police-stations',
      headers: bearer(admin),
      payload: { name: 'Station 1', webhookUrl: 'https://police.example/hook', secret: 'a-very-long-station-secret', format: 'json' },
    })
    expect(station.statusCode).toBe(201)
    const operator = await userToken(api.app, admin, { username: 'op1', role: 'operator' })
    const police = await userToken(api.app, admin, { username: 'police1', role: 'police', policeStationId: station.json().id })

    const asOperator = [
      await api.app.inject({ method: 'POST', url: '/api/v1/users', headers: bearer(operator), payload: { username: 'x1', password: 'password-x', role: 'admin' } }),
      await api.app.inject({ method: 'GET', url: '/api/v1/users', headers: bearer(operator) }),
      await api.app.inject({
        method: 'POST',
        url: '/api/v1/police-stations',
        headers: bearer(operator),
        payload: { name: 'S', webhookUrl: 'https://p.example', secret: 'a-very-long-station-secret', format: 'cap' },
      }),
    ]
    for (const res of asOperator) {
      expect(res.statusCode).toBe(403)
      expect(res.json().error.code).toBe('FORBIDDEN')
    }
    expect((await api.app.inject({ method: 'GET', url: '/api/v1/police-stations', headers: bearer(operator) })).statusCode).toBe(200)
    expect((await api.app.inject({ method: 'POST', url: '/api/v1/elders', headers: bearer(operator), payload: { name: 'Li', home } })).statusCode).toBe(201)

    for (const url of ['/api/v1/elders', '/api/v1/devices', '/api/v1/venues', '/api/v1/users']) {
      expect((await api.app.inject({ method: 'GET', url, headers: bearer(police) })).statusCode).toBe(403)
    }
    const me = await api.app.inject({ method: 'GET', url: '/api/v1/me', headers: bearer(police) })
    expect(me.json()).toMatchObject({ role: 'police', policeStationId: station.json().id })
  })

  it('requires a police station for police users and ends sessions when a user is disabled', async () => {
    const noStation = await api.app.inject({ method: 'POST', url: '/api/v1/users', headers: bearer(admin), payload: { username: 'police2', password: 'password-p2', role: 'police' } })
    expect(noStation.statusCode).toBe(400)
    expect(noStation.json().error.fields).toEqual([{ path: 'policeStationId', message: 'required for role police' }])

    const token = await userToken(api.app, admin, { username: 'op-disabled', role: 'operator' })
    const list = await api.app.inject({ method: 'GET', url: '/api/v1/users?limit=500', headers: bearer(admin) })
    const id = list.json().items.find((u: { username: string }) => u.username === 'op-disabled').id
    const patch = await api.app.inject({ method: 'PATCH', url: `/api/v1/users/${id}`, headers: bearer(admin), payload: { disabled: true } })
    expect(patch.statusCode).toBe(200)
    expect(patch.json().disabled).toBe(true)
    expect((await api.app.inject({ method: 'GET', url: '/api/v1/me', headers: bearer(token) })).statusCode).toBe(401)
    const relogin = await api.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'op-disabled', password: 'op-disabled-password' } })
    expect(relogin.statusCode).toBe(401)
  })

  it('lets only admins of the first tenant create tenants; a generated tenant admin can log in', async () => {
    const res = await api.app.inject({
      method: 'POST',
      url: '/api/v1/tenants',
      headers: bearer(admin),
      payload: { name: 'county-b', adminUsername: 'admin-b', adminPassword: 'password-b-1' },
    })
    expect(res.statusCode).toBe(201)
    const adminB = await login(api.app, 'admin-b', 'password-b-1')
    const again = await api.app.inject({
      method: 'POST',
      url: '/api/v1/tenants',
      headers: bearer(adminB),
      payload: { name: 'county-c', adminUsername: 'admin-c', adminPassword: 'password-c-1' },
    })
    expect(again.statusCode).toBe(403)
    const dup = await api.app.inject({
      method: 'POST',
      url: '/api/v1/tenants',
      headers: bearer(admin),
      payload: { name: 'county-b', adminUsername: 'admin-b2', adminPassword: 'password-b-1' },
    })
    expect(dup.statusCode).toBe(409)
    expect((await api.app.inject({ method: 'GET', url: '/api/v1/tenants', headers: bearer(admin) })).json().total).toBe(2)
    expect((await api.app.inject({ method: 'GET', url: '/api/v1/tenants', headers: bearer(adminB) })).json().items).toHaveLength(1)
  })
})
