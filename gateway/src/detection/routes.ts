import type { FastifyPluginAsync } from 'fastify'
import { z } from 'zod'
import { RULE_IDS, defaultRuleConfig, parseRuleConfig, ruleConfigSchema } from '../../../rules/src/index'
import { elderRiskLevels } from '../alerts/alert-store'
import { EgError } from '../errors'
import { ADMIN, STAFF, userOf } from '../http/auth'
import { idParams } from '../http/pagination'
import { riskLevel } from '../http/schemas/elder-schemas'
import { bearerErrors, bodyErrors, timestamp } from '../http/schemas/responses'
import type { ZodTypeProvider } from '../http/zod-provider'
import type { Db } from '../storage/db'
import { runBacktest } from './backtest'
import { currentRuleConfig, listRuleConfigs, saveRuleConfig } from './engine-store'
import type { DetectionRuntime } from './runtime'
import { configFromStored } from './tenant-engine'

/**
 * /api/v1 routes of the rule engine: elders' risk levels, the live rule config
 * (validated, versioned, audited) and backtests. Candidate venues: candidates/.
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

const riskView = z.object({ elderId: z.string(), riskLevel })

const rulesView = z.object({
  version: z.number().int().describe('0 before the first PUT'),
  updatedBy: z.string().nullable(),
  updatedAt: timestamp.nullable(),
  note: z.string().nullable(),
  stored: z.unknown().describe('the config as PUT: only the fields that differ from the defaults'),
  config: ruleConfigSchema.describe('the config in force: stored over the defaults'),
  defaults: ruleConfigSchema,
})

const storedConfigView = z.object({ version: z.number().int(), config: z.unknown(), createdBy: z.string(), note: z.string().nullable(), createdAt: timestamp })

const savedRulesView = z.object({ version: z.number().int(), config: ruleConfigSchema })

/** A finding of the rule engine (rules/src/types.ts Finding). */
const findingView = z.object({
  rule: z.enum(RULE_IDS as [string, ...string[]]),
  tenantId: z.string(),
  elderId: z.string().nullable(),
  level: riskLevel,
  dedupKey: z.string(),
  ts: z.number().describe('event time the condition became true, epoch ms'),
  summary: z.string(),
  evidence: z.record(z.string(), z.unknown()),
  refresh: z.literal(true).optional(),
})

const backtestView = z.object({
  from: timestamp,
  to: timestamp,
  inputs: z.number().int().describe('stored readings and events replayed'),
  tooLate: z.number().int(),
  findings: z.number().int(),
  counts: z.record(z.string(), z.record(z.string(), z.number())).describe('findings per rule and level'),
  samples: z.array(findingView),
})

const tags = ['rules']
const riskSchema = {
  operationId: 'getElderRisk',
  summary: "An elder's current risk level (the highest of its open alerts; green without)",
  tags: ['alerts'],
  params: idParams,
  response: { 200: riskView, ...bearerErrors() },
}
const getRulesSchema = { operationId: 'getRules', summary: 'The rule config in force, as stored, and the defaults', tags, response: { 200: rulesView, ...bearerErrors() } }
const versionsSchema = {
  operationId: 'listRuleVersions',
  summary: 'Every stored rule config version, newest first',
  tags,
  response: { 200: z.object({ items: z.array(storedConfigView) }), ...bearerErrors() },
}
const putRulesSchema = {
  operationId: 'putRules',
  summary: 'Store a new rule config version (admins): validated, audited, in force at once',
  tags,
  body: putRulesBody,
  response: { 200: savedRulesView, ...bearerErrors(), ...bodyErrors },
}
const backtestSchema = {
  operationId: 'backtestRules',
  summary: 'Replay stored data through a rule config without side effects',
  tags,
  body: backtestBody,
  response: { 200: backtestView, ...bearerErrors(), ...bodyErrors },
}
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

    app.get('/elders/:id/risk', { config: { roles: STAFF }, schema: riskSchema }, async (request) => {
      const user = userOf(request)
      const levels = await elderRiskLevels(deps.db, user.tenantId, [request.params.id])
      return { elderId: request.params.id, riskLevel: levels.get(request.params.id) ?? 'green' }
    })

    app.get('/rules', { config: { roles: STAFF }, schema: getRulesSchema }, async (request) => {
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

    app.get('/rules/versions', { config: { roles: STAFF }, schema: versionsSchema }, async (request) => {
      return { items: await listRuleConfigs(deps.db, userOf(request).tenantId) }
    })

    app.put('/rules', { config: { roles: ADMIN }, schema: putRulesSchema }, async (request) => {
      const user = userOf(request)
      const effective = configFields(request.body.config)
      const stored = await saveRuleConfig(deps.db, user.tenantId, request.body.config, user.username, request.body.note ?? null)
      await deps.detection.tenantChanged(user.tenantId, 'config')
      return { version: stored.version, config: effective }
    })

    app.post('/rules/backtest', { config: { roles: STAFF }, schema: backtestSchema }, async (request) => {
      const user = userOf(request)
      const b = request.body
      const stored = b.config === undefined ? await currentRuleConfig(deps.db, user.tenantId) : null
      const config = configFields(b.config ?? stored?.config ?? {})
      return runBacktest(deps.db, user.tenantId, { from: b.from, to: b.to, config, timeZone: deps.timeZone, sampleLimit: b.samples ?? 20 })
    })
  }
}
