import { randomUUID } from 'node:crypto'
import type { FastifyPluginAsync } from 'fastify'
import { EgError } from '../../errors'
import { createWebhookPolicy } from '../../notices/webhook-policy'
import { recordAudit } from '../../registry/audit-store'
import { getPoliceStation, insertPoliceStation, listPoliceStations, updatePoliceStation } from '../../registry/police-station-store'
import type { PoliceStation } from '../../registry/types'
import type { HttpDeps } from '../deps'
import { ADMIN, STAFF, auditBy, userOf } from '../auth'
import { idParams, pageQuery } from '../pagination'
import { createPoliceStationBody, patchPoliceStationBody, policeStationPage, policeStationView } from '../schemas/police-station-schemas'
import { bearerErrors, bodyErrors } from '../schemas/responses'
import { assertWebhookTargets } from '../webhook-targets'
import type { ZodTypeProvider } from '../zod-provider'

/** The store never selects the secret for these views; the tenant id is implicit. */
function stationView(station: PoliceStation) {
  const { tenantId: _tenantId, ...rest } = station
  return rest
}

/** Police stations: admins write (they hold webhook secrets), operators read. */
export function policeStationRoutes(deps: Pick<HttpDeps, 'db' | 'config'>): FastifyPluginAsync {
  const webhooks = createWebhookPolicy(deps.config.EG_WEBHOOK_ALLOW)
  return async (plain) => {
    const app = plain.withTypeProvider<ZodTypeProvider>()
    const tags = ['police stations']
    const createSchema = {
      operationId: 'createPoliceStation',
      summary: 'Add a police station: where red alerts are sent, signed with its secret',
      tags,
      body: createPoliceStationBody,
      response: { 201: policeStationView.meta({ description: 'created' }), ...bearerErrors(), ...bodyErrors },
    }
    const listSchema = {
      operationId: 'listPoliceStations',
      summary: 'List police stations',
      tags,
      querystring: pageQuery,
      response: { 200: policeStationPage, ...bearerErrors() },
    }
    const getSchema = {
      operationId: 'getPoliceStation',
      summary: 'One police station',
      tags,
      params: idParams,
      response: { 200: policeStationView, ...bearerErrors('NOT_FOUND') },
    }
    const patchSchema = {
      operationId: 'updatePoliceStation',
      summary: 'Change a police station',
      tags,
      params: idParams,
      body: patchPoliceStationBody,
      response: { 200: policeStationView, ...bearerErrors('NOT_FOUND'), ...bodyErrors },
    }

    app.post('/police-stations', { config: { roles: ADMIN }, schema: createSchema }, async (request, reply) => {
      const actor = userOf(request)
      assertWebhookTargets(webhooks, [{ path: 'webhookUrl', url: request.body.webhookUrl }])
      const station = await deps.db.transaction(async (tx) => {
        const created = await insertPoliceStation(tx, actor.tenantId, randomUUID(), request.body)
        await recordAudit(tx, auditBy(actor, 'police_station.create', created.id, { name: created.name, webhookUrl: created.webhookUrl, format: created.format, language: created.language }))
        return created
      })
      return reply.status(201).send(stationView(station))
    })

    app.get('/police-stations', { config: { roles: STAFF }, schema: listSchema }, async (request) => {
      const result = await listPoliceStations(deps.db, userOf(request).tenantId, request.query)
      return { ...result, items: result.items.map(stationView) }
    })

    app.get('/police-stations/:id', { config: { roles: STAFF }, schema: getSchema }, async (request) => {
      const station = await getPoliceStation(deps.db, userOf(request).tenantId, request.params.id)
      if (station === null) throw new EgError('NOT_FOUND', 'police station not found')
      return stationView(station)
    })

    app.patch(
      '/police-stations/:id',
      { config: { roles: ADMIN }, schema: patchSchema },
      async (request) => {
        const actor = userOf(request)
        assertWebhookTargets(webhooks, [{ path: 'webhookUrl', url: request.body.webhookUrl }])
        const station = await deps.db.transaction(async (tx) => {
          const updated = await updatePoliceStation(tx, actor.tenantId, request.params.id, request.body)
          if (updated === null) throw new EgError('NOT_FOUND', 'police station not found')
          const { secret, ...visible } = request.body
          await recordAudit(tx, auditBy(actor, 'police_station.update', updated.id, { ...visible, secretChanged: secret !== undefined || undefined }))
          return updated
        })
        return stationView(station)
      },
    )
  }
}
