import { randomUUID } from 'node:crypto'
import type { FastifyBaseLogger, FastifyPluginAsync } from 'fastify'
import { EgError } from '../../errors'
import { createWebhookPolicy } from '../../notices/webhook-policy'
import { recordAudit } from '../../registry/audit-store'
import { deleteElder, getElder, insertElder, listElders, updateElder } from '../../registry/elder-store'
import { DEFAULT_NOTICE_LANGUAGE, type Elder, type RiskLevel } from '../../registry/types'
import type { Crs } from '../../geo/crs'
import type { HttpDeps } from '../deps'
import { crsQuery, homeToWgs84, positionIn } from '../crs-edge'
import { elderImportRoutes } from './elder-import-routes'
import { STAFF, auditBy, userOf } from '../auth'
import { idParams } from '../pagination'
import { requirePoliceStation } from '../references'
import { createElderBody, elderPage, elderView as elderSchema, listEldersQuery, patchElderBody } from '../schemas/elder-schemas'
import { bearerErrors, bodyErrors, noContent } from '../schemas/responses'
import { assertWebhookTargets, contactTargets } from '../webhook-targets'
import type { ZodTypeProvider } from '../zod-provider'

/** What the API shows of an elder: contact secrets are write-only, the risk level is added, home in `crs`. */
function elderView(elder: Elder, riskLevel: RiskLevel, crs: Crs) {
  const { tenantId: _tenantId, contacts, ...rest } = elder
  return {
    ...rest,
    home: positionIn(elder.home, crs),
    // A contact stored before contacts had a language gets zh-CN notices: say so.
    contacts: contacts.map(({ secret, ...contact }) => ({ ...contact, language: contact.language ?? DEFAULT_NOTICE_LANGUAGE, hasSecret: secret !== undefined })),
    riskLevel,
  }
}

/** Audit detail: which fields changed, never contact secrets or personal values. */
function changedFields(body: object): { fields: string[] } {
  return { fields: Object.keys(body).filter((k) => (body as Record<string, unknown>)[k] !== undefined) }
}

