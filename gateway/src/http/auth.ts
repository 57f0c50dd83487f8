import type { FastifyRequest, onRequestHookHandler, onRouteHookHandler } from 'fastify'
import { EgError } from '../errors'
import type { Queryable } from '../storage/db'
import type { AuditEntry } from '../registry/audit-store'
import { hashToken } from '../registry/secrets'
import { findSession } from '../registry/token-store'
import { ROLES, type Role } from '../registry/types'

/**
 * Bearer authentication and role checks for every route in the authenticated /api/v1 scope.
 *
 * A route declares who may call it in its config: `config: { roles: ['admin', 'operator'] }`.
 * Declaring is mandatory — a route without `roles` in this scope fails at start-up rather
 * than silently being open to every role (default deny).
 */
export interface AuthUser {
  id: string
  tenantId: string
  username: string
  role: Role
  /** Set for role police: the station whose escalations the user may see. */
  policeStationId: string | null
}

/** The bearer session behind an authenticated request. */
export interface RequestSession {
  /** sha256 of the token (auth_tokens.token_hash): what live streams are tracked by. */
  tokenHash: string
  expiresAt: Date
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the auth hook on every authenticated route; null elsewhere (login, healthz). */
    user: AuthUser | null
    /** Set with `user`: a live stream ends when its session does (http/live-sessions.ts). */
    session: RequestSession | null
  }
  interface FastifyContextConfig {
    /** Roles allowed to call the route (authenticated /api/v1 scope only). */
    roles?: readonly Role[]
  }
}

export const ALL_ROLES: readonly Role[] = ROLES
export const STAFF: readonly Role[] = ['admin', 'operator']
export const ADMIN: readonly Role[] = ['admin']

/** The authenticated user of a request in the authenticated scope. */
export function userOf(request: FastifyRequest): AuthUser {
  if (request.user === null) throw new EgError('UNAUTHENTICATED')
  return request.user
}

/** An audit row for something the request's user did. */
export function auditBy(user: AuthUser, action: string, target: string | null, detail?: Record<string, unknown>): AuditEntry {
  return { tenantId: user.tenantId, actor: user.username, action, target, detail: detail ?? null }
}

const TOKEN_SHAPE = /^[A-Za-z0-9_\-.~+/]+=*$/

/** Routes that may carry the token as `?access_token=` (GET only). */
const QUERY_TOKEN_ROUTES: ReadonlySet<string> = new Set(['/api/v1/stream'])

export function bearerToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization
  if (typeof header === 'string') {
    const match = /^Bearer\s+([A-Za-z0-9_\-.~+/]+=*)\s*$/i.exec(header)
    return match?.[1] ?? null
  }
  // The live stream only: browsers' EventSource cannot set an Authorization header, so the
  // board passes its token in the query. Limited to that GET route because URLs end up in
  // histories and proxy logs; our request log drops query strings (request-log.ts). The token
  // is checked exactly like a bearer token.
  if (request.method === 'GET' && QUERY_TOKEN_ROUTES.has(request.routeOptions.url ?? '')) {
    const token = (request.query as Record<string, unknown> | undefined)?.access_token
    if (typeof token === 'string' && TOKEN_SHAPE.test(token)) return token
  }
  return null
}

export function authenticate(db: Queryable): onRequestHookHandler {
  return async (request) => {
    const token = bearerToken(request)
    if (token === null) throw new EgError('UNAUTHENTICATED')
    const tokenHash = hashToken(token)
    const session = await findSession(db, tokenHash)
    if (session === null) throw new EgError('UNAUTHENTICATED', 'invalid or expired bearer token')
    request.session = { tokenHash, expiresAt: new Date(session.expiresAt) }
    request.user = {
      id: session.userId,
      tenantId: session.tenantId,
      username: session.username,
      role: session.role,
      policeStationId: session.policeStationId,
    }
    const allowed = request.routeOptions.config.roles
    if (allowed === undefined || !allowed.includes(session.role)) throw new EgError('FORBIDDEN')
  }
}

/** Start-up checks on every route registered in the authenticated scope. */
export const checkRouteDeclaration: onRouteHookHandler = (route) => {
  if (/^\/api\/v1\/api\/v1(\/|$)/.test(route.url)) {
    throw new Error(`route ${route.url}: plugins in the authenticated scope are mounted at /api/v1; register paths relative to it`)
  }
  const roles = route.config?.roles
  if (roles === undefined || roles.length === 0) {
    throw new Error(`route ${route.method} ${route.url} must declare config.roles (default deny)`)
  }
}
