import { randomUUID } from 'node:crypto'
import type { FastifyBaseLogger, FastifyPluginAsync } from 'fastify'
import { z } from 'zod'
import { EgError } from '../errors'
import type { Crs } from '../geo/crs'
import { crsQuery, evidenceIn, positionIn } from '../http/crs-edge'
import { STAFF, auditBy, userOf, type AuthUser } from '../http/auth'
import { idParams } from '../http/pagination'
import { shortText } from '../http/schemas/common'
import { bearerErrors, bodyErrors, timestamp } from '../http/schemas/responses'
import type { ZodTypeProvider } from '../http/zod-provider'
import { recordAudit } from '../registry/audit-store'
import { RISKY_VENUE_KINDS, VENUE_KINDS } from '../registry/types'
import { insertVenue } from '../registry/venue-store'
import type { Db, Queryable } from '../storage/db'
import { decideCandidate, listCandidates, lockCandidate, type VenueCandidate } from './candidate-store'
import type { DetectionRuntime } from '../detection/runtime'

/**
 * Candidate venues found by crowd detection (issue 7): list them, promote one to a real venue
 * (which the rules then watch) or dismiss it. Either decision is final, audited, and makes the
 * rule engine reload the tenant's venues.
 */
export interface CandidateRouteDeps {
  db: Db
  detection: Pick<DetectionRuntime, 'tenantChanged'>
}

const promoteBody = z.object({
  name: shortText(200),
  // Crowds of elders gathering repeatedly are typically sales pitches (会销).
  kind: z.enum(VENUE_KINDS).default('sales'),
  // As venue-schemas.ts: a larger circle would put every elder "at the venue".
  radiusM: z.number().positive().max(5_000).optional(),
})

/** A candidate venue as the API shows it (candidate-store.ts VenueCandidate). */
export const venueCandidateView = z.object({
  id: z.string(),
  tenantId: z.string(),
  lat: z.number(),
  lon: z.number(),
  radiusM: z.number(),
  days: z.unknown().describe('the days elders gathered there'),
  elderIds: z.unknown().describe('the elders seen there'),
  status: z.enum(['new', 'promoted', 'dismissed']),
  venueId: z.string().nullable().describe('the venue it was promoted to'),
  firstAt: timestamp,
  lastAt: timestamp,
  evidence: z.record(z.string(), z.unknown()),
})

/** A candidate as `?crs=` asks: its centre and the positions in its evidence. */
export function candidateIn(candidate: VenueCandidate, crs: Crs): VenueCandidate {
  return crs === 'wgs84' ? candidate : { ...positionIn(candidate, crs), evidence: evidenceIn(candidate.evidence, crs) }
}

const promotedView = z.object({ venueId: z.string(), candidate: venueCandidateView })
const dismissedView = z.object({ candidate: venueCandidateView })

/** Locks the candidate and checks it is still undecided. */
async function openCandidate(tx: Queryable, tenantId: string, id: string): Promise<VenueCandidate> {
  const candidate = await lockCandidate(tx, tenantId, id)
  if (candidate === null) throw new EgError('NOT_FOUND', 'venue candidate not found')
  if (candidate.status !== 'new') throw new EgError('CANDIDATE_NOT_OPEN', `venue candidate already ${candidate.status}`)
  return candidate
}

export function candidateRoutes(deps: CandidateRouteDeps): FastifyPluginAsync {
  /** The decision is committed; a failed engine reload is logged, not reported as failure. */
  async function venuesChanged(user: AuthUser, log: FastifyBaseLogger): Promise<void> {
    try {
      await deps.detection.tenantChanged(user.tenantId, 'venues')
    } catch (err) {
      log.error({ err, tenantId: user.tenantId }, 'rule engine venue reload failed')
    }
  }

  return async (plain) => {
    const app = plain.withTypeProvider<ZodTypeProvider>()
    const promoteSchema = {
      operationId: 'promoteVenueCandidate',
      summary: "Make a candidate a venue at its centre and radius (409 CANDIDATE_NOT_OPEN when already decided)",
      tags: ['venues'],
      params: idParams,
      body: promoteBody,
      querystring: crsQuery,
      response: { 201: promotedView.meta({ description: 'promoted' }), ...bearerErrors('NOT_FOUND', 'CANDIDATE_NOT_OPEN'), ...bodyErrors },
    }
    const listSchema = {
      operationId: 'listVenueCandidates',
      summary: 'Places where several elders gather, proposed as venues by crowd detection',
      tags: ['venues'],
      querystring: crsQuery,
      response: { 200: z.object({ items: z.array(venueCandidateView) }), ...bearerErrors() },
    }
    const dismissSchema = {
      operationId: 'dismissVenueCandidate',
      summary: 'Dismiss a candidate venue (409 CANDIDATE_NOT_OPEN when already decided)',
      tags: ['venues'],
      params: idParams,
      querystring: crsQuery,
      response: { 200: dismissedView, ...bearerErrors('NOT_FOUND', 'CANDIDATE_NOT_OPEN'), ...bodyErrors },
    }

    app.get('/venue-candidates', { config: { roles: STAFF }, schema: listSchema }, async (request) => {
      const items = await listCandidates(deps.db, userOf(request).tenantId)
      return { items: items.map((c) => candidateIn(c, request.query.crs)) }
    })

    app.post('/venue-candidates/:id/promote', { config: { roles: STAFF }, schema: promoteSchema }, async (request, reply) => {
      const user = userOf(request)
      const b = request.body
      const result = await deps.db.transaction(async (tx) => {
        const found = await openCandidate(tx, user.tenantId, request.params.id)
        const venue = await insertVenue(tx, user.tenantId, randomUUID(), {
          name: b.name,
          kind: b.kind,
          risky: RISKY_VENUE_KINDS.has(b.kind),
          lat: found.lat,
          lon: found.lon,
          radiusM: b.radiusM ?? found.radiusM,
          polygon: null,
        })
        const candidate = await decideCandidate(tx, user.tenantId, found.id, { status: 'promoted', venueId: venue.id })
        await recordAudit(tx, auditBy(user, 'venue.create', venue.id, { name: venue.name, kind: venue.kind, risky: venue.risky, candidateId: found.id }))
        await recordAudit(tx, auditBy(user, 'venue_candidate.promote', found.id, { venueId: venue.id }))
        return { venueId: venue.id, candidate: candidateIn(candidate, request.query.crs) }
      })
      await venuesChanged(user, request.log)
      return reply.status(201).send(result)
    })

    app.post('/venue-candidates/:id/dismiss', { config: { roles: STAFF }, schema: dismissSchema }, async (request) => {
      const user = userOf(request)
      const candidate = await deps.db.transaction(async (tx) => {
        const found = await openCandidate(tx, user.tenantId, request.params.id)
        const dismissed = await decideCandidate(tx, user.tenantId, found.id, { status: 'dismissed' })
        await recordAudit(tx, auditBy(user, 'venue_candidate.dismiss', found.id))
        return dismissed
      })
      await venuesChanged(user, request.log)
      return { candidate: candidateIn(candidate, request.query.crs) }
    })
  }
}
