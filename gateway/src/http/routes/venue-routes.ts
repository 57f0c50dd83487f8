import { randomUUID } from 'node:crypto'
import type { FastifyPluginAsync, FastifyBaseLogger } from 'fastify'
import { EgError } from '../../errors.js'
import { recordAudit } from '../../registry/audit-store.js'
import { deleteVenue, getVenue, insertVenue, listVenues, updateVenue, type VenueFields } from '../../registry/venue-store.js'
import { RISKY_VENUE_KINDS, type Venue } from '../../registry/types.js'
import type { HttpDeps } from '../deps.js'
import { STAFF, auditBy, userOf } from '../auth.js'
import { idParams } from '../pagination.js'
import { createVenueBody, listVenuesQuery, patchVenueBody, venuePage, venueView as venueSchema } from '../schemas/venue-schemas.js'
import { bearerErrors, bodyErrors, noContent } from '../schemas/responses.js'
import type { ZodTypeProvider } from '../zod-provider.js'
import type { z } from 'zod'

function venueView(venue: Venue) {
  const { tenantId: _tenantId, ...rest } = venue
  return rest
}

/** A polygon replaces the circle and vice versa: the other form's columns are cleared. */
function geometryPatch(body: z.output<typeof patchVenueBody>): Partial<VenueFields> {
  if (body.polygon !== undefined) return { polygon: body.polygon, lat: null, lon: null, radiusM: null }
  if (body.lat !== undefined && body.lon !== undefined && body.radiusM !== undefined) {
    return { lat: body.lat, lon: body.lon, radiusM: body.radiusM, polygon: null }
  }
  return {}
}

export function venueRoutes(deps: HttpDeps): FastifyPluginAsync {
  /** The rule engine rebuilds its venue index; its failure must not undo a committed change. */
  async function venuesChanged(tenantId: string, log: FastifyBaseLogger): Promise<void> {
    try {
      await deps.onVenuesChanged?.(tenantId)
    } catch (err) {
      log.error({ err, tenantId }, 'onVenuesChanged hook failed')
    }
  }

  return async (plain) => {
    const app = plain.withTypeProvider<ZodTypeProvider>()
    const config = { roles: STAFF }
    const tags = ['venues']
    const createSchema = {
      operationId: 'createVenue',
      summary: 'Add a venue: a circle or a polygon (the rule engine watches it at once)',
      tags,
      body: createVenueBody,
      response: { 201: venueSchema.meta({ description: 'created' }), ...bearerErrors(), ...bodyErrors },
    }
    const listSchema = { operationId: 'listVenues', summary: 'List venues', tags, querystring: listVenuesQuery, response: { 200: venuePage, ...bearerErrors() } }
    const getSchema = { operationId: 'getVenue', summary: 'One venue', tags, params: idParams, response: { 200: venueSchema, ...bearerErrors('NOT_FOUND') } }
    const patchSchema = {
      operationId: 'updateVenue',
      summary: 'Change a venue (a polygon replaces the circle and vice versa)',
      tags,
      params: idParams,
      body: patchVenueBody,
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
      const b = request.body
      const fields: VenueFields = {
        name: b.name,
        kind: b.kind,
        risky: b.risky ?? RISKY_VENUE_KINDS.has(b.kind),
        address: b.address,
        ...(b.polygon !== undefined
          ? { polygon: b.polygon, lat: null, lon: null, radiusM: null }
          : { polygon: null, lat: b.lat ?? null, lon: b.lon ?? null, radiusM: b.radiusM ?? null }),
      }
      const venue = await deps.db.transaction(async (tx) => {
        const created = await insertVenue(tx, actor.tenantId, randomUUID(), fields)
        await recordAudit(tx, auditBy(actor, 'venue.create', created.id, { name: created.name, kind: created.kind, risky: created.risky }))
        return created
      })
      await venuesChanged(actor.tenantId, request.log)
      return reply.status(201).send(venueView(venue))
    })

    app.get('/venues', { config, schema: listSchema }, async (request) => {
      const { kind, risky, ...page } = request.query
      const result = await listVenues(deps.db, userOf(request).tenantId, { kind, risky }, page)
      return { ...result, items: result.items.map(venueView) }
    })

    app.get('/venues/:id', { config, schema: getSchema }, async (request) => {
      const venue = await getVenue(deps.db, userOf(request).tenantId, request.params.id)
      if (venue === null) throw new EgError('NOT_FOUND', 'venue not found')
      return venueView(venue)
    })

    app.patch('/venues/:id', { config, schema: patchSchema }, async (request) => {
      const actor = userOf(request)
      const b = request.body
      const patch: Partial<VenueFields> = { name: b.name, kind: b.kind, risky: b.risky, address: b.address, ...geometryPatch(b) }
      // A new kind brings its default riskiness unless the request sets risky too.
      if (b.kind !== undefined && b.risky === undefined) patch.risky = RISKY_VENUE_KINDS.has(b.kind)
      const venue = await deps.db.transaction(async (tx) => {
        const updated = await updateVenue(tx, actor.tenantId, request.params.id, patch)
        if (updated === null) throw new EgError('NOT_FOUND', 'venue not found')
        await recordAudit(tx, auditBy(actor, 'venue.update', updated.id, { fields: Object.keys(b) }))
        return updated
      })
      await venuesChanged(actor.tenantId, request.log)
      return venueView(venue)
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
