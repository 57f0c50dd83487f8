import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { bearer, login, userToken } from '../http/harness'
import { openStream, type SseStream } from './sse-client'
import { startStreamApi, type StreamApi } from './fixture'

/**
 * What ends a session ends its open live streams at once (http/live-sessions.ts), over real HTTP
 * with a client reading the stream: logout (that session's streams), a password change,
 * disabling, a role or station change (every stream of the user), and expiry on time. The
 * periodic session check is set to an hour here, so only the immediate path can pass.
 */
const PROMPTLY_MS = 2_000

describe('live streams end with their session', () => {
  let s: StreamApi
  const open: SseStream[] = []
  let userSeq = 0

  beforeAll(async () => {
    s = await startStreamApi({ sessionCheckMs: 3_600_000 })
  })
  afterEach(() => {
    for (const stream of open.splice(0)) stream.close()
  })
  afterAll(() => s.close())

  const connect = async (token: string) => {
    const stream = await openStream(s.baseUrl, { token })
    open.push(stream)
    expect(stream.status).toBe(200)
    await stream.waitForEvents(1, { topics: ['hello'] })
    return stream
  }
  /** Resolves true if the server ended the stream within `ms`. */
  const endsWithin = (stream: SseStream, ms: number) =>
    Promise.race([stream.ended.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms))])
  const newUser = async (role: 'operator' | 'admin' = 'operator') => {
    const username = `user${++userSeq}`
    const token = await userToken(s.api.app, s.adminToken, { username, role })
    const users = await s.request<{ items: Array<{ id: string; username: string }> }>('GET', '/api/v1/users?limit=100')
    const id = users.items.find((u) => u.username === username)?.id ?? ''
    return { username, token, id, password: `${username}-password` }
  }

  it("logout ends that session's streams at once; another session of the same user keeps its own", async () => {
    const user = await newUser()
    const otherSession = await login(s.api.app, user.username, user.password)
    const mine = await connect(user.token)
    const other = await connect(otherSession)
    const logout = await s.api.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: bearer(user.token) })
    expect(logout.statusCode).toBe(204)
    expect(await endsWithin(mine, PROMPTLY_MS)).toBe(true)
    expect(await endsWithin(other, 300)).toBe(false)
    // And what ended cannot come back.
    expect((await openStream(s.baseUrl, { token: user.token })).status).toBe(401)
  })

  it.each([
    ['a password change', { password: 'a-brand-new-password' }],
    ['disabling', { disabled: true }],
    ['a role change', { role: 'admin' }],
  ] as const)('%s ends every stream of that user at once, and no stream of another user', async (_what, patch) => {
    const user = await newUser()
    const second = await login(s.api.app, user.username, user.password)
    const bystander = await newUser()
    const streams = [await connect(user.token), await connect(second)]
    const untouched = await connect(bystander.token)
    const res = await s.api.app.inject({ method: 'PATCH', url: `/api/v1/users/${user.id}`, headers: bearer(s.adminToken), payload: patch })
    expect(res.statusCode).toBe(200)
    for (const stream of streams) expect(await endsWithin(stream, PROMPTLY_MS)).toBe(true)
    expect(await endsWithin(untouched, 300)).toBe(false)
  })

  it('a change that keeps the session (display name) leaves the stream open', async () => {
    const user = await newUser()
    const stream = await connect(user.token)
    const res = await s.api.app.inject({ method: 'PATCH', url: `/api/v1/users/${user.id}`, headers: bearer(s.adminToken), payload: { displayName: '李值班' } })
    expect(res.statusCode).toBe(200)
    expect(await endsWithin(stream, 500)).toBe(false)
  })

  it('ends a stream when its token expires, not an hour later', async () => {
    const user = await newUser()
    await s.api.opened.db.query("UPDATE auth_tokens SET expires_at = now() + interval '1 second' WHERE user_id = $1", [user.id])
    const stream = await connect(user.token)
    expect(await endsWithin(stream, 3_000)).toBe(true)
  })

  it('sends the security headers on the stream too, and no-store', async () => {
    const user = await newUser()
    const stream = await connect(user.token)
    expect(stream.headers['x-content-type-options']).toBe('nosniff')
    expect(stream.headers['cache-control']).toBe('no-store, no-transform')
    expect(String(stream.headers['content-security-policy'])).toContain("frame-ancestors 'none'")
  })
})
