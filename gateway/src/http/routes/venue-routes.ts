import { randomUUID } from 'node:crypto'
import type { FastifyPluginAsync, FastifyBaseLogger } from 'fastify'
import { EgError } from '../../errors'
import { recordAudit } from '../../registry/audit-store'
import { deleteVenue, getVenue, insertVenue, listVenues, updateVenue, type VenueFields } from '../../registry/venue-store'
import { RISKY_VENUE_KINDS, type Venue } from '../../registry/types'
import type { Crs } from '../../geo/crs'
import type { HttpDeps } from '../deps'
import { crsQuery, venueGeometryToWgs84, venueIn } from '../crs-edge'
import { newVenueFields } from '../venue-fields'
import { venueImportRoutes } from './venue-import-routes'
import { STAFF, auditBy, userOf } from '../auth'
import { idParams } from '../pagination'
import { createVenueBody, listVenuesQuery, patchVenueBody, venuePage, venueView as venueSchema } from '../schemas/venue-schemas'
import { bearerErrors, bodyErrors, noContent } from '../schemas/responses'
import type { ZodTypeProvider } from '../zod-provider'
import type { z } from 'zod'

function venueView(venue: Venue, crs: Crs) {
  const { tenantId: _tenantId, ...rest } = venue
  return venueIn(rest, crs)
}

/** A polygon replaces the circle and vice versa: the other form's columns are cleared. */
function geometryPatch(body: Omit<z.output<typeof patchVenueBody>, 'crs'>): Partial<VenueFields> {
  if (body.polygon !== undefined) return { polygon: body.polygon, lat: null, lon: null, radiusM: null }
  if (body.lat !== undefined && body.lon !== undefined && body.radiusM !== undefined) {
    return { lat: body.lat, lon: body.lon, radiusM: body.radiusM, polygon: null }
  }
  return {}
}

export function venueRoutes(deps: Pick<HttpDeps, 'db' | 'onVenuesChanged'>): FastifyPluginAsync {
  /** The rule engine rebuilds its venue index; its failure must not undo a committed change. */
  async function venuesChanged(tenantId: string, log: FastifyBaseLogger): Promise<void> {
    try {
      await deps.onVenuesChanged?.(tenantId)
    } catch (err) {
      log.error({ err, tenantId }, 'onVenuesChanged hook failed')
    }
  }

  return async (plain) => {
    // In a scope of its own: only the import route reads text/csv.
    await plain.register(venueImportRoutes(deps, venuesChanged))
    const app = plain.withTypeProvider<ZodTypeProvider>()
    const config = { roles: STAFF }
    const tags = ['venues']
    const createSchema = {
      operationId: 'createVenue',
      summary: 'Add a venue: a circle or a polygon (the rule engine watches it at once)',
      tags,
      body: createVenueBody,
      querystring: crsQuery,
      response: { 201: venueSchema.meta({ description: 'created' }), ...bearerErrors(), ...bodyErrors },
    }
    const listSchema = { operationId: 'listVenues', summary: 'List venues', tags, querystring: listVenuesQuery, response: { 200: venuePage, ...bearerErrors() } }
    const getSchema = { operationId: 'getVenue', summary: 'One venue', tags, params: idParams, querystring: crsQuery, response: { 200: venueSchema, ...bearerErrors('NOT_FOUND') } }
    const patchSchema = {
      operationId: 'updateVenue',
      summary: 'Change a venue (a polygon replaces the circle and vice versa)',
      tags,
      params: idParams,
      body: patchVenueBody,
      querystring: crsQuery,
      response: { 200: venueSchema, ...bearerErrors('NOT_FOUND'), ...bodyErrors },
    }
    const deleteSchema = {
      operationId: 'deleteVenue',
      summary: 'Delete a venue',
      tags,
      params: idParams,
      response: { 204: noContent, ...bearerErrors('NOT_FOUND'), ...bodyErrors },
    }

    app.post('/venues', { config, schema: createSchema }, async (request, reply) => {
      const actor = userOf(request)
      const fields = newVenueFields(request.body)
      const venue = await deps.db.transaction(async (tx) => {
        const created = await insertVenue(tx, actor.tenantId, randomUUID(), fields)
        await recordAudit(tx, auditBy(actor, 'venue.create', created.id, { name: created.name, kind: created.kind, risky: created.risky, crs: request.body.crs }))
        return created
      })
      await venuesChanged(actor.tenantId, request.log)
      return reply.status(201).send(venueView(venue, request.query.crs))
    })

    app.get('/venues', { config, schema: listSchema }, async (request) => {
      const { kind, risky, crs, ...page } = request.query
      const result = await listVenues(deps.db, userOf(request).tenantId, { kind, risky }, page)
      return { ...result, items: result.items.map((v) => venueView(v, crs)) }
    })

    app.get('/venues/:id', { config, schema: getSchema }, async (request) => {
      const venue = await getVenue(deps.db, userOf(request).tenantId, request.params.id)
      if (venue === null) throw new EgError('NOT_FOUND', 'venue not found')
      return venueView(venue, request.query.crs)
    })

    app.patch('/venues/:id', { config, schema: patchSchema }, async (request) => {
      const actor = userOf(request)
      const b = venueGeometryToWgs84(request.body)
      const patch: Partial<VenueFields> = { name: b.name, kind: b.kind, risky: b.risky, address: b.address, ...geometryPatch(b) }
      // A new kind brings its default riskiness unless the request sets risky too.
      if (b.kind !== undefined && b.risky === undefined) patch.risky = RISKY_VENUE_KINDS.has(b.kind)
      const venue = await deps.db.transaction(async (tx) => {
        const updated = await updateVenue(tx, actor.tenantId, request.params.id, patch)
        if (updated === null) throw new EgError('NOT_FOUND', 'venue not found')
        await recordAudit(tx, auditBy(actor, 'venue.update', updated.id, { fields: Object.keys(b), crs: request.body.crs }))
        return updated
      })
      await venuesChanged(actor.tenantId, request.log)
      return venueView(venue, request.query.crs)
    })

    app.delete('/venues/:id', { config, schema: deleteSchema }, async (request, reply) => {
      const actor = userOf(request)
      await deps.db.transaction(async (tx) => {
        if (!(await deleteVenue(tx, actor.tenantId, request.params.id))) throw new EgError('NOT_FOUND', 'venue not found')
        await recordAudit(tx, auditBy(actor, 'venue.delete', request.params.id))
      })
      await venuesChanged(actor.tenantId, request.log)
      return reply.status(204).send()
    })
  }
}
