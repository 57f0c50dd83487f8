import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends } from '../../../test/support/databases'
import { migrate } from '../../src/storage/migrate'
import { ADMIN_PASSWORD, bearer, home, login, startApi, type Api } from './harness'

/**
 * DESIGN §4: "police stations and contacts have one [language]; default zh-CN" — stored, returned,
 * settable on create and update, and refused (400 naming the field) for a language notices are
 * not written in.
 */
describe.each(backends)('notice languages of police stations and contacts on $name', (backend) => {
  let api: Api
  let admin: string
  beforeAll(async () => {
    api = await startApi(backend)
    admin = await login(api.app, 'admin', ADMIN_PASSWORD)
  })
  afterAll(() => api.close())

  const send = (method: 'POST' | 'PATCH' | 'GET', url: string, payload?: object) => api.app.inject({ method, url, headers: bearer(admin), ...(payload ? { payload } : {}) })
  const station = { name: 'East station', webhookUrl: 'https://east.police.example/notices', secret: 'east-station-hmac-secret', format: 'cap' }
  const fieldsOf = (body: { error: { code: string; fields: Array<{ path: string }> } }) => {
    expect(body.error.code).toBe('VALIDATION_FAILED')
    return body.error.fields.map((f) => f.path)
  }

  it('police stations: zh-CN by default, en on request, changed by PATCH, returned everywhere', async () => {
    const plain = await send('POST', '/api/v1/police-stations', station)
    expect(plain.statusCode).toBe(201)
    expect(plain.json()).toMatchObject({ language: 'zh-CN' })
    const english = await send('POST', '/api/v1/police-stations', { ...station, language: 'en' })
    expect(english.json()).toMatchObject({ language: 'en' })
    const id = plain.json().id as string
    const patched = await send('PATCH', `/api/v1/police-stations/${id}`, { language: 'en' })
    expect(patched.statusCode).toBe(200)
    expect(patched.json()).toMatchObject({ id, language: 'en', format: 'cap' })
    expect((await send('GET', `/api/v1/police-stations/${id}`)).json()).toMatchObject({ language: 'en' })
    const list = (await send('GET', '/api/v1/police-stations')).json() as { items: Array<{ language: string }> }
    expect(list.items.map((s) => s.language).sort()).toEqual(['en', 'en'])
  })

  it('police stations: another language is a 400 naming the field, on create and on update', async () => {
    const created = await send('POST', '/api/v1/police-stations', { ...station, language: 'fr' })
    expect(created.statusCode).toBe(400)
    expect(fieldsOf(created.json())).toEqual(['language'])
    const id = (await send('POST', '/api/v1/police-stations', station)).json().id as string
    const patched = await send('PATCH', `/api/v1/police-stations/${id}`, { language: 'zh-TW' })
    expect(patched.statusCode).toBe(400)
    expect(fieldsOf(patched.json())).toEqual(['language'])
  })

  it('contacts: zh-CN by default, en on request; another language is a 400 naming the field', async () => {
    const created = await send('POST', '/api/v1/elders', {
      name: 'Zhang Wei',
      home,
      contacts: [
        { name: 'Son', webhookUrl: 'https://son.example/hook', secret: 'family-webhook-secret', language: 'en' },
        { name: 'Daughter', phone: '+86 139 0000 0000' },
      ],
    })
    expect(created.statusCode).toBe(201)
    const elder = created.json() as { id: string; contacts: Array<{ name: string; language: string }> }
    expect(elder.contacts.map((c) => [c.name, c.language])).toEqual([
      ['Son', 'en'],
      ['Daughter', 'zh-CN'],
    ])
    const patched = await send('PATCH', `/api/v1/elders/${elder.id}`, { contacts: [{ name: 'Son', language: 'zh-CN' }] })
    expect(patched.json().contacts).toEqual([expect.objectContaining({ name: 'Son', language: 'zh-CN' })])
    const bad = await send('POST', '/api/v1/elders', { name: 'Li Na', home, contacts: [{ name: 'Son', language: 'ja' }] })
    expect(bad.statusCode).toBe(400)
    expect(fieldsOf(bad.json())).toEqual(['contacts.0.language'])
  })
})

describe.each(backends)('migration 015 on $name', (backend) => {
  it('gives existing stations and contacts the default language, keeping the contacts as they were', async () => {
    const opened = await backend.open({ migrate: false })
    const all = fileURLToPath(new URL('../../src/storage/migrations/', import.meta.url))
    const before = mkdtempSync(join(tmpdir(), 'eg-migrations-'))
    try {
      for (const file of readdirSync(all).filter((f) => f < '015')) copyFileSync(join(all, file), join(before, file))
      await migrate(opened.db, { timescale: false, dir: before })
      await opened.db.query("INSERT INTO tenants (id, name) VALUES ('t1', 'county')")
      await opened.db.query("INSERT INTO police_stations (id, tenant_id, name, webhook_url, secret, format) VALUES ('s1', 't1', 'East', 'https://e.example', 'station-secret-0123456789', 'json')")
      const contacts = [{ name: 'Son', webhookUrl: 'https://son.example', secret: 'family-secret-0123456789' }, { name: 'Grid worker', phone: '139' }]
      await opened.db.query("INSERT INTO elders (id, tenant_id, name, home_lat, home_lon, contacts) VALUES ('e1', 't1', 'Wang', 31, 121, $1::jsonb), ('e2', 't1', 'Li', 31, 121, '[]')", [
        JSON.stringify(contacts),
      ])

      expect(await migrate(opened.db, { timescale: false, dir: all })).toContain('015_notice_language')
      expect(await opened.db.query('SELECT language FROM police_stations')).toEqual([{ language: 'zh-CN' }])
      const rows = await opened.db.query<{ id: string; contacts: unknown }>('SELECT id, contacts FROM elders ORDER BY id')
      expect(rows).toEqual([
        { id: 'e1', contacts: contacts.map((c) => ({ ...c, language: 'zh-CN' })) },
        { id: 'e2', contacts: [] },
      ])
      await expect(opened.db.query("UPDATE police_stations SET language = 'fr'")).rejects.toThrow()
    } finally {
      rmSync(before, { recursive: true, force: true })
      await opened.cleanup()
    }
  })
})
