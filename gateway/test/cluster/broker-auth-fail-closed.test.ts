import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { seedElders, type SeededDevice } from '../../../test/support/api-client'
import { startTestGateway, type TestGateway } from '../../../test/support/gateway'
import {
  emqxAuthnAlone, emqxAuthnReads, emqxAuthzEffective, emqxCall, emqxDefaultNoMatch, exchange, goAuthCall, goAuthReads,
  type EmqxSource, type GoAuthMethod, type GoAuthParamsMode, type GoAuthResponseMode,
} from './broker-auth-clients'

/**
 * Issue 13, item 2: the broker auth endpoints fail closed. Every request is made as EMQX 5 or
 * mosquitto-go-auth builds it, and every answer is judged as that broker reads it
 * (broker-auth-clients.ts): whatever is not explicitly allowed must come out as "deny" for
 * that broker — for EMQX authorization even with its default `no_match = allow`.
 */
const SECRET = 'cluster-shared-secret-0123456789'
const WORKER = { username: 'eg-worker', password: 'worker-password-xyz' }
const PREFIX = '/api/v1/broker'

describe('broker auth endpoints fail closed', () => {
  let t: TestGateway
  let base: string
  let watch: SeededDevice
  let other: SeededDevice

  beforeAll(async () => {
    t = await startTestGateway({ env: { EG_BROKER_AUTH_SECRET: SECRET, EG_MQTT_USERNAME: WORKER.username, EG_MQTT_PASSWORD: WORKER.password } })
    base = `http://127.0.0.1:${t.gateway.httpPort}`
    ;[watch, other] = (await seedElders(t.api, 2)) as [SeededDevice, SeededDevice]
  })
  afterAll(async () => {
    await t?.stop()
    await t?.drop()
  })

  describe('EMQX 5', () => {
    const secretHeader = { 'x-eldergate-broker-secret': SECRET }
    // The documented example body, as configured in the dashboard, plus our shared secret header.
    const authnPost: EmqxSource = { method: 'post', url: `${PREFIX}/emqx/authn`, headers: secretHeader, body: { username: '${username}', password: '${password}' } }
    const authnWithClientId: EmqxSource = { ...authnPost, body: { clientid: '${clientid}', username: '${username}', password: '${password}' } }
    const authnForm: EmqxSource = { ...authnWithClientId, headers: { ...secretHeader, 'content-type': 'application/x-www-form-urlencoded' } }
    const authnGet: EmqxSource = { ...authnWithClientId, method: 'get', headers: secretHeader }
    const authz: EmqxSource = {
      method: 'post',
      url: `${PREFIX}/emqx/authz`,
      headers: secretHeader,
      body: { clientid: '${clientid}', username: '${username}', topic: '${topic}', action: '${action}' },
    }
    const authzGet: EmqxSource = { ...authz, method: 'get' }
    const device = (d: SeededDevice, password = d.secret) => ({ clientid: d.id, username: d.id, password })

    it('authentication: allows a device with its secret in every request shape, the worker as superuser', async () => {
      for (const source of [authnPost, authnWithClientId, authnForm, authnGet]) {
        expect(emqxAuthnReads(await emqxCall(base, source, device(watch)))).toEqual({ result: 'allow', superuser: false })
      }
      expect(emqxAuthnReads(await emqxCall(base, authnPost, { clientid: 'w1', ...WORKER }))).toEqual({ result: 'allow', superuser: true })
    })

    it('authentication: every failure is an explicit deny (200), an unknown client "ignore" for the chain', async () => {
      const deny = { result: 'deny', superuser: false }
      const noSecret = { ...authnWithClientId, headers: {} }
      const wrongSecret = { ...authnWithClientId, headers: { 'x-eldergate-broker-secret': 'not-the-shared-secret' } }
      for (const [what, source, values] of [
        ['missing secret', noSecret, device(watch)],
        ['wrong secret', wrongSecret, device(watch)],
        ['wrong password', authnWithClientId, device(watch, other.secret)],
        ['empty password', authnWithClientId, device(watch, '')],
        ['client id of another device', authnWithClientId, { ...device(watch), clientid: other.id }],
        ['a device id as client id of a stranger', authnWithClientId, { clientid: watch.id, username: 'someone-else', password: 'x' }],
        ['worker with a wrong password', authnPost, { username: WORKER.username, password: 'guess' }],
      ] as const) {
        const res = await emqxCall(base, source, values)
        expect(res.status, what).toBe(200)
        expect(emqxAuthnReads(res), what).toEqual(deny)
      }
      // Not ours (no such device, not the worker): "ignore", so a later authenticator may know
      // it; with none left EMQX refuses the connection.
      const unknown = await emqxCall(base, authnWithClientId, device({ ...watch, id: 'no-such-device' }, 'x'))
      expect(emqxAuthnReads(unknown).result).toBe('ignore')
      expect(emqxAuthnAlone(unknown)).toBe('refused')
    })

    it('authentication: unreadable requests are denied, not 400/415 (which EMQX reads as ignore)', async () => {
      const url = `${base}${PREFIX}/emqx/authn`
      const cases: Array<[string, Record<string, string>, string]> = [
        ['malformed JSON', { 'content-type': 'application/json' }, '{"username":'],
        ['JSON that is not an object', { 'content-type': 'application/json' }, '["x"]'],
        ['unsupported content type', { 'content-type': 'text/plain' }, 'username=x'],
        ['XML', { 'content-type': 'application/xml' }, '<u/>'],
        ['a broken content type header', { 'content-type': '/' }, '{}'],
        ['a body without a content type', {}, '{"username":"x"}'],
        ['too large', { 'content-type': 'application/json' }, JSON.stringify({ username: 'x', pad: 'p'.repeat(20_000) })],
      ]
      for (const [what, headers, body] of cases) {
        const res = await exchange(url, 'POST', { ...secretHeader, ...headers }, body)
        expect([what, res.status]).toEqual([what, 200])
        expect(emqxAuthnReads(res), what).toEqual({ result: 'deny', superuser: false })
      }
    })

    it('authorization: a device gets its own topics and an explicit deny for everything else, even with no_match = allow', async () => {
      const as = (d: SeededDevice, topic: string, action: 'publish' | 'subscribe', source = authz) =>
        emqxCall(base, source, { clientid: d.id, username: d.id, topic, action }).then((r) => emqxDefaultNoMatch(emqxAuthzEffective(r)))
      expect(await as(watch, `eg/v1/${watch.id}/telemetry`, 'publish')).toBe('allow')
      expect(await as(watch, `eg/v1/${watch.id}/cmd`, 'subscribe', authzGet)).toBe('allow')
      for (const [topic, action] of [
        [`eg/v1/${other.id}/telemetry`, 'publish'], // foreign topic
        [`eg/v1/${watch.id}/cmd`, 'publish'], // commands come from the gateway only
        ['eg/v1/+/cmd', 'subscribe'],
        ['#', 'subscribe'],
        ['$SYS/brokers', 'subscribe'],
        ['some/other/app', 'publish'], // outside eldergate's tree: still denied for a device
        [`$share/g/eg/v1/${other.id}/event`, 'subscribe'],
      ] as const) {
        expect(await as(watch, topic, action), topic).toBe('deny')
        expect(await as(watch, topic, action, authzGet), topic).toBe('deny')
      }
    })

    it('authorization: every failure path is an explicit 200 deny', async () => {
      const values = { clientid: watch.id, username: watch.id, topic: `eg/v1/${watch.id}/telemetry`, action: 'publish' }
      for (const [what, source, v] of [
        ['missing secret', { ...authz, headers: {} }, values],
        ['wrong secret', { ...authz, headers: { 'x-eldergate-broker-secret': 'nope-nope-nope-nope' } }, values],
        ['client id of another device', authz, { ...values, clientid: other.id }],
        ['no topic', { ...authz, body: { username: '${username}', action: '${action}' } }, values],
        ['unknown action', authz, { ...values, action: 'retain' }],
        ['a stranger on eldergate topics', authz, { ...values, clientid: 'app-1', username: 'app-1', topic: 'eg/v1/+/telemetry', action: 'subscribe' }],
      ] as const) {
        const res = await emqxCall(base, source, v)
        expect(res.status, what).toBe(200)
        expect(emqxAuthzEffective(res), what).toBe('deny')
      }
      const broken = await exchange(`${base}${PREFIX}/emqx/authz`, 'POST', { ...secretHeader, 'content-type': 'application/json' }, '{oops')
      expect([broken.status, emqxAuthzEffective(broken)]).toEqual([200, 'deny'])
      const form = await exchange(`${base}${PREFIX}/emqx/authz`, 'POST', { ...secretHeader, 'content-type': 'text/csv' }, 'a,b')
      expect([form.status, emqxAuthzEffective(form)]).toEqual([200, 'deny'])
      // The worker may do anything; a client that is not ours, off eldergate's tree, is "ignore".
      expect(emqxAuthzEffective(await emqxCall(base, authz, { ...values, username: WORKER.username, topic: '$share/eldergate/eg/v1/+/telemetry', action: 'subscribe' }))).toBe('allow')
      expect(emqxAuthzEffective(await emqxCall(base, authz, { clientid: 'app-1', username: 'app-1', topic: 'factory/line-1', action: 'publish' }))).toBe('ignore')
    })
  })

  describe('mosquitto-go-auth', () => {
    const uri = (check: 'user' | 'superuser' | 'acl', secret: string | null, responseMode: GoAuthResponseMode) =>
      `${PREFIX}/mosquitto/${check}?${new URLSearchParams({ ...(secret === null ? {} : { secret }), ...(responseMode === 'text' ? { response_mode: 'text' } : {}) })}`
    const requestModes: Array<{ params: GoAuthParamsMode; method: GoAuthMethod }> = [
      { params: 'json', method: 'POST' },
      { params: 'json', method: 'PUT' },
      { params: 'json', method: 'GET' },
      { params: 'form', method: 'POST' },
    ]
    const responseModes: GoAuthResponseMode[] = ['status', 'json', 'text']

    /** The verdict go-auth reaches for one check, in every request and response mode. */
    async function verdicts(check: 'user' | 'superuser' | 'acl', data: Record<string, string | number>, secret: string | null = SECRET): Promise<Set<string>> {
      const seen = new Set<string>()
      for (const mode of requestModes) {
        for (const responseMode of responseModes) {
          const res = await goAuthCall(base, uri(check, secret, responseMode), mode, data)
          seen.add(goAuthReads(res, responseMode))
        }
      }
      return seen
    }

    it('allows a device with its secret, the worker as superuser, and a device on its own topics, in every mode', async () => {
      expect(await verdicts('user', { username: watch.id, password: watch.secret, clientid: watch.id })).toEqual(new Set(['allow']))
      expect(await verdicts('user', { ...WORKER, clientid: 'w1' })).toEqual(new Set(['allow']))
      expect(await verdicts('superuser', { username: WORKER.username })).toEqual(new Set(['allow']))
      expect(await verdicts('acl', { username: watch.id, clientid: watch.id, topic: `eg/v1/${watch.id}/event`, acc: 2 })).toEqual(new Set(['allow']))
      expect(await verdicts('acl', { username: watch.id, clientid: watch.id, topic: `eg/v1/${watch.id}/cmd`, acc: 4 })).toEqual(new Set(['allow']))
    })

    it('denies every failure path in every request and response mode', async () => {
      const user = { username: watch.id, password: watch.secret, clientid: watch.id }
      const acl = { username: watch.id, clientid: watch.id, topic: `eg/v1/${watch.id}/event`, acc: 2 }
      const deny = new Set(['deny'])
      expect(await verdicts('user', user, null), 'missing secret').toEqual(deny)
      expect(await verdicts('user', user, 'not-the-shared-secret'), 'wrong secret').toEqual(deny)
      expect(await verdicts('acl', acl, null), 'missing secret (acl)').toEqual(deny)
      expect(await verdicts('user', { ...user, username: 'no-such-device', clientid: 'no-such-device' }), 'unknown device').toEqual(deny)
      expect(await verdicts('user', { ...user, password: other.secret }), 'wrong password').toEqual(deny)
      expect(await verdicts('user', { ...user, clientid: other.id }), 'client id of another device').toEqual(deny)
      expect(await verdicts('superuser', { username: watch.id }), 'a device is no superuser').toEqual(deny)
      expect(await verdicts('acl', { ...acl, topic: `eg/v1/${other.id}/event` }), 'foreign topic').toEqual(deny)
      expect(await verdicts('acl', { ...acl, topic: `eg/v1/${watch.id}/cmd`, acc: 3 }), 'writing its cmd topic').toEqual(deny)
      expect(await verdicts('acl', { ...acl, topic: 'other/app', acc: 1 }), 'outside eldergate').toEqual(deny)
      expect(await verdicts('acl', { ...acl, acc: 9 }), 'unknown acc').toEqual(deny)
      expect(await verdicts('acl', { username: watch.id, acc: 2 }), 'no topic').toEqual(deny)
    })

    it('denies unreadable requests with a status every response mode reads as deny', async () => {
      for (const [what, method, headers, body] of [
        ['malformed JSON', 'POST', { 'content-type': 'application/json' }, '{"username":'],
        ['malformed JSON on a GET', 'GET', { 'content-type': 'application/json' }, '{"username":'],
        ['unsupported content type', 'POST', { 'content-type': 'text/plain' }, 'ok'],
        ['a field twice in a form', 'POST', { 'content-type': 'application/x-www-form-urlencoded' }, `username=${watch.id}&username=x&password=${watch.secret}`],
        ['too large', 'PUT', { 'content-type': 'application/json' }, JSON.stringify({ username: 'x', pad: 'p'.repeat(20_000) })],
      ] as const) {
        for (const responseMode of responseModes) {
          const res = await exchange(base + uri('user', SECRET, responseMode), method, headers, body)
          expect([what, responseMode, res.status]).toEqual([what, responseMode, 403])
          expect(goAuthReads(res, responseMode), what).toBe('deny')
        }
      }
    })
  })
})