export function elderRoutes(deps: Pick<HttpDeps, 'db' | 'config' | 'deviceAuth' | 'riskLevels' | 'onEldersChanged'>): FastifyPluginAsync {
  const webhooks = createWebhookPolicy(deps.config.EG_WEBHOOK_ALLOW)
  async function riskOf(tenantId: string, elders: Elder[]): Promise<Map<string, RiskLevel>> {
    if (deps.riskLevels === undefined || elders.length === 0) return new Map()
    return deps.riskLevels(
      tenantId,
      elders.map((e) => e.id),
    )
  }

  /** A failing hook must not undo a committed change: logged, not returned. No elderId: many changed. */
  async function notifyEldersChanged(tenantId: string, elderId: string | undefined, log: FastifyBaseLogger): Promise<void> {
    try {
      await deps.onEldersChanged?.(tenantId, elderId)
    } catch (err) {
      log.error({ err, tenantId }, 'onEldersChanged hook failed')
    }
  }

  return async (plain) => {
    // In a scope of its own: only the import route reads text/csv.
    await plain.register(elderImportRoutes(deps, (tenantId, log) => notifyEldersChanged(tenantId, undefined, log)))
    const app = plain.withTypeProvider<ZodTypeProvider>()
    // Police may not browse the elder registry (they see the elders of their own escalations).
    const config = { roles: STAFF }
    const tags = ['elders']
    const createSchema = {
      operationId: 'createElder',
      summary: 'Register an elder',
      tags,
      body: createElderBody,
      querystring: crsQuery,
      response: { 201: elderSchema.meta({ description: 'created' }), ...bearerErrors(), ...bodyErrors },
    }
    const listSchema = {
      operationId: 'listElders',
      summary: 'List elders, with their current risk level',
      tags,
      querystring: listEldersQuery,
      response: { 200: elderPage, ...bearerErrors() },
    }
    const getSchema = { operationId: 'getElder', summary: 'One elder', tags, params: idParams, querystring: crsQuery, response: { 200: elderSchema, ...bearerErrors('NOT_FOUND') } }
    const patchSchema = {
      operationId: 'updateElder',
      summary: "Change an elder's profile (the rule engine re-reads it)",
      tags,
      params: idParams,
      body: patchElderBody,
      querystring: crsQuery,
      response: { 200: elderSchema, ...bearerErrors('NOT_FOUND'), ...bodyErrors },
    }
    const deleteSchema = {
      operationId: 'deleteElder',
      summary: 'Delete an elder with its devices',
      tags,
      params: idParams,
      response: { 204: noContent, ...bearerErrors('NOT_FOUND'), ...bodyErrors },
    }

    app.post('/elders', { config, schema: createSchema }, async (request, reply) => {
      const actor = userOf(request)
      assertWebhookTargets(webhooks, contactTargets(request.body.contacts))
      const elder = await deps.db.transaction(async (tx) => {
        await requirePoliceStation(tx, actor.tenantId, request.body.policeStationId)
        const created = await insertElder(tx, actor.tenantId, randomUUID(), { ...request.body, home: homeToWgs84(request.body.home) })
        await recordAudit(tx, auditBy(actor, 'elder.create', created.id, changedFields(request.body)))
        return created
      })
      await notifyEldersChanged(actor.tenantId, elder.id, request.log)
      const risk = await riskOf(actor.tenantId, [elder])
      return reply.status(201).send(elderView(elder, risk.get(elder.id) ?? 'green', request.query.crs))
    })

    app.get('/elders', { config, schema: listSchema }, async (request) => {
      const tenantId = userOf(request).tenantId
      const { area, q, crs, ...page } = request.query
      const result = await listElders(deps.db, tenantId, { area, q }, page)
      const risk = await riskOf(tenantId, result.items)
      return { ...result, items: result.items.map((e) => elderView(e, risk.get(e.id) ?? 'green', crs)) }
    })

    app.get('/elders/:id', { config, schema: getSchema }, async (request) => {
      const tenantId = userOf(request).tenantId
      const elder = await getElder(deps.db, tenantId, request.params.id)
      if (elder === null) throw new EgError('NOT_FOUND', 'elder not found')
      const risk = await riskOf(tenantId, [elder])
      return elderView(elder, risk.get(elder.id) ?? 'green', request.query.crs)
    })

    app.patch('/elders/:id', { config, schema: patchSchema }, async (request) => {
      const actor = userOf(request)
      assertWebhookTargets(webhooks, contactTargets(request.body.contacts))
      const elder = await deps.db.transaction(async (tx) => {
        await requirePoliceStation(tx, actor.tenantId, request.body.policeStationId)
        const { home, ...fields } = request.body
        const updated = await updateElder(tx, actor.tenantId, request.params.id, home === undefined ? fields : { ...fields, home: homeToWgs84(home) })
        if (updated === null) throw new EgError('NOT_FOUND', 'elder not found')
        await recordAudit(tx, auditBy(actor, 'elder.update', updated.id, changedFields(request.body)))
        return updated
      })
      // Home, radius or planned absences may have moved: the rule engine re-reads the profile.
      await notifyEldersChanged(actor.tenantId, elder.id, request.log)
      const risk = await riskOf(actor.tenantId, [elder])
      return elderView(elder, risk.get(elder.id) ?? 'green', request.query.crs)
    })

    app.delete('/elders/:id', { config, schema: deleteSchema }, async (request, reply) => {
      const actor = userOf(request)
      const { deviceIds } = await deps.db.transaction(async (tx) => {
        const result = await deleteElder(tx, actor.tenantId, request.params.id)
        if (!result.deleted) throw new EgError('NOT_FOUND', 'elder not found')
        await recordAudit(tx, auditBy(actor, 'elder.delete', request.params.id, { deviceIds: result.deviceIds }))
        return result
      })
      // The elder's devices went with it (ON DELETE CASCADE): their secrets stop working now.
      for (const id of deviceIds) deps.deviceAuth.invalidate(id)
      await notifyEldersChanged(actor.tenantId, request.params.id, request.log)
      return reply.status(204).send()
    })
  }
}
