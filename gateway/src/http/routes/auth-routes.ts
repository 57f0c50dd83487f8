import type { FastifyPluginAsync } from 'fastify'
import { z } from 'zod'
import { EgError } from '../../errors'
import { recordAudit } from '../../registry/audit-store'
import { DUMMY_PASSWORD_HASH, checkPassword, generateToken, hashToken } from '../../registry/secrets'
import { deleteExpiredTokens, deleteToken, insertToken } from '../../registry/token-store'
import { findUserForLogin, getUser } from '../../registry/user-store'
import type { HttpDeps } from '../deps'
import { ALL_ROLES, auditBy, bearerToken, userOf } from '../auth'
import type { LoginThrottle } from '../login-throttle'
import { rehashAtLogin } from '../password-rehash'
import { security } from '../schemas/security'
import { loginView, profileView } from '../schemas/user-schemas'
import { RETRY_AFTER, bearerErrors, bodyErrors, errorResponses, noContent, withHeaders } from '../schemas/responses'
import type { ZodTypeProvider } from '../zod-provider'

const loginBody = z.object({
  username: z.string().min(1).max(128),
  // The cap bounds scrypt's work on a hostile request.
  password: z.string().min(1).max(1024),
})

const loginErrors = errorResponses(['VALIDATION_FAILED', 'BAD_CREDENTIALS', 'TOO_MANY_ATTEMPTS', 'INTERNAL', 'STORAGE_UNAVAILABLE'])

const loginSchema = {
  operationId: 'login',
  summary: 'Sign in: a bearer token for the other routes',
  tags: ['auth'],
  security: security.none,
  body: loginBody,
  response: {
    200: loginView.meta({ description: 'signed in' }),
    ...loginErrors,
    429: withHeaders(loginErrors[429], RETRY_AFTER),
    ...bodyErrors,
  },
}

/** POST /api/v1/auth/login — the one unauthenticated /api/v1 route. */
export function loginRoutes(deps: Pick<HttpDeps, 'db' | 'config' | 'metrics'>, throttle: LoginThrottle): FastifyPluginAsync {
  const throttled = deps.metrics.authThrottled
  return async (app) => {
    app.withTypeProvider<ZodTypeProvider>().post(
      '/auth/login',
      { schema: loginSchema },
      async (request, reply) => {
        const { username, password } = request.body
        // Throttled per (address, username) and per address, never per username alone: the
        // right password from an address that did not fail always gets in (login-throttle.ts).
        const retryAfterMs = await throttle.admit(username, request.ip, { throttled, log: request.log })
        if (retryAfterMs > 0) {
          reply.header('retry-after', String(Math.ceil(retryAfterMs / 1000)))
          throw new EgError('TOO_MANY_ATTEMPTS')
        }
        const user = await findUserForLogin(deps.db, username)
        // Unknown users cost the same scrypt as known ones: timing must not reveal usernames.
        const { ok: passwordOk, rehash } = await checkPassword(password, user?.passwordHash ?? DUMMY_PASSWORD_HASH)
        if (user === null || !passwordOk || user.disabled) {
          throttle.recordFailure(username, request.ip, request.log)
          request.log.warn({ username, remoteAddress: request.ip }, 'login failed')
          throw new EgError('BAD_CREDENTIALS')
        }
        throttle.recordSuccess(username, request.ip)
        // A hash under older scrypt parameters is replaced now that the password is known.
        if (rehash) await rehashAtLogin(deps.db, user, password, request.log)
        const token = generateToken()
        const expiresAt = new Date(Date.now() + deps.config.EG_TOKEN_TTL_HOURS * 3_600_000)
        await deps.db.transaction(async (tx) => {
          await insertToken(tx, { tokenHash: hashToken(token), userId: user.id, expiresAt })
          await recordAudit(tx, { tenantId: user.tenantId, actor: user.username, action: 'auth.login', target: user.id, detail: { remoteAddress: request.ip } })
        })
        // Housekeeping off the response path; a failure only leaves dead rows for next time.
        void deleteExpiredTokens(deps.db).catch((err: unknown) => request.log.warn({ err }, 'expired token cleanup failed'))
        return {
          token,
          expiresAt: expiresAt.toISOString(),
          user: { id: user.id, username: user.username, role: user.role, tenantId: user.tenantId, policeStationId: user.policeStationId },
        }
      },
    )
  }
}

/** Logout and the caller's own profile: any signed-in role. */
export function sessionRoutes(deps: Pick<HttpDeps, 'db' | 'config'>): FastifyPluginAsync {
  return async (plain) => {
    const app = plain.withTypeProvider<ZodTypeProvider>()
    const logoutSchema = {
      operationId: 'logout',
      summary: "Sign out: the token stops working and the session's live streams end",
      tags: ['auth'],
      response: { 204: noContent, ...bearerErrors(), ...bodyErrors },
    }
    app.post('/auth/logout', { config: { roles: ALL_ROLES }, schema: logoutSchema }, async (request, reply) => {
      const user = userOf(request)
      const token = bearerToken(request)
      await deps.db.transaction(async (tx) => {
        if (token !== null) await deleteToken(tx, hashToken(token))
        await recordAudit(tx, auditBy(user, 'auth.logout', user.id))
      })
      // After the commit: this session's live streams end now, not at their next session check.
      if (token !== null) request.server.liveSessions.endSession(user.id, hashToken(token), 'logged out')
      return reply.status(204).send()
    })

    const meSchema = { operationId: 'getMe', summary: "The caller's own profile", tags: ['auth'], response: { 200: profileView, ...bearerErrors() } }
    app.get('/me', { config: { roles: ALL_ROLES }, schema: meSchema }, async (request) => {
      const user = userOf(request)
      const record = await getUser(deps.db, user.tenantId, user.id)
      if (record === null) throw new EgError('UNAUTHENTICATED')
      const { disabled: _disabled, ...profile } = record
      return profile
    })
  }
}

