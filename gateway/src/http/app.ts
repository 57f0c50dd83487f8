import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import { authenticate, checkRouteDeclaration } from './auth'
import { rejectControlCharacters } from './control-characters'
import { createLiveSessions } from './live-sessions'
import { registerSecurityHeaders } from './security-headers'
import { registerDocs } from './docs'
import { httpErrorHandler, notFoundHandler } from './error-handler'
import { httpLoggerOptions } from './request-log'
import { LoginThrottle } from './login-throttle'
import { registerHttpMetrics } from './http-metrics'
import { useZodSchemas } from './zod-provider'
import { mapTilesRoute } from './map-tiles'
import type { HttpDeps } from './deps'

export type { HttpDeps } from './deps'
import { activityRoutes } from './routes/activity-routes'
import { auditRoutes } from './routes/audit-routes'
import { boardConfigRoutes } from './routes/board-config-routes'
import { loginRoutes, sessionRoutes } from './routes/auth-routes'
import { deviceRoutes } from './routes/device-routes'
import { elderRoutes } from './routes/elder-routes'
import { opsRoutes } from './routes/ops-routes'
import { policeStationRoutes } from './routes/police-station-routes'
import { tenantRoutes } from './routes/tenant-routes'
import { userRoutes } from './routes/user-routes'
import { venueRoutes } from './routes/venue-routes'


/**
 * Body-less POSTs (logout, rotate-secret) sent with `Content-Type: application/json` — as
 * browser fetch wrappers do — are accepted as "no body" instead of fastify's 400; anything
 * else goes through fastify's own parser with its prototype-poisoning protection.
 */
function acceptEmptyJsonBodies(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error')
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8')
    if (text === '') return done(null, undefined)
    parseJson(request, text, done)
  })
}

/** Builds the HTTP API; the caller listens (and so maps EADDRINUSE to PORT_IN_USE). */
export async function buildHttpApp(deps: HttpDeps): Promise<FastifyInstance> {
  // Typed as fastify's base logger so the instance is the plain FastifyInstance that plugins
  // expect; a pino child logger is exactly that at run time.
  const loggerInstance: FastifyBaseLogger = deps.logger.child({ component: 'http' }, httpLoggerOptions)
  const app = Fastify({
    loggerInstance,
    // Bodies are small JSON records; 1 MiB leaves room for large venue polygons.
    bodyLimit: 1024 * 1024,
    // Behind a reverse proxy the client address comes from X-Forwarded-For; the login
    // throttle keys on it. Off by default: a direct client could forge the header.
    trustProxy: false,
    // Live streams (SSE) and keep-alive sockets must not hold shutdown: close them with the server.
    forceCloseConnections: true,
  })
  app.decorateRequest('user', null)
  app.decorateRequest('session', null)
  // Live streams by session: what ends a session ends them (live-sessions.ts).
  app.decorate('liveSessions', createLiveSessions())
  useZodSchemas(app)
  app.setErrorHandler(httpErrorHandler)
  app.setNotFoundHandler(notFoundHandler)
  acceptEmptyJsonBodies(app)
  // Before any route: every answer, errors and the board's files included, carries them.
  await registerSecurityHeaders(app, deps.config)
  app.addHook('preValidation', rejectControlCharacters)
  registerHttpMetrics(app, deps.metrics.http)
  // Docs first: @fastify/swagger collects routes through an onRoute hook.
  if (deps.config.EG_DOCS) await registerDocs(app, deps.config)

  await app.register(opsRoutes(deps))
  const throttle = new LoginThrottle({
    maxFailures: deps.config.EG_AUTH_MAX_FAILURES,
    windowMs: deps.config.EG_AUTH_WINDOW_MS,
    blockMs: deps.config.EG_AUTH_BLOCK_MS,
    addressMaxFailures: deps.config.EG_AUTH_ADDRESS_MAX_FAILURES,
    addressMaxDelayMs: deps.config.EG_AUTH_ADDRESS_MAX_DELAY_MS,
  })
  await app.register(loginRoutes(deps, throttle), { prefix: '/api/v1' })
  for (const plugin of deps.publicPlugins ?? []) await app.register(plugin, { prefix: '/api/v1' })
  await app.register(
    async (api) => {
      api.addHook('onRoute', checkRouteDeclaration)
      api.addHook('onRequest', authenticate(deps.db))
      await api.register(sessionRoutes(deps))
      await api.register(userRoutes(deps))
      await api.register(tenantRoutes(deps))
      await api.register(elderRoutes(deps))
      await api.register(activityRoutes(deps))
      await api.register(deviceRoutes(deps))
      await api.register(venueRoutes(deps))
      await api.register(policeStationRoutes(deps))
      await api.register(auditRoutes(deps))
      await api.register(boardConfigRoutes(deps))
      for (const plugin of deps.plugins ?? []) await api.register(plugin)
    },
    { prefix: '/api/v1' },
  )
  // The offline base map (EG_MAP_PMTILES): a file outside /api like the board's own.
  if (deps.config.EG_MAP_PMTILES !== undefined) await app.register(mapTilesRoute(deps.config.EG_MAP_PMTILES))
  for (const plugin of deps.rootPlugins ?? []) await app.register(plugin)
  await app.ready()
  return app
}
