import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends } from '../../../test/support/databases'
import { INSIDE_TARGETS } from '../notices/inside-targets'
import { ADMIN_PASSWORD, bearer, home, login, startApi, userToken, type Api } from './harness'

/**
 * Webhook targets checked when they are set (DESIGN §4): a police station's URL (admins) and a
 * family contact's URL (operators) that is loopback, private, link-local, unique-local, CGNAT or
 * metadata as written is a 400 naming the field, and nothing is stored — unless EG_WEBHOOK_ALLOW
 * lets it through.
 */
const postgres = backends.find((b) => b.name === 'postgres')!
const SECRET = 'station-secret-0123456789'

interface ErrorBody {
  error: { code: string; fields?: Array<{ path: string; message: string }> }
}

describe('webhook targets when set', () => {
  let strict: Api
  let allowing: Api
  let admin: string
  let operator: string
  let allowingAdmin: string

  beforeAll(async () => {
    // No EG_WEBHOOK_ALLOW at all: the production default.
    strict = await startApi(postgres, { env: { EG_WEBHOOK_ALLOW: '' } })
    admin = await login(strict.app, 'admin', ADMIN_PASSWORD)
    operator = await userToken(strict.app, admin, { username: 'operator1', role: 'operator' })
    allowing = await startApi(postgres, { env: { EG_WEBHOOK_ALLOW: '127.0.0.1/32,::1/128,police-gw.lan' } })
    allowingAdmin = await login(allowing.app, 'admin', ADMIN_PASSWORD)
  })
  afterAll(async () => {
    await strict?.close()
    await allowing?.close()
  })

  const send = (api: Api, method: 'POST' | 'PATCH', url: string, token: string, payload: object) => api.app.inject({ method, url, headers: bearer(token), payload })

  it.each(INSIDE_TARGETS)('refuses a police station at %s with a 400 naming webhookUrl', async (webhookUrl) => {
    const res = await send(strict, 'POST', '/api/v1/police-stations', admin, { name: 'Inside', webhookUrl, secret: SECRET, format: 'json' })
    expect(res.statusCode).toBe(400)
    const body = res.json() as ErrorBody
    expect(body.error.code).toBe('VALIDATION_FAILED')
    expect(body.error.fields).toEqual([{ path: 'webhookUrl', message: expect.stringMatching(/^not allowed as a webhook target: /) }])
  })

  it('stores none of them, and refuses a PATCH to one', async () => {
    const list = await strict.app.inject({ method: 'GET', url: '/api/v1/police-stations', headers: bearer(admin) })
    expect((list.json() as { items: Array<{ name: string }> }).items.map((s) => s.name)).not.toContain('Inside')
    const ok = await send(strict, 'POST', '/api/v1/police-stations', admin, { name: 'Public', webhookUrl: 'https://police.example.gov.cn/hook', secret: SECRET, format: 'cap' })
    expect(ok.statusCode).toBe(201)
    const id = (ok.json() as { id: string }).id
    const patched = await send(strict, 'PATCH', `/api/v1/police-stations/${id}`, admin, { webhookUrl: 'http://[::ffff:169.254.169.254]/latest/' })
    expect(patched.statusCode).toBe(400)
    expect((patched.json() as ErrorBody).error.fields?.[0]?.path).toBe('webhookUrl')
    const after = await strict.app.inject({ method: 'GET', url: `/api/v1/police-stations/${id}`, headers: bearer(admin) })
    expect((after.json() as { webhookUrl: string }).webhookUrl).toBe('https://police.example.gov.cn/hook')
  })

  it('refuses family contacts inside, naming each contact field, on create and on change', async () => {
    const contacts = [
      { name: '王强', webhookUrl: 'https://family.example/hook', secret: SECRET },
      { name: '王芳', webhookUrl: 'http://2130706433:8080/api/v1/users', secret: SECRET },
      { name: '李明', webhookUrl: 'http://[fd00::1]/hook', secret: SECRET },
    ]
    const created = await send(strict, 'POST', '/api/v1/elders', operator, { name: '王秀英', home, contacts })
    expect(created.statusCode).toBe(400)
    expect((created.json() as ErrorBody).error.fields?.map((f) => f.path)).toEqual(['contacts.1.webhookUrl', 'contacts.2.webhookUrl'])

    const elder = await send(strict, 'POST', '/api/v1/elders', operator, { name: '王秀英', home, contacts: [contacts[0]] })
    expect(elder.statusCode).toBe(201)
    const id = (elder.json() as { id: string }).id
    const patched = await send(strict, 'PATCH', `/api/v1/elders/${id}`, operator, { contacts: [contacts[0], { ...contacts[0], webhookUrl: 'http://10.0.0.8/' }] })
    expect(patched.statusCode).toBe(400)
    expect((patched.json() as ErrorBody).error.fields?.map((f) => f.path)).toEqual(['contacts.1.webhookUrl'])
  })

  it('lets through what EG_WEBHOOK_ALLOW lists, and nothing else', async () => {
    for (const webhookUrl of ['http://127.0.0.1:9090/police', 'http://[::1]:9090/police', 'http://2130706433:9090/police', 'http://police-gw.lan/hook']) {
      const res = await send(allowing, 'POST', '/api/v1/police-stations', allowingAdmin, { name: 'Allowed', webhookUrl, secret: SECRET, format: 'json' })
      expect(res.statusCode, webhookUrl).toBe(201)
    }
    for (const webhookUrl of ['http://169.254.169.254/', 'http://192.168.1.1/', 'http://127.0.0.2/', 'http://localhost/']) {
      const res = await send(allowing, 'POST', '/api/v1/police-stations', allowingAdmin, { name: 'Still inside', webhookUrl, secret: SECRET, format: 'json' })
      expect(res.statusCode, webhookUrl).toBe(400)
    }
  })
})
