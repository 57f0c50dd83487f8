import type { FastifyInstance } from 'fastify'
import { latestSeq, readChanges } from '../../../gateway/src/alerts/change-log-store'
import { authenticate } from '../../../gateway/src/http/auth'
import { httpErrorHandler } from '../../../gateway/src/http/error-handler'
import { zodValidatorCompiler } from '../../../gateway/src/http/zod-provider'
import { createLogger } from '../../../gateway/src/logger'
import type { Db } from '../../../gateway/src/storage/db'
import { createChangeBus, streamRoutes } from '../../../gateway/src/stream/index'

/**
 * TEST-ONLY, and only while gateway.ts does not mount the live stream yet (issue 4 wiring):
 * the gateway's own stream routes, on the board server, against the gateway's database. The
 * gateway's commits do not reach this bus, so a timer feeds it from the change log — standing
 * in for the `wake` the gateway will call after each commit. The board itself never polls.
 */
export async function mountStandInStream(app: FastifyInstance, opts: { db: Db; tenantId: string }): Promise<() => void> {
  const logger = createLogger('silent')
  const bus = createChangeBus({ logger })
  let seq = await latestSeq(opts.db, opts.tenantId)
  let busy = false
  const timer = setInterval(() => {
    if (busy) return
    busy = true
    readChanges(opts.db, opts.tenantId, seq, 500)
      .then((changes) => {
        const last = changes[changes.length - 1]
        if (last !== undefined) seq = last.seq
        bus.publish(changes)
      })
      .catch(() => undefined)
      .finally(() => {
        busy = false
      })
  }, 100)
  await app.register(
    async (api) => {
      api.setValidatorCompiler(zodValidatorCompiler)
      api.setErrorHandler(httpErrorHandler)
      api.decorateRequest('user', null)
      api.addHook('onRequest', authenticate(opts.db))
      await api.register(streamRoutes({ db: opts.db, bus, logger, sessionCheckMs: 5_000 }))
    },
    { prefix: '/api/v1' },
  )
  return () => clearInterval(timer)
}
