import type { FastifyBaseLogger, FastifyPluginAsync } from 'fastify'
import type { z } from 'zod'
import type { Queryable } from '../storage/db'
import { STAFF, userOf, type AuthUser } from './auth'
import type { HttpDeps } from './deps'
import { IMPORT_BODY_LIMIT, acceptCsv, importRows, validateRows, type ImportSource } from './import-rows'
import { importQuery, importedView } from './schemas/import-schemas'
import { bearerErrors, bodyErrors } from './schemas/responses'
import type { ZodTypeProvider } from './zod-provider'

/** What makes an import route: where rows come from, how each is checked and stored. */
export interface ImportRouteSpec<S extends z.ZodType> {
  url: string
  operationId: string
  summary: string
  tag: string
  /** For /docs: the JSON body or the CSV text, and a description of both. */
  docsBody: z.ZodType
  docsDescription: string
  source: ImportSource
  row: S
  /** Stores one valid row (and its audit entry, as the single create route writes it); returns the new id. */
  insert(tx: Queryable, actor: AuthUser, row: z.output<S>): Promise<string>
  /** After the commit, once for the whole import: the rule engine reloads. */
  changed(tenantId: string, log: FastifyBaseLogger): Promise<void>
}

/**
 * A POST that creates many records at once, in one transaction, or none (import-rows.ts). In a
 * plugin of its own, so only the import route reads text/csv; staff only, as creating one is.
 */
export function importRoute<S extends z.ZodType>(deps: Pick<HttpDeps, 'db'>, spec: ImportRouteSpec<S>): FastifyPluginAsync {
  const schema = {
    operationId: spec.operationId,
    summary: spec.summary,
    tags: [spec.tag],
    querystring: importQuery,
    docs: { body: { schema: spec.docsBody, contentTypes: ['application/json', 'text/csv'], description: spec.docsDescription } },
    response: { 201: importedView.meta({ description: 'created, in one transaction' }), ...bearerErrors(), ...bodyErrors },
  }
  return async (plain) => {
    acceptCsv(plain)
    const app = plain.withTypeProvider<ZodTypeProvider>()
    app.post(spec.url, { config: { roles: STAFF }, bodyLimit: IMPORT_BODY_LIMIT, schema }, async (request, reply) => {
      const actor = userOf(request)
      const rows = validateRows(importRows(request.body, request.query.crs, spec.source), spec.row)
      const ids = await deps.db.transaction(async (tx) => {
        const created: string[] = []
        for (const row of rows) created.push(await spec.insert(tx, actor, row))
        return created
      })
      await spec.changed(actor.tenantId, request.log)
      return reply.status(201).send({ created: ids.length, ids })
    })
  }
}
