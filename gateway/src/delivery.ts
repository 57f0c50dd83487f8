import type { FastifyPluginAsync } from 'fastify'
import type { Change } from './stream/change-log-store'
import { alertChangeLogPlanner, composeAlertEffects, type AlertEffects } from './alerts/effects'
import type { CommandTransport } from './device-commands'
import type { Config } from './config'
import type { LatestFixes } from './intake/latest-fixes'
import type { Logger } from './logger'
import type { Metrics } from './metrics'
import { createNoticeDeliverer, createNoticePlanner, noticeReceiptRoutes, noticeRoutes, type NoticeDeliverer } from './notices/index'
import type { Db } from './storage/db'
import { createChangeBus, startChangeLogPruning, streamRoutes, type ChangeBus } from './stream/index'
import { createVoiceDispatcher, createVoicePlanner, voiceRoutes, type VoiceDispatcher } from './voice/index'

/**
 * Everything that carries an alert to people (issue 4), assembled: the outbox planners that
 * run inside every alert change's transaction (change log, voice prompts, police and family
 * notices), and after each commit the dispatchers (voice over MQTT, notices over HTTP) and the
 * live stream. Voice prompts go out through `commands`, to which the device transports (the
 * MQTT broker, the watch port) are added as they start: everything here is created complete.
 */
export interface AlertDelivery {
  effects: AlertEffects
  bus: ChangeBus
  notices: NoticeDeliverer
  /** Authenticated /api/v1 routes. */
  plugins: FastifyPluginAsync[]
  /** /api/v1 routes authenticated otherwise (signed police receipts). */
  publicPlugins: FastifyPluginAsync[]
  voice: VoiceDispatcher
  /** Wall-clock pieces (and the voice dispatcher) that stop at shutdown. */
  stop(): Promise<void>
}

export interface AlertDeliveryDeps {
  db: Db
  config: Config
  logger: Logger
  metrics: Metrics
  publicUrl: () => string | undefined
  /** Notices carry the newest fix, even one the writer has not stored yet (intake/latest-fixes.ts). */
  latestFixes?: LatestFixes
  /** The tenant's rule clock (EG_CLOCK): voice prompts' hourly limit and expiry count on it. */
  ruleClock?: (tenantId: string) => number
  /** Where voice prompts go: the device transports, added as they start (device-commands.ts). */
  commands: CommandTransport
}

export function createAlertDelivery(deps: AlertDeliveryDeps): AlertDelivery {
  const { db, config, logger, metrics } = deps
  const bus = createChangeBus({ logger })
  const publish = (changes: readonly Change[]) => bus.publish(changes)
  const pruning = startChangeLogPruning(db, { logger })
  const notices = createNoticeDeliverer({
    db,
    logger,
    metrics,
    fetchTimeoutMs: config.EG_NOTICE_TIMEOUT_MS,
    leaseMarginMs: Math.min(20_000, config.EG_NOTICE_TIMEOUT_MS * 2),
    webhookAllow: config.EG_WEBHOOK_ALLOW,
  })
  notices.onChanges(publish)
  const voice = createVoiceDispatcher({ db, broker: deps.commands, logger, metrics, ruleClock: deps.ruleClock })
  voice.onChanges(publish)

  const effects = composeAlertEffects({
    planners: [
      alertChangeLogPlanner,
      createVoicePlanner({ ttlMs: config.EG_VOICE_TTL_MS, maxPerHour: config.EG_VOICE_MAX_PER_HOUR, ruleClock: deps.ruleClock }),
      createNoticePlanner({
        logger,
        publicUrl: deps.publicUrl,
        timeZone: config.EG_TZ,
        operatorContact: config.EG_OPERATOR_CONTACT,
        ...(deps.latestFixes ? { latestFix: deps.latestFixes.get } : {}),
      }),
    ],
    wake: [(changes) => voice.wake(changes), () => notices.wake(), publish],
  })

  return {
    effects,
    bus,
    notices,
    plugins: [
      voiceRoutes({ db, ttlMs: config.EG_VOICE_TTL_MS, ruleClock: deps.ruleClock, afterCommit: (changes) => effects.afterCommit(changes) }),
      noticeRoutes({ db }),
      streamRoutes({ db, bus, logger }),
    ],
    publicPlugins: [noticeReceiptRoutes({ db, logger, onChanges: publish })],
    voice,
    async stop() {
      await voice.close()
      await notices.stop()
      await pruning.stop()
    },
  }
}
