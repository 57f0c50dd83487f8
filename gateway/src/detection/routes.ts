import type { FastifyPluginAsync } from 'fastify'
import { z } from 'zod'
import { defaultRuleConfig, parseRuleConfig } from '../../../rules/src/index'
import { elderRiskLevels, listCandidates } from '../alerts/alert-store'
import { EgError } from '../errors'
import { ADMIN, STAFF, userOf } from '../http/auth'
import { idParams } from '../http/pagination'
import type { ZodTypeProvider } from '../http/zod-provider'
import type { Db } from '../storage/db'
import { runBacktest } from './backtest'
import { currentRuleConfig, listRuleConfigs, saveRuleConfig } from './engine-store'
import type { DetectionRuntime } from './runtime'
import { configFromStored } from './tenant-engine'

/**
 * /api/v1 routes of the rule engine: elders' risk levels, the live rule config
 * (validated, versioned, audited), backtests, and candidate venues from crowd detection.
 */
export interface DetectionRouteDeps {
  db: Db
  detection: DetectionRuntime
  timeZone: string
}

const timeValue = z.union([z.number().int().positive(), z.iso.datetime({ offset: true })]).transform((v) => (typeof v === 'number' ? v : Date.parse(v)))

const backtestBody = z
  .object({ from: timeValue, to: timeValue, config: z.record(z.string(), z.unknown()).optional(), samples: z.number().int().min(0).max(500).optional() })
  .refine((b) => b.to > b.from, { message: 'to must be after from', path: ['to'] })
  .refine((b) => b.to - b.from <= 92 * 86_400_000, { message: 'a backtest covers at most 92 days', path: ['to'] })

const putRulesBody = z.object({ config: z.record(z.string(), z.unknown()), note: z.string().max(500).optional() })

function configFields(raw: unknown) {
  const parsed = parseRuleConfig(raw)
  if (!parsed.ok) {
    throw new EgError('VALIDATION_FAILED', 'invalid rule config', {
      fields: parsed.errors.map((e) => ({ path: e.path ? `config.${e.path}` : 'config', message: e.message })),
    })
  }
  return parsed.config
}

export function detectionRoutes(deps: DetectionRouteDeps): FastifyPluginAsync {
  return async (plain) => {
    const app = plain.withTypeProvider<ZodTypeProvider>()

    app.get('/elders/:id/risk', { config: { roles: STAFF }, schema: { params: idParams, tags: ['alerts'] } }, async (request) => {
      const user = userOf(request)
      const levels = await elderRiskLevels(deps.db, user.tenantId, [request.params.id])
      return { elderId: request.params.id, riskLevel: levels.get(request.params.id) ?? 'green' }
    })

    app.get('/rules', { config: { roles: STAFF }, schema: { tags: ['rules'] } }, async (request) => {
      const user = userOf(request)
      const stored = await currentRuleConfig(deps.db, user.tenantId)
      return {
        version: stored?.version ?? 0,
        updatedBy: stored?.createdBy ?? null,
        updatedAt: stored?.createdAt ?? null,
        note: stored?.note ?? null,
        stored: stored?.config ?? {},
        config: configFromStored(stored?.config ?? {}, request.log, user.tenantId),
        defaults: defaultRuleConfig,
      }
    })

    app.get('/rules/versions', { config: { roles: STAFF }, schema: { tags: ['rules'] } }, async (request) => {
      return { items: await listRuleConfigs(deps.db, userOf(request).tenantId) }
    })

    app.put('/rules', { config: { roles: ADMIN }, schema: { body: putRulesBody, tags: ['rules'] } }, async (request) => {
      const user = userOf(request)
      const effective = configFields(request.body.config)
      const stored = await saveRuleConfig(deps.db, user.tenantId, request.body.config, user.username, request.body.note ?? null)
      await deps.detection.tenantChanged(user.tenantId, 'config')
      return { version: stored.version, config: effective }
    })

    app.post('/rules/backtest', { config: { roles: STAFF }, schema: { body: backtestBody, tags: ['rules'] } }, async (request) => {
      const user = userOf(request)
      const b = request.body
      const stored = b.config === undefined ? await currentRuleConfig(deps.db, user.tenantId) : null
      const config = configFields(b.config ?? stored?.config ?? {})
      return runBacktest(deps.db, user.tenantId, { from: b.from, to: b.to, config, timeZone: deps.timeZone, sampleLimit: b.samples ?? 20 })
    })

    app.get('/venue-candidates', { config: { roles: STAFF }, schema: { tags: ['venues'] } }, async (request) => {
      return { items: await listCandidates(deps.db, userOf(request).tenantId) }
    })
  }
}
