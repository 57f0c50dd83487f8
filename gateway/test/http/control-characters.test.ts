import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends } from '../../../test/support/databases'
import { controlCharacterFields } from '../../src/http/control-characters'
import { ADMIN_PASSWORD, bearer, home, login, startApi, type Api } from './harness'

/**
 * NUL and other control characters in any text field are a 400 naming the field — the login
 * included — where NUL used to reach PostgreSQL and come back as a 500.
 */
const postgres = backends.find((b) => b.name === 'postgres')!

interface ErrorBody {
  error: { code: string; fields?: Array<{ path: string; message: string }> }
}

describe('control characters in requests', () => {
  let api: Api
  let admin: string
  let elderId: string

  beforeAll(async () => {
    api = await startApi(postgres)
    admin = await login(api.app, 'admin', ADMIN_PASSWORD)
    const elder = await api.app.inject({ method: 'POST', url: '/api/v1/elders', headers: bearer(admin), payload: { name: '王秀英', home } })
    elderId = (elder.json() as { id: string }).id
  })
  afterAll(() => api?.close())

  const cases: Array<[string, string, string, object, string]> = [
    ['login username', 'POST', '/api/v1/auth/login', { username: 'adm\u0000in', password: ADMIN_PASSWORD }, 'username'],
    ['login password', 'POST', '/api/v1/auth/login', { username: 'admin', password: 'pass\u0000word-123' }, 'password'],
    ['elder name', 'POST', '/api/v1/elders', { name: '王\u0000秀英', home }, 'name'],
    ['elder address', 'POST', '/api/v1/elders', { name: '王秀英', home, address: '幸福路\u001b[2J12 号' }, 'address'],
    ['contact name', 'POST', '/api/v1/elders', { name: '王秀英', home, contacts: [{ name: '王强' }, { name: '王\u0000芳' }] }, 'contacts.1.name'],
    ['contact relation', 'POST', '/api/v1/elders', { name: '王秀英', home, contacts: [{ name: '王强', relation: '儿\u0007子' }] }, 'contacts.0.relation'],
    ['planned absence note', 'POST', '/api/v1/elders', { name: '王秀英', home, expectedAway: [{ from: 0, to: 1000, note: 'x\u0000' }] }, 'expectedAway.0.note'],
    ['venue name', 'POST', '/api/v1/venues', { name: '会\u0000场', kind: 'sales', lat: 31.2, lon: 121.4, radiusM: 100 }, 'name'],
    ['police station name', 'POST', '/api/v1/police-stations', { name: '派\u0000出所', webhookUrl: 'https://police.example/hook', secret: 'station-secret-0123456789', format: 'json' }, 'name'],
    ['user display name', 'POST', '/api/v1/users', { username: 'clerk1', password: 'clerk-password-1', role: 'operator', displayName: 'Li\u0000' }, 'displayName'],
    ['username', 'POST', '/api/v1/users', { username: 'clerk\u00002', password: 'clerk-password-1', role: 'operator' }, 'username'],
    ['tenant name', 'POST', '/api/v1/tenants', { name: 'county\u0000c', adminUsername: 'admin-c', adminPassword: 'password-c-1' }, 'name'],
    ['C1 control (NEL)', 'POST', '/api/v1/elders', { name: '王\u0085秀英', home }, 'name'],
    ['DEL', 'POST', '/api/v1/elders', { name: '王\u007f秀英', home }, 'name'],
  ]

  it.each(cases)('%s → 400 naming the field', async (_what, method, url, payload, field) => {
    const res = await api.app.inject({ method: method as 'POST', url, headers: bearer(admin), payload })
    expect(res.statusCode).toBe(400)
    const body = res.json() as ErrorBody
    expect(body.error.code).toBe('VALIDATION_FAILED')
    expect(body.error.fields).toContainEqual({ path: field, message: 'control characters are not allowed' })
  })

  it('checks the query string, path parameters and field names too', async () => {
    const search = await api.app.inject({ method: 'GET', url: '/api/v1/elders?q=%E7%8E%8B%00', headers: bearer(admin) })
    expect(search.statusCode).toBe(400)
    expect((search.json() as ErrorBody).error.fields).toEqual([{ path: 'q', message: 'control characters are not allowed' }])
    const byId = await api.app.inject({ method: 'GET', url: '/api/v1/elders/abc%00def', headers: bearer(admin) })
    expect(byId.statusCode).toBe(400)
    expect((byId.json() as ErrorBody).error.fields).toEqual([{ path: 'id', message: 'control characters are not allowed' }])
    const key = await api.app.inject({ method: 'PATCH', url: `/api/v1/elders/${elderId}`, headers: bearer(admin), payload: { 'na\u0000me': 'x', address: 'ok' } })
    expect(key.statusCode).toBe(400)
    expect((key.json() as ErrorBody).error.fields?.[0]?.path).toBe('"na\\u0000me"')
  })

  it('allows tab, line feed and carriage return in text', async () => {
    const res = await api.app.inject({ method: 'PATCH', url: `/api/v1/elders/${elderId}`, headers: bearer(admin), payload: { address: '幸福路 12 号\r\n3 单元\t501 室' } })
    expect(res.statusCode).toBe(200)
    expect((res.json() as { address: string }).address).toBe('幸福路 12 号\r\n3 单元\t501 室')
  })

  it('walks deep bodies without recursion and reports at most 20 fields', () => {
    let deep: unknown = 'x\u0000'
    for (let i = 0; i < 50_000; i++) deep = [deep]
    expect(controlCharacterFields(deep, 'body')).toHaveLength(1)
    expect(controlCharacterFields(Array.from({ length: 100 }, () => '\u0000'), 'body')).toHaveLength(20)
    expect(controlCharacterFields('\u0000', 'body')).toEqual([{ path: 'body', message: 'control characters are not allowed' }])
  })
})
