import { loadConfig } from './config'
import { isEgError } from './errors'
import { startGateway } from './gateway'
import { createLogger } from './logger'

/**
 * `npm start`: configuration from the environment and flags, then the gateway. A bad setting
 * or a taken port ends start-up with one plain line, not a stack trace.
 */
const SHUTDOWN_GRACE_MS = 30_000

async function main(): Promise<void> {
  let config
  try {
    config = loadConfig(process.env, process.argv.slice(2))
  } catch (err) {
    console.error(`eldergate: ${(err as Error).message}`)
    process.exit(2)
  }
  const logger = createLogger(config.EG_LOG_LEVEL)
  let gateway
  try {
    gateway = await startGateway(config, logger)
  } catch (err) {
    const message = isEgError(err) ? `${err.code}: ${err.message}` : (err as Error).stack
    console.error(`eldergate: cannot start — ${message}`)
    process.exit(1)
  }
  if (gateway.generatedAdminPassword) {
    // Printed once, on the console only (never into the JSON log stream).
    console.error(`\n  eldergate: first start — created user "admin" with password: ${gateway.generatedAdminPassword}\n  (set EG_ADMIN_PASSWORD to choose it)\n`)
  }
  // External broker mode has no MQTT port of its own: it names the cluster worker instead.
  // (Embedded brokers clustered through Redis also run rules by lease, so gateway.cluster alone does not tell.)
  const mqtt = config.EG_BROKER === 'external' && gateway.cluster ? { broker: 'external', workerId: gateway.cluster.workerId } : { mqttPort: gateway.mqttPort }
  logger.info({ ...mqtt, ...(gateway.watchPort === undefined ? {} : { watchPort: gateway.watchPort }), httpPort: gateway.httpPort }, 'eldergate ready')

  let stopping = false
  const stop = async (signal: string) => {
    if (stopping) return
    stopping = true
    logger.info({ signal }, 'shutting down: flushing telemetry and checkpointing rules')
    // A database that is down would hold the final flush forever; after the grace period we
    // exit anyway — devices re-send what was not PUBACKed, and rule state resumes from the
    // last checkpoint plus the stored readings received after it.
    const grace = setTimeout(() => {
      logger.error({ graceMs: SHUTDOWN_GRACE_MS }, 'shutdown did not finish in time; exiting')
      process.exit(1)
    }, SHUTDOWN_GRACE_MS)
    grace.unref()
    await gateway.close()
    process.exit(0)
  }
  process.on('SIGINT', () => void stop('SIGINT'))
  process.on('SIGTERM', () => void stop('SIGTERM'))
}

void main()
