import { z } from 'zod'
import { EgError } from './errors'
import { parseWebhookAllow } from './notices/webhook-policy'
import type { AuthThrottleOptions } from './broker/types'
import { CRS_NAMES } from '../../contract/crs'

/**
 * Configuration is decided once, at start (DESIGN §6, the pino model): every knob is an
 * environment variable, validated here, and a bad value stops start-up with one line that
 * names the variable. CLI flags `--mqtt-port 1884` map to `EG_MQTT_PORT`.
 */
const port = z.coerce.number().int().min(0).max(65535)
const positiveInt = z.coerce.number().int().positive()
const bool = z.enum(['0', '1', 'true', 'false']).transform((v) => v === '1' || v === 'true')

function validTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz })
    return true
  } catch {
    return false
  }
}

export const configSchema = z.object({
  EG_MQTT_PORT: port.default(1883),
  EG_HTTP_PORT: port.default(8080),
  /** The 4G watch protocol's TCP port (DESIGN §3b); unset: off. */
  EG_WATCH_PORT: port.optional(),
  /** Watch-port bounds (watch/port-context.ts): connections in all, unidentified per address, idle time. */
  EG_WATCH_MAX_CONNECTIONS: positiveInt.default(20_000),
  EG_WATCH_MAX_PENDING_PER_ADDRESS: positiveInt.default(256),
  EG_WATCH_IDLE_MS: positiveInt.default(20 * 60_000),
  /** Time a new watch connection has to send its first frame, and any begun frame to end (slow-loris). */
  EG_WATCH_FRAME_MS: positiveInt.default(30_000),
  EG_HOST: z.string().min(1).default('0.0.0.0'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  EG_DATA_DIR: z.string().min(1).default('./data'),
  /**
   * TimescaleDB with DATABASE_URL: auto (use it when the server has it ready, else plain PostgreSQL
   * with one log line saying why), on (refuse to start without it), off (never). storage/timescale-mode.ts.
   */
  EG_TIMESCALE: z.enum(['auto', 'on', 'off']).default('auto'),
  /**
   * PostgreSQL: the hot statements (the telemetry writer's INSERT) as named prepared statements,
   * planned once per connection. `off` for a pooler in transaction mode without protocol-level
   * prepared statements (PgBouncer before 1.21, or `max_prepared_statements` unset). storage/db.ts.
   */
  EG_PG_PREPARED: z.enum(['on', 'off']).default('on'),
  // The full password policy applies when the first start uses it (registry/bootstrap.ts); later
  // starts ignore it, so an older installation's shorter value must not stop them here.
  EG_ADMIN_PASSWORD: z.string().min(8, 'must be at least 8 characters').optional(),
  EG_CLOCK: z.enum(['wall', 'event']).default('wall'),
  EG_TZ: z.string().refine(validTimeZone, 'must be an IANA time zone such as Asia/Shanghai').default('Asia/Shanghai'),
  EG_TLS_CERT: z.string().optional(),
  EG_TLS_KEY: z.string().optional(),
  EG_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Name of the tenant created on first start (a county or district cloud). */
  EG_TENANT_NAME: z.string().min(1).default('default'),
  /**
   * Writer: rows per INSERT; how long the first rows after a quiet spell wait for company (0: group
   * commit — written as soon as the previous statement finished, which is what a PUBACK waits
   * for); rows held in memory before QoS 0 publishers are slowed.
   */
  EG_WRITER_BATCH_SIZE: positiveInt.default(2000),
  EG_WRITER_FLUSH_MS: z.coerce.number().int().min(0).default(0),
  EG_WRITER_BUFFER: positiveInt.default(100_000),
  /** Writer statements in flight at once; unset: 2 on PostgreSQL (one commits while the next is written), 1 on PGlite. */
  EG_WRITER_CONCURRENCY: z.coerce.number().int().min(1).max(8).optional(),
  /** Dead letters kept (newest win) and the payload bytes kept of each. */
  EG_DEADLETTER_MAX: positiveInt.default(10_000),
  EG_DEADLETTER_PAYLOAD_BYTES: positiveInt.default(1024),
  /** Largest MQTT payload accepted; buffered uploads of a day of readings fit comfortably. */
  EG_PAYLOAD_MAX_BYTES: positiveInt.default(512 * 1024),
  /** How far in the future a device clock may be before its reading is rejected. */
  EG_MAX_FUTURE_SKEW_MS: positiveInt.default(10 * 60_000),
  /** Raw readings kept this many days (Timescale retention policy, or the retention job). */
  EG_RETENTION_DAYS: positiveInt.default(180),
  /**
   * Login throttle (broker/throttle.ts), MQTT and HTTP alike: failures of one id from one address
   * before that pair waits (1 s, doubling, up to EG_AUTH_BLOCK_MS); the quiet time that forgets them.
   */
  EG_AUTH_MAX_FAILURES: positiveInt.default(5),
  EG_AUTH_WINDOW_MS: positiveInt.default(60_000),
  EG_AUTH_BLOCK_MS: positiveInt.default(5 * 60_000),
  /** Failures from one address (any ids) before its ids new to it are delayed, and the longest delay. */
  EG_AUTH_ADDRESS_MAX_FAILURES: positiveInt.default(20),
  EG_AUTH_ADDRESS_MAX_DELAY_MS: positiveInt.default(10_000),
  EG_TOKEN_TTL_HOURS: positiveInt.default(12),
  /** After an alert is resolved, same-or-lower findings of its (elder, rule) open nothing for this long. */
  EG_ALERT_COOLDOWN_MS: positiveInt.default(6 * 3_600_000),
  /** An orange alert not acknowledged within this (rule-clock) time escalates to red. */
  EG_ESCALATE_AFTER_MS: positiveInt.default(15 * 60_000),
  /** How long a voice prompt may wait for its device; alert prompts per elder per hour (elders must not be nagged). */
  EG_VOICE_TTL_MS: positiveInt.default(30 * 60_000),
  EG_VOICE_MAX_PER_HOUR: positiveInt.default(3),
  /** Police and family webhooks: time allowed per POST before it counts as failed and is retried. */
  EG_NOTICE_TIMEOUT_MS: positiveInt.default(10_000),
  /**
   * Police and family webhooks may reach public addresses only (DESIGN §4), plus what this lists:
   * comma-separated host names, addresses and CIDRs (`police-gw.lan,10.20.0.0/16,127.0.0.1/32`).
   */
  EG_WEBHOOK_ALLOW: z
    .string()
    .superRefine((text, ctx) => {
      try {
        parseWebhookAllow(text)
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message })
      }
    })
    .optional(),
  /** The gateway's public base URL (police receipts link back to it); http://<host>:<port> when unset. */
  EG_PUBLIC_URL: z.string().url().optional(),
  /**
   * The operating centre's phone number (or name and number) for CAP <contact>: who a station calls
   * back about a notice. Unset: no <contact> — never the elder's own phone.
   */
  EG_OPERATOR_CONTACT: z.string().trim().min(1).max(200).optional(),
  /** The built operator board (npm run build:dashboard); served at /. */
  EG_DASHBOARD_DIR: z.string().min(1).optional(),
  /** Accepted data unstored, or findings undelivered, this long: /healthz answers 503 with the reason. */
  EG_HEALTH_STALL_MS: positiveInt.default(15_000),
  /** Rule-engine checkpoint interval; after a crash, inputs stored since are replayed. */
  EG_CHECKPOINT_MS: positiveInt.default(30_000),
  /** Serve /docs (OpenAPI UI). */
  EG_DOCS: bool.default(true),
  /** Embedded broker on several nodes: Redis holding their shared message bus and MQTT sessions (unset: one node). */
  EG_CLUSTER_REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL').optional(),
  /** Prefix of this deployment's Redis keys and channels, so deployments sharing a Redis never mix. */
  EG_CLUSTER_NAME: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, - or _').default('eldergate'),
  /** Nodes say they are alive this often; one silent for three beats is dead (its devices disconnected, its wills sent). */
  EG_CLUSTER_HEARTBEAT_MS: positiveInt.min(100).default(10_000),
  /** Map tiles for the board (`https://tiles.example/{z}/{x}/{y}.png`); unset: a plain map without internet. */
  EG_MAP_TILE_URL: z
    .string()
    .refine((v) => /^https?:\/\//.test(v) && ['{z}', '{x}', '{y}'].every((p) => v.includes(p)), 'must be an http(s) URL template with {z}, {x} and {y}')
    .optional(),
  /** The tile server's required credit line, shown on the map. */
  EG_MAP_ATTRIBUTION: z.string().max(300).optional(),
  /**
   * A raster PMTiles archive on this machine, served at /map/tiles.pmtiles with byte ranges: a
   * base map without internet (county clouds on an intranet). It wins over EG_MAP_TILE_URL.
   */
  EG_MAP_PMTILES: z.string().min(1).optional(),
  /**
   * The datum of the base map's imagery: wgs84 (OpenStreetMap, Tianditu's CGCS2000 — within
   * centimetres of WGS-84), gcj02 (AMap, Tencent) or bd09 (Baidu's offsets). All stored data is
   * WGS-84; the board shifts what it draws onto the base map by this.
   */
  EG_MAP_CRS: z.enum(CRS_NAMES).default('wgs84'),
  /** embedded: run our own broker. external: be one worker of an existing MQTT 5 cluster (EG_MQTT_URL). */
  EG_BROKER: z.enum(['embedded', 'external']).default('embedded'),
  EG_MQTT_URL: z.string().regex(/^(mqtts?|wss?|tcp|ssl):\/\//, 'must be an mqtt://, mqtts://, ws:// or wss:// URL').optional(),
  EG_MQTT_USERNAME: z.string().min(1).optional(),
  EG_MQTT_PASSWORD: z.string().min(1).optional(),
  /**
   * External mode: this worker's stable name (MQTT client id, lease holder). Set it per worker
   * slot (e.g. the StatefulSet pod name) so a restarted worker resumes its broker session and
   * gets what the cluster queued for it; unset, each process gets a random one and no session.
   */
  EG_WORKER_ID: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1-64 letters, digits, . _ -').optional(),
  /** External mode: the MQTT 5 shared-subscription group the workers split the load in. */
  EG_SHARE_GROUP: z.string().regex(/^[^/+#]+$/, 'must be one topic level without / + #').default('eldergate'),
  /** External mode: how long a rule-worker lease lasts without renewal (a dead worker's tenants move after this). */
  EG_LEASE_TTL_MS: positiveInt.min(1_000).default(15_000),
  /** External mode: how often the rule worker reads readings the other workers stored. */
  EG_FEED_POLL_MS: positiveInt.default(200),
  /** Shared secret the MQTT cluster presents to the /api/v1/broker/* auth endpoints (unset: endpoints off). */
  EG_BROKER_AUTH_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
})

export type Config = z.infer<typeof configSchema>

/** `--mqtt-port 1884` or `--mqtt-port=1884` → `{ EG_MQTT_PORT: '1884' }`; `--database-url` → DATABASE_URL. */
export function flagsToEnv(argv: readonly string[]): Record<string, string> {
  const env: Record<string, string> = {}
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (arg === undefined || !arg.startsWith('--')) continue
    const eq = arg.indexOf('=')
    const name = (eq === -1 ? arg.slice(2) : arg.slice(2, eq)).toUpperCase().replace(/-/g, '_')
    const value = eq === -1 ? argv[++i] : arg.slice(eq + 1)
    if (value === undefined) throw new EgError('CONFIG_INVALID', `flag --${name.toLowerCase()} needs a value`)
    env[name === 'DATABASE_URL' ? name : `EG_${name}`] = value
  }
  return env
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, argv: readonly string[] = []): Config {
  const source: Record<string, string | undefined> = { ...env, ...flagsToEnv(argv) }
  // Empty strings mean "unset" (docker-compose passes `FOO=` for blank variables).
  for (const key of Object.keys(source)) if (source[key] === '') delete source[key]
  const parsed = configSchema.safeParse(source)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    const name = String(issue?.path[0] ?? 'configuration')
    const shown = name.includes('PASSWORD') || name.includes('SECRET') || name === 'DATABASE_URL' || name === 'EG_MQTT_URL' || name === 'EG_CLUSTER_REDIS_URL' ? '(hidden)' : JSON.stringify(source[name])
    throw new EgError('CONFIG_INVALID', `${name}=${shown}: ${issue?.message ?? 'invalid'}`)
  }
  const config = parsed.data
  if ((config.EG_TLS_CERT === undefined) !== (config.EG_TLS_KEY === undefined)) {
    throw new EgError('CONFIG_INVALID', 'EG_TLS_CERT and EG_TLS_KEY must be set together')
  }
  if (config.EG_TIMESCALE === 'on' && config.DATABASE_URL === undefined) {
    throw new EgError('CONFIG_INVALID', 'EG_TIMESCALE=on needs DATABASE_URL: the embedded PGlite has no TimescaleDB')
  }
  if (config.EG_CLUSTER_REDIS_URL !== undefined && (config.EG_BROKER !== 'embedded' || config.DATABASE_URL === undefined)) {
    // Nodes of a cluster share one PostgreSQL database; an external broker is clustered by itself.
    throw new EgError('CONFIG_INVALID', 'EG_CLUSTER_REDIS_URL needs EG_BROKER=embedded and DATABASE_URL (PostgreSQL shared by the nodes)')
  }
  if (config.EG_BROKER === 'external' && (config.EG_MQTT_URL === undefined || config.DATABASE_URL === undefined)) {
    // The workers meet in one PostgreSQL database (stored readings, rule leases); PGlite is one process's.
    throw new EgError('CONFIG_INVALID', 'EG_BROKER=external needs EG_MQTT_URL and DATABASE_URL (PostgreSQL shared by the workers)')
  }
  return config
}

/** The failed-login throttle (broker/throttle.ts) from EG_AUTH_*: one setting for MQTT and HTTP ingest alike. */
export function authThrottleFromConfig(config: Config): AuthThrottleOptions {
  return {
    maxFailures: config.EG_AUTH_MAX_FAILURES,
    windowMs: config.EG_AUTH_WINDOW_MS,
    blockMs: config.EG_AUTH_BLOCK_MS,
    addressMaxFailures: config.EG_AUTH_ADDRESS_MAX_FAILURES,
    addressMaxDelayMs: config.EG_AUTH_ADDRESS_MAX_DELAY_MS,
  }
}
