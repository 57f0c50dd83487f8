import { fileURLToPath } from 'node:url'
import type { FastifyInstance } from 'fastify'
import { alertRoutes } from './alerts/alert-routes'
import { applyFindings } from './alerts/finding-store'
import { createEscalationJob } from './alerts/escalation'
import { createAlertLifecycle } from './alerts/lifecycle'
import { startBroker, type Broker, type BrokerHooks, type DeviceIdentity } from './broker/index'
import { startExternalBroker } from './broker-external/index'
import { startClusterDetection, workerIdentity, type ClusterDetection } from './cluster/index'
import { brokerAuthPlugins, clusterOptions, externalBrokerOptions } from './cluster/external-mode'
import { authThrottleFromConfig, type Config } from './config'
import { listTenantIds } from './detection/engine-store'
import { createDetectionRuntime, type DetectionRuntime } from './detection/runtime'
import { candidateRoutes } from './candidates/candidate-routes'
import { parkedFindingRoutes } from './detection/parked-routes'
import { detectionRoutes } from './detection/routes'
import { createAlertDelivery } from './delivery'
import { EgError } from './errors'
import { healthProblems } from './health'
import { dashboardStatic } from './http/dashboard-static'
import { buildHttpApp } from './http/app'
import { decodeLimitsFromConfig } from './ingest/decode'
import { createDeviceIntake } from './intake/device-intake'
import { httpIngestPlugin } from './intake/http-ingest-config'
import { createLatestFixes } from './intake/latest-fixes'
import { telemetryRoutes } from './intake/telemetry-routes'
import type { Logger } from './logger'
import { reportRoutes } from './reports/report-routes'
import { createMetrics, type Metrics } from './metrics'
import { ensureBootstrap } from './registry/bootstrap'
import { createDeviceAuthenticator } from './registry/device-auth'
import { createDeadLetterStore } from './storage/dead-letters'
import { createDeviceActivity } from './storage/device-activity'
import { createDeviceRejections } from './storage/device-rejections'
import { openDb, type Db } from './storage/db'
import { migrate, resolveTimescale } from './storage/migrate'
import { applyRetention, startRetentionJob } from './storage/retention'
import { createTelemetryWriter } from './storage/telemetry-writer'
import { startConfiguredWatchPort } from './watch/index'
import { createDeviceCommands } from './device-commands'
import { createRuleClock } from './rule-clock'
import { createStopList } from './stop-list'

/**
 * The gateway assembled: storage → registry → writer → rule engine → broker → HTTP.
 * `main.ts` runs it as a process; end-to-end tests start it in-process on ephemeral ports.
 */
// From gateway/src/gateway.ts and from the production bundle dist/gateway/main.js alike (as deep:
// scripts/build.mjs), this is the repository's dashboard/dist.
const defaultDashboardDir = fileURLToPath(new URL('../../dashboard/dist', import.meta.url))

export interface Gateway {
  readonly mqttPort: number
  /** The 4G watch port (DESIGN §3b), when EG_WATCH_PORT is set. */
  readonly watchPort: number | undefined
  readonly httpPort: number
  readonly db: Db
  readonly metrics: Metrics
  readonly broker: Broker
  readonly detection: DetectionRuntime
  /** Several nodes (EG_BROKER=external, or EG_CLUSTER_REDIS_URL): this node's rule leases; undefined on a single node. */
  readonly cluster: ClusterDetection | undefined
  readonly http: FastifyInstance
  readonly tenantId: string
  /** Set only when the admin password was generated on this start. */
  readonly generatedAdminPassword: string | undefined
  /** Everything accepted so far is persisted and evaluated. */
  settle(): Promise<void>
  close(): Promise<void>
}

