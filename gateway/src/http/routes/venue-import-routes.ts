import { randomUUID } from 'node:crypto'
import type { FastifyBaseLogger, FastifyPluginAsync } from 'fastify'
import { recordAudit } from '../../registry/audit-store'
import { insertVenue } from '../../registry/venue-store'
import { auditBy } from '../auth'
import { csvBoolean, csvNumber } from '../csv-table'
import type { HttpDeps } from '../deps'
import { importRoute } from '../import-route'
import { VENUE_CSV_COLUMNS, venueImportBody } from '../schemas/import-schemas'
import { createVenueBody } from '../schemas/venue-schemas'
import { newVenueFields } from '../venue-fields'

/** POST /venues/import; `venuesChanged` is the venue routes' hook (the rule engine reloads the tenant's venues once). */
export function venueImportRoutes(deps: Pick<HttpDeps, 'db'>, venuesChanged: (tenantId: string, log: FastifyBaseLogger) => Promise<void>): FastifyPluginAsync {
  return importRoute(deps, {
    url: '/venues/import',
    operationId: 'importVenues',
    summary: 'Add many venues at once (JSON or CSV), all or nothing: a 400 names every failing row and field',
    tag: 'venues',
    docsBody: venueImportBody,
    docsDescription: 'JSON `{crs?, venues: [...]}` (each venue as POST /venues takes it), or a CSV file: name,kind,lat,lon,radiusM,address,risky,crs',
    source: {
      listKey: 'venues',
      csvColumns: VENUE_CSV_COLUMNS,
      // CSV has no polygons: a row is a circle, as most registers of shops and halls are.
      fromCsv: (c) => ({ ...c, lat: csvNumber(c.lat), lon: csvNumber(c.lon), radiusM: csvNumber(c.radiusM), risky: csvBoolean(c.risky) }),
    },
    row: createVenueBody,
    async insert(tx, actor, row) {
      const venue = await insertVenue(tx, actor.tenantId, randomUUID(), newVenueFields(row))
      // As POST /venues writes it, so the audit log reads the same however a venue came in.
      await recordAudit(tx, auditBy(actor, 'venue.create', venue.id, { name: venue.name, kind: venue.kind, risky: venue.risky, crs: row.crs, imported: true }))
      return venue.id
    },
    changed: venuesChanged,
  })
}
