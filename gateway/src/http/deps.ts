import type { FastifyPluginAsync } from 'fastify'
import type { Config } from '../config'
import type { Logger } from '../logger'
import type { Metrics } from '../metrics'
import type { DeviceAuthenticator } from '../registry/device-auth'
import type { RiskLevel } from '../registry/types'
import type { Db } from '../storage/db'

export interface HttpDeps {
  db: Db
  config: Config
  logger: Logger
  metrics: Metrics
  deviceAuth: DeviceAuthenticator
  /**
   * Extra health details from the gateway (broker, writer, ...), merged into GET /healthz; a
   * non-empty `problems` array (health.ts) makes it answer 503.
   */
  health(): Promise<Record<string, unknown>>
  /**
   * More /api/v1 routes from other modules (alerts, rules, ...), registered inside the
   * authenticated scope: paths are relative to /api/v1 ('/alerts'), every route must declare
   * `config: { roles: [...] }`, and handlers read the caller with `userOf(request)`.
   */
  plugins?: Array<FastifyPluginAsync>
  /** Current risk level per elder (the alerts module); every elder is green without it. */
  riskLevels?(tenantId: string, elderIds: readonly string[]): Promise<Map<string, RiskLevel>>
  /** Called after any venue change (the rule engine rebuilds its spatial index). */
  onVenuesChanged?(tenantId: string): void | Promise<void>
  /**
   * /api/v1 routes outside the bearer-token scope that authenticate otherwise (signed police
   * receipts); each must check its own credentials.
   */
  publicPlugins?: Array<FastifyPluginAsync>
  /** Routes at the root (the operator board's static files), registered last. */
  rootPlugins?: Array<FastifyPluginAsync>
  /** Called after an elder is changed or deleted (the rule engine re-reads elder profiles). */
  /** `elderId`: the one elder created, changed or deleted (the engine re-reads that profile only). */
  onEldersChanged?(tenantId: string, elderId?: string): void | Promise<void>
  /** A watch-protocol device was registered: the watch port forgets a cached "unknown number". */
  onWatchRegistered?(imei: string): void
  /** A watch-protocol device was deleted: the watch port closes its connection and forgets it. */
  onWatchRemoved?(imei: string): void
}
