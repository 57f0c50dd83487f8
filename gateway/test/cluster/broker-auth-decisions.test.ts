import Fastify from 'fastify'
import pino from 'pino'
import { describe, expect, it } from 'vitest'
import { createClusterAccess, mayReachEldergateTopics } from '../../src/broker-external/cluster-access'
import { httpLoggerOptions } from '../../src/http/request-log'
import { brokerAuthRoutes } from '../../src/http/routes/broker-auth-routes'

const SECRET = 'cluster-shared-secret-0123456789'

describe('which topics are eldergate’s to decide (strangers are denied there, ignored elsewhere)', () => {
  it.each([
    ['eg/v1/w1/telemetry', true],
    ['eg/v1/#', true],
    ['eg/#', true],
    ['#', true],
    ['+/v1/w1/event', true],
    ['eg/+/w1/event', true],
    ['+/+/x', true],
    ['$share/group/eg/v1/+/telemetry', true],
    ['$queue/eg/v1/w1/cmd', true],
    ['$exclusive/eg/v1/w1/cmd', true],
    ['eg/v1', false],
    ['eg', false],
    ['+', false],
    ['eg/v2/w1/event', false],
    ['factory/line-1', false],
    ['$SYS/brokers', false],
    ['$share/group', false],
  ])('%s → %s', (topic, expected) => {
    expect(mayReachEldergateTopics(topic)).toBe(expected)
  })
})

describe('a registry that does not answer', () => {
  it('is answered with deny by every endpoint (EMQX reads an HTTP error as ignore), and no password reaches the log', async () => {
    const lines: string[] = []
    // The app's own request-log options (request-log.ts): query strings (`?secret=`) are dropped.
    const logger = pino({ level: 'debug' }, { write: (l: string) => void lines.push(l) }).child({}, httpLoggerOptions)
    const app = Fastify({ loggerInstance: logger })
    const access = createClusterAccess({
      verifyDevice: () => Promise.reject(new Error('database away')),
      lookupDevice: () => Promise.reject(new Error('database away')),
    })
    await app.register(brokerAuthRoutes({ access, secret: SECRET }), { prefix: '/api/v1' })
    const headers = { 'x-eldergate-broker-secret': SECRET }
    const device = { clientid: 'watch-1', username: 'watch-1', password: 'the-device-secret' }

    const authn = await app.inject({ method: 'POST', url: '/api/v1/broker/emqx/authn', headers, payload: device })
    expect([authn.statusCode, authn.json()]).toEqual([200, { result: 'deny', is_superuser: false }])
    const authz = await app.inject({ method: 'GET', url: '/api/v1/broker/emqx/authz', headers, query: { username: 'watch-1', topic: 'eg/v1/watch-1/event', action: 'publish' } })
    expect([authz.statusCode, authz.json()]).toEqual([200, { result: 'deny' }])
    const user = await app.inject({ method: 'POST', url: `/api/v1/broker/mosquitto/user?secret=${SECRET}`, payload: device })
    expect([user.statusCode, user.json()]).toEqual([403, { ok: false, error: 'denied: lookup_failed' }])
    const text = await app.inject({ method: 'POST', url: `/api/v1/broker/mosquitto/user?secret=${SECRET}&response_mode=text`, payload: device })
    expect([text.statusCode, text.body]).toEqual([403, 'denied: lookup_failed'])

    expect(lines.join('')).toContain('broker auth lookup failed: answered deny')
    expect(lines.join('')).not.toContain('the-device-secret')
    expect(lines.join('')).not.toContain(SECRET)
    await app.close()
  })
})
