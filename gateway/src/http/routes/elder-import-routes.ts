import { randomUUID } from 'node:crypto'
import type { FastifyBaseLogger, FastifyPluginAsync } from 'fastify'
import { recordAudit } from '../../registry/audit-store'
import { insertElder } from '../../registry/elder-store'
import { auditBy } from '../auth'
import { homeToWgs84 } from '../crs-edge'
import { csvNumber } from '../csv-table'
import type { HttpDeps } from '../deps'
import { importRoute } from '../import-route'
import { ELDER_CSV_COLUMNS, elderImportBody, elderImportRow } from '../schemas/import-schemas'

/**
 * POST /elders/import; `eldersChanged` is the elder routes' hook (the rule engine re-reads the
 * tenant's profiles once). Rows are flat, as a spreadsheet is: contacts, police station and
 * planned absences are set per elder afterwards (PATCH), where their webhook targets and
 * references are checked one by one.
 */
export function elderImportRoutes(deps: Pick<HttpDeps, 'db'>, eldersChanged: (tenantId: string, log: FastifyBaseLogger) => Promise<void>): FastifyPluginAsync {
  return importRoute(deps, {
    url: '/elders/import',
    operationId: 'importElders',
    summary: 'Register many elders at once (JSON or CSV), all or nothing: a 400 names every failing row and field',
    tag: 'elders',
    docsBody: elderImportBody,
    docsDescription: 'JSON `{crs?, elders: [{name, lat, lon, radiusM?, crs?, address?, phone?, language?, area?}]}`, or a CSV file with those columns',
    source: {
      listKey: 'elders',
      csvColumns: ELDER_CSV_COLUMNS,
      fromCsv: (c) => ({ ...c, lat: csvNumber(c.lat), lon: csvNumber(c.lon), radiusM: csvNumber(c.radiusM) }),
    },
    row: elderImportRow,
    async insert(tx, actor, { lat, lon, radiusM, crs, ...profile }) {
      const elder = await insertElder(tx, actor.tenantId, randomUUID(), { ...profile, home: homeToWgs84({ lat, lon, radiusM, crs }) })
      // As POST /elders writes it: which fields were given, never their (personal) values.
      const fields = ['home', ...Object.entries(profile).flatMap(([k, v]) => (v === undefined ? [] : [k]))]
      await recordAudit(tx, auditBy(actor, 'elder.create', elder.id, { fields, imported: true }))
      return elder.id
    },
    changed: eldersChanged,
  })
}
