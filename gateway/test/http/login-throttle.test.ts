import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends } from '../../../test/support/databases'
import { createMetrics } from '../../src/metrics'
import { ADMIN_PASSWORD, login, startApi, userToken, type Api } from './harness'

/**
 * Issue 13, item 1, over HTTP: the operator login throttle counts failures per (address,
 * username) pair and per address, never per username alone. Before, 30 wrong passwords for a
 * user from one address made the right password from any other address answer 429.
 */
const pglite = backends.find((b) => b.name === 'pglite') ?? backends[0]
if (pglite === undefined) throw new Error('no test backend')

describe('operator login throttle', () => {
  let api: Api
  let admin: string
  const logLines: string[] = []
  const metrics = createMetrics()

  beforeAll(async () => {
    const logger = pino({ level: 'debug' }, { write: (line: string) => void logLines.push(line) })
    api = await startApi(pglite, {
      metrics,
      logger,
      env: { EG_AUTH_MAX_FAILURES: '3', EG_AUTH_ADDRESS_MAX_FAILURES: '4', EG_AUTH_ADDRESS_MAX_DELAY_MS: '300' },
    })
    admin = await login(api.app, 'admin', ADMIN_PASSWORD)
  })
  afterAll(async () => {
    await api?.close()
  })

  const attempt = (username: string, password: string, remoteAddress: string) =>
    api.app.inject({ method: 'POST', url: '/api/v1/auth/login', remoteAddress, payload: { username, password } })

  async function throttled(scope: 'pair' | 'address', action: 'refused' | 'delayed'): Promise<number> {
    const data = await metrics.registry.getSingleMetric('eg_auth_throttled_total')?.get()
    return data?.values.find((v) => v.labels.kind === 'http' && v.labels.scope === scope && v.labels.action === action)?.value ?? 0
  }

  it('30 wrong passwords for a user from one address: the right password from another address logs in at once', async () => {
    await userToken(api.app, admin, { username: 'duty-officer', role: 'operator' })
    const statuses = new Set<number>()
    for (let i = 0; i < 30; i++) statuses.add((await attempt('duty-officer', `wrong-${i}`, '10.9.9.9')).statusCode)
    expect([...statuses].sort()).toEqual([401, 429])

    const elsewhere = await attempt('duty-officer', 'duty-officer-password', '10.1.1.1')
    expect(elsewhere.statusCode).toBe(200)
    // From the guessing address itself the pair waits: 429 with Retry-After, password unchecked.
    const there = await attempt('duty-officer', 'duty-officer-password', '10.9.9.9')
    expect(there.statusCode).toBe(429)
    expect(Number(there.headers['retry-after'])).toBeGreaterThan(0)
    expect(await throttled('pair', 'refused')).toBeGreaterThanOrEqual(1)
  })

  it('an address spraying wrong passwords still lets its users with the right password in (delayed at most)', async () => {
    await userToken(api.app, admin, { username: 'night-shift', role: 'operator' })
    await userToken(api.app, admin, { username: 'day-shift', role: 'operator' })
    // day-shift has logged in from the shared office address before.
    expect((await attempt('day-shift', 'day-shift-password', '10.5.5.5')).statusCode).toBe(200)
    for (let i = 0; i < 5; i++) expect((await attempt(`user-${i}`, 'Spring2024!', '10.5.5.5')).statusCode).toBe(401)

    const delayedBefore = await throttled('address', 'delayed')
    expect((await attempt('day-shift', 'day-shift-password', '10.5.5.5')).statusCode).toBe(200)
    expect(await throttled('address', 'delayed')).toBe(delayedBefore)
    const started = Date.now()
    expect((await attempt('night-shift', 'night-shift-password', '10.5.5.5')).statusCode).toBe(200)
    expect(Date.now() - started).toBeGreaterThanOrEqual(250)
    expect(await throttled('address', 'delayed')).toBe(delayedBefore + 1)
  })

  it('logs what was throttled, never a password', () => {
    const text = logLines.join('')
    expect(text).toContain('login throttled: this username from this address waits')
    expect(text).toContain('login throttled: usernames new to this address are delayed')
    expect(text).toContain('"scope":"pair"')
    for (const secret of ['duty-officer-password', 'wrong-1', 'Spring2024!', ADMIN_PASSWORD]) expect(text).not.toContain(secret)
  })
})