export async function startGateway(config: Config, logger: Logger): Promise<Gateway> {
  const metrics = createMetrics()
  // Each resource registers its stop right after it is created; they run newest first (stop-list.ts).
  const stops = createStopList(logger)
  const db = await openDb({ databaseUrl: config.DATABASE_URL, dataDir: config.EG_DATA_DIR, logger, prepared: config.EG_PG_PREPARED === 'on' })
  stops.onStop('storage', () => db.close())
  try {
    const timescale = await resolveTimescale(db, config.EG_TIMESCALE, logger)
    const applied = await migrate(db, { timescale })
    logger.info({ storage: db.kind, timescale, migrations: applied }, 'storage ready')
    if (timescale) {
      // TimescaleDB enforces retention itself once the policy is (re)set to EG_RETENTION_DAYS.
      await applyRetention(db, { days: config.EG_RETENTION_DAYS, timescale })
    } else {
      // Plain PostgreSQL and PGlite: an hourly job (its first prune runs at once, in the background).
      const job = startRetentionJob(db, { days: config.EG_RETENTION_DAYS, timescale, intervalMs: 3_600_000, logger })
      stops.onStop('retention job', () => job.stop())
    }
    const boot = await ensureBootstrap(db, { tenantName: config.EG_TENANT_NAME, adminPassword: config.EG_ADMIN_PASSWORD })

    const deadLetters = createDeadLetterStore(db, {
      maxRows: config.EG_DEADLETTER_MAX,
      payloadBytes: config.EG_DEADLETTER_PAYLOAD_BYTES,
      logger,
    })
    stops.onStop('dead letters', () => deadLetters.close())
    // Stopped before the dead letters: rows it refuses become letters.
    const writer = createTelemetryWriter(db, {
      batchSize: config.EG_WRITER_BATCH_SIZE,
      flushMs: config.EG_WRITER_FLUSH_MS,
      bufferCapacity: config.EG_WRITER_BUFFER,
      ...(config.EG_WRITER_CONCURRENCY === undefined ? {} : { concurrency: config.EG_WRITER_CONCURRENCY }),
      logger,
      metrics,
      refused: deadLetters,
    })
    stops.onStop('telemetry writer', () => writer.close())
    const rejections = createDeviceRejections(db, { logger })
    stops.onStop('device rejections', () => rejections.close())
    // Known only once HTTP listens (the bound port); notices read it when they are planned.
    let publicUrl = config.EG_PUBLIC_URL
    // Fed by intake before the writer stores a fix, read by notices planned a moment later.
    const latestFixes = createLatestFixes()
    // The rule clock belongs here: detection drives it (event time), alerts and voice read it.
    const ruleClock = createRuleClock(config.EG_CLOCK)
    const ruleNow = (tenantId: string) => ruleClock.now(tenantId)
    // Device transports (the broker, the watch port) join as they start; voice sends through it.
    const commands = createDeviceCommands()
    const delivery = createAlertDelivery({ db, config, logger, metrics, publicUrl: () => publicUrl, latestFixes, ruleClock: ruleNow, commands })
    stops.onStop('alert delivery', () => delivery.stop())
    const { effects } = delivery
    const activity = createDeviceActivity(db, { flushMs: 1_000, logger, onChanges: (changes) => delivery.bus.publish(changes) })
    stops.onStop('device activity', () => activity.close())
    // EG_BROKER=external: several workers; a tenant's rules run where its lease is (cluster/index.ts).
    const external = config.EG_BROKER === 'external'
    // Embedded brokers clustered through Redis are several nodes too: rules by lease, the same way.
    const multiNode = external || config.EG_CLUSTER_REDIS_URL !== undefined
    const workerId = config.EG_WORKER_ID ?? workerIdentity()
    // Several nodes: the tenants this node leads, kept by its leases (cluster/tenant-leases.ts).
    const ownedTenants = new Set<string>()
    const detection = createDetectionRuntime({
      ...(multiNode ? { owns: (tenantId: string) => ownedTenants.has(tenantId) } : {}),
      db,
      ruleClock,
      logger,
      clock: config.EG_CLOCK,
      timeZone: config.EG_TZ,
      checkpointMs: config.EG_CHECKPOINT_MS,
      // One way: findings into the alert stage, and the escalation job on the same rule clock.
      findingSink: (findings) => applyFindings(db, findings, effects, { cooldownMs: config.EG_ALERT_COOLDOWN_MS }),
      onAdvanced: createEscalationJob(db, effects, { orangeAckMs: config.EG_ESCALATE_AFTER_MS }),
      metrics,
    })
    const lifecycle = createAlertLifecycle({ db, effects, ruleClock: ruleNow })
    stops.onStop('rule engine', () => detection.close())
    let cluster: ClusterDetection | undefined
    if (multiNode) {
      const started = await startClusterDetection(clusterOptions(config, { db, detection, logger, workerId, flushOwnWrites: () => writer.flush(), owned: ownedTenants }))
      cluster = started
      // Stops after the broker stopped delivering, before the rule engine and the writer.
      stops.onStop('cluster leases', () => started.close())
    } else await detection.warmUp(await listTenantIds(db))

    const deviceAuth = createDeviceAuthenticator(db, { cacheTtlMs: 60_000 })
    const intake = createDeviceIntake(
      // Several nodes: the lease holder reads inputs from storage, whichever node received them.
      { writer, deadLetters, rejections, activity, latestFixes, detection: multiNode ? { submit: () => undefined } : detection, onAcks: (acks) => delivery.voice.onAcks(acks) },
      metrics,
      decodeLimitsFromConfig(config),
    )
    const tls = config.EG_TLS_CERT && config.EG_TLS_KEY ? { cert: config.EG_TLS_CERT, key: config.EG_TLS_KEY } : undefined
    // Connected means online (MQTT: the retained status and the will refine it, DESIGN §3);
    // queued voice prompts go out to a device as it connects, on whichever port.
    const onConnect = (device: DeviceIdentity): void => {
      activity.setOnline(device.deviceId, true, Date.now())
      delivery.voice.deviceConnected(device.deviceId)
    }
    const onDisconnect = (device: DeviceIdentity): void => activity.setOnline(device.deviceId, false, Date.now())
    const hooks: BrokerHooks = {
      verifyDevice: (id, secret) => deviceAuth.verifyDevice(id, secret),
      onMessage: (device, channel, payload, qos) => intake.onMessage(device, channel, payload, qos),
      onConnect,
      onDisconnect,
    }
    const broker = external
      ? await startExternalBroker(externalBrokerOptions(config, { logger, metrics, workerId, lookupDevice: (id) => deviceAuth.lookupDevice(id) }), hooks)
      : await startBroker(
          {
            port: config.EG_MQTT_PORT,
            host: config.EG_HOST,
            ...(tls ? { tls } : {}),
            logger,
            metrics,
            authThrottle: authThrottleFromConfig(config),
            maxPayloadBytes: config.EG_PAYLOAD_MAX_BYTES,
            ...(config.EG_CLUSTER_REDIS_URL ? { cluster: { redisUrl: config.EG_CLUSTER_REDIS_URL, name: config.EG_CLUSTER_NAME, heartbeatMs: config.EG_CLUSTER_HEARTBEAT_MS } } : {}),
          },
          hooks,
        )
    // The broker stops before the writer so no message arrives after the final flush.
    stops.onStop('mqtt broker', () => broker.close())
    // DESIGN §3b: 4G watches on their TCP protocol, through the same intake (EG_WATCH_PORT).
    const watches = await startConfiguredWatchPort(config, { db, logger, metrics, intake, deadLetters, activity, onConnect, onDisconnect, ruleNow })
    stops.onStop('watch port', () => watches.close())
    // A watch connected to the watch port takes its prompts there (added first: it wins).
    if (watches.port) commands.add(watches.commands)
    commands.add(broker)

    const http = await buildHttpApp({
      db,
      config,
      logger,
      metrics,
      deviceAuth,
      health: async () => ({
        storage: db.kind,
        timescale,
        connectedDevices: broker.connectedDevices(),
        writerDepth: writer.depth(),
        problems: healthProblems({ now: Date.now(), stallMs: config.EG_HEALTH_STALL_MS, writer, findings: detection.findingsHealth() }),
      }),
      plugins: [
        alertRoutes({ db, lifecycle }),
        detectionRoutes({ db, detection, timeZone: config.EG_TZ }),
        candidateRoutes({ db, detection }),
        parkedFindingRoutes({ db, detection }),
        reportRoutes({ db, timeZone: config.EG_TZ, slaTargetMs: config.EG_ESCALATE_AFTER_MS }),
        telemetryRoutes({ db, deadLetters }),
        ...delivery.plugins,
      ],
      publicPlugins: [...delivery.publicPlugins, ...brokerAuthPlugins(config, deviceAuth), httpIngestPlugin(config, { deviceAuth, intake, metrics })],
      rootPlugins: [dashboardStatic({ root: config.EG_DASHBOARD_DIR ?? defaultDashboardDir })],
      riskLevels: (tenantId, elderIds) => import('./alerts/alert-store').then((m) => m.elderRiskLevels(db, tenantId, elderIds)),
      onVenuesChanged: (tenantId) => detection.tenantChanged(tenantId, 'venues'),
      onEldersChanged: (tenantId, elderId) => detection.tenantChanged(tenantId, 'elders', elderId),
      onWatchRegistered: (imei) => watches.registered(imei),
      onWatchRemoved: (imei) => watches.removed(imei),
    })
    stops.onStop('http', () => http.close())
    try {
      await http.listen({ port: config.EG_HTTP_PORT, host: config.EG_HOST })
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
        throw new EgError('PORT_IN_USE', `HTTP port ${config.EG_HTTP_PORT} is already in use — set EG_HTTP_PORT`)
      }
      throw err
    }
    const address = http.server.address()
    const httpPort = typeof address === 'object' && address ? address.port : config.EG_HTTP_PORT
    publicUrl ??= `http://${config.EG_HOST === '0.0.0.0' ? '127.0.0.1' : config.EG_HOST}:${httpPort}`
    // Notices left pending by a crash go out now (the outbox rows were committed with their alerts).
    delivery.notices.start()

    return {
      mqttPort: broker.port,
      watchPort: watches.port?.port,
      httpPort,
      db,
      metrics,
      broker,
      detection,
      cluster,
      http,
      tenantId: boot.tenantId,
      generatedAdminPassword: boot.generatedPassword,
      async settle() {
        await writer.flush()
        // Several nodes: what every node flushed so far reaches this node's leased engines.
        await cluster?.settle()
        await detection.idle()
        await activity.flush()
        await deadLetters.flush()
        await rejections.flush()
      },
      close: stops.stopAll,
    }
  } catch (err) {
    await stops.stopAll()
    throw err
  }
}
