import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { seedElders, type SeededDevice } from '../../../test/support/api-client'
import { startTestGateway, type TestGateway } from '../../../test/support/gateway'
import { loadConfig } from '../../src/config'

/**
 * The cluster's auth backend endpoints (issue 7, item 3) over real HTTP: the request and
 * response shapes of EMQX 5's HTTP authentication / authorization and of mosquitto-go-auth's
 * http backend (params mode json), guarded by EG_BROKER_AUTH_SECRET. Every failure path, in
 * every shape each broker sends: broker-auth-fail-closed.test.ts (issue 13).
 */
const SECRET = 'cluster-shared-secret-0123456789'
const WORKER = { username: 'eg-worker', password: 'worker-password-xyz' }

describe('broker auth endpoints', () => {
  let t: TestGateway
  let watch: SeededDevice
  let other: SeededDevice

  beforeAll(async () => {
    t = await startTestGateway({ env: { EG_BROKER_AUTH_SECRET: SECRET, EG_MQTT_USERNAME: WORKER.username, EG_MQTT_PASSWORD: WORKER.password } })
    ;[watch, other] = (await seedElders(t.api, 2)) as [SeededDevice, SeededDevice]
  })
  afterAll(async () => {
    await t?.stop()
    await t?.drop()
  })

  async function call(path: string, body: unknown, auth: Record<string, string> = { 'x-eldergate-broker-secret': SECRET }) {
    const res = await fetch(`http://127.0.0.1:${t.gateway.httpPort}/api/v1/broker/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth },
      body: JSON.stringify(body),
    })
    return { status: res.status, json: (await res.json()) as Record<string, unknown> }
  }

  it('denies callers without the shared secret, whatever they ask, as each broker reads deny (issue 13)', async () => {
    const body = { clientid: watch.id, username: watch.id, password: watch.secret }
    expect(await call('emqx/authn', body, {})).toEqual({ status: 200, json: { result: 'deny', is_superuser: false } })
    const wrong = await call('emqx/authn', body, { 'x-eldergate-broker-secret': 'not-the-secret-at-all' })
    expect(wrong).toEqual({ status: 200, json: { result: 'deny', is_superuser: false } })
    expect((await call('mosquitto/user', body, {})).status).toBe(403)
  })

  it('accepts the secret as a header, as HTTP Basic password, or as ?secret= (mosquitto-go-auth sends no headers)', async () => {
    const body = { clientid: watch.id, username: watch.id, password: watch.secret }
    const basic = { authorization: `Basic ${Buffer.from(`emqx:${SECRET}`).toString('base64')}` }
    expect((await call('emqx/authn', body, basic)).json).toEqual({ result: 'allow', is_superuser: false })
    expect((await call(`mosquitto/user?secret=${SECRET}`, body, {})).json).toEqual({ ok: true })
  })

  it('EMQX authn: allows a device with its own secret and the workers as superusers, denies the rest', async () => {
    expect((await call('emqx/authn', { clientid: watch.id, username: watch.id, password: watch.secret })).json).toEqual({ result: 'allow', is_superuser: false })
    expect((await call('emqx/authn', { clientid: watch.id, username: watch.id, password: other.secret })).json).toEqual({ result: 'deny', is_superuser: false })
    // clientId = username = device id (DESIGN §3): another id as client id is refused.
    expect((await call('emqx/authn', { clientid: other.id, username: watch.id, password: watch.secret })).json.result).toBe('deny')
    // Not ours: "ignore", for the next authenticator in EMQX's chain (none left: refused).
    expect((await call('emqx/authn', { clientid: 'unknown-device', username: 'unknown-device', password: 'x' })).json.result).toBe('ignore')
    expect((await call('emqx/authn', { clientid: 'eg-worker-1', ...WORKER })).json).toEqual({ result: 'allow', is_superuser: true })
    expect((await call('emqx/authn', { clientid: 'eg-worker-1', username: WORKER.username, password: 'guess' })).json.result).toBe('deny')
  })

  it('EMQX authz: the embedded broker’s ACL — own topics only, never the own cmd topic for publishing', async () => {
    const authz = async (topic: string, action: 'publish' | 'subscribe', who = watch.id) =>
      (await call('emqx/authz', { clientid: who, username: who, topic, action })).json.result
    expect(await authz(`eg/v1/${watch.id}/telemetry`, 'publish')).toBe('allow')
    expect(await authz(`eg/v1/${watch.id}/cmd/ack`, 'publish')).toBe('allow')
    expect(await authz(`eg/v1/${other.id}/telemetry`, 'publish')).toBe('deny')
    expect(await authz(`eg/v1/${watch.id}/cmd`, 'publish')).toBe('deny')
    expect(await authz(`eg/v1/${watch.id}/cmd`, 'subscribe')).toBe('allow')
    expect(await authz('eg/v1/+/cmd', 'subscribe')).toBe('deny')
    expect(await authz('$share/eldergate/eg/v1/+/telemetry', 'subscribe')).toBe('deny')
    expect(await authz('$share/eldergate/eg/v1/+/telemetry', 'subscribe', WORKER.username)).toBe('allow')
  })

  it('mosquitto-go-auth: user, superuser and acl answer 200 {ok:true} or 403 {ok:false, error}', async () => {
    expect(await call('mosquitto/user', { username: watch.id, password: watch.secret, clientid: watch.id })).toEqual({ status: 200, json: { ok: true } })
    const refused = await call('mosquitto/user', { username: watch.id, password: 'wrong', clientid: watch.id })
    expect(refused.status).toBe(403)
    expect(refused.json.ok).toBe(false)
    expect(typeof refused.json.error).toBe('string')
    expect((await call('mosquitto/superuser', { username: WORKER.username })).status).toBe(200)
    expect((await call('mosquitto/superuser', { username: watch.id })).status).toBe(403)
    const acl = async (topic: string, acc: number) => (await call('mosquitto/acl', { username: watch.id, clientid: watch.id, topic, acc })).status
    expect(await acl(`eg/v1/${watch.id}/event`, 2)).toBe(200)
    expect(await acl(`eg/v1/${watch.id}/cmd`, 1)).toBe(200)
    expect(await acl(`eg/v1/${watch.id}/cmd`, 4)).toBe(200)
    expect(await acl(`eg/v1/${watch.id}/cmd`, 3)).toBe(403)
    expect(await acl(`eg/v1/${other.id}/cmd`, 1)).toBe(403)
    expect(await acl(`eg/v1/${other.id}/event`, 2)).toBe(403)
  })

  it('denies a malformed request (go-auth reads any non-2xx as deny; a 400 would be "no match" for EMQX)', async () => {
    const res = await call('mosquitto/acl', { username: watch.id, clientid: watch.id, topic: 'x', acc: 9 })
    expect(res).toEqual({ status: 403, json: { ok: false, error: 'denied: missing_fields' } })
    expect(await call('emqx/authz', { clientid: watch.id, username: watch.id, topic: 'x', action: 'delete' })).toEqual({ status: 200, json: { result: 'deny' } })
  })
})

describe('external-broker configuration', () => {
  it('refuses EG_BROKER=external without a cluster URL or a shared PostgreSQL, naming both', () => {
    expect(() => loadConfig({ EG_BROKER: 'external' })).toThrow(/EG_MQTT_URL and DATABASE_URL/)
    expect(() => loadConfig({ EG_BROKER: 'external', EG_MQTT_URL: 'mqtt://127.0.0.1:1883' })).toThrow(/DATABASE_URL/)
    const config = loadConfig({ EG_BROKER: 'external', EG_MQTT_URL: 'mqtt://127.0.0.1:1883', DATABASE_URL: 'postgres://x@127.0.0.1/eg' })
    expect([config.EG_SHARE_GROUP, config.EG_LEASE_TTL_MS]).toEqual(['eldergate', 15_000])
  })

  it('rejects a share group that is not one topic level, and hides secrets in the message', () => {
    expect(() => loadConfig({ EG_SHARE_GROUP: 'a/b' })).toThrow(/EG_SHARE_GROUP/)
    let message = ''
    try {
      loadConfig({ EG_BROKER_AUTH_SECRET: 'short-secret' })
    } catch (err) {
      message = (err as Error).message
    }
    expect(message).toContain('EG_BROKER_AUTH_SECRET=(hidden)')
    expect(message).not.toContain('short-secret')
  })
})
