import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { EgError, type FieldError } from '../errors'
import { CRS_NAMES, type Crs } from '../geo/crs'
import { readCsv } from './csv-table'
import { issuesToFields } from './zod-provider'

/**
 * Bulk imports (POST /venues/import, /elders/import): a JSON body `{crs?, <list>: [...]}` or a
 * CSV file, every row checked by the same schema as the single create route, all or nothing.
 * A county registers its venues and elders from the spreadsheets it already keeps.
 */

/** Thousands of rows in one transaction would hold the registry's locks for many seconds. */
export const IMPORT_MAX_ROWS = 2_000
/** 2,000 rows of a few hundred bytes, with room for long addresses. */
export const IMPORT_BODY_LIMIT = 2 * 1024 * 1024
/** One 400 lists this many problems at most: enough to fix a file, not a megabyte of errors. */
const MAX_REPORTED = 200

/** A row to validate, and where it came from: `venues.3` (JSON) or `line.5` (CSV). */
export interface ImportRow {
  at: string
  value: unknown
}

export interface ImportSource {
  /** The JSON body's list ('venues', 'elders'), also its rows' error path. */
  listKey: string
  /** The columns a CSV file may have. */
  csvColumns: readonly string[]
  /** A CSV row's cells as the JSON row they stand for. */
  fromCsv(cells: Record<string, string>): Record<string, unknown>
}

/** The CSV body arrives as text; anything else is fastify's JSON parser's (app.ts). */
export function acceptCsv(app: FastifyInstance): void {
  app.addContentTypeParser('text/csv', { parseAs: 'string', bodyLimit: IMPORT_BODY_LIMIT }, (_request, body, done) => done(null, body))
}

const crsName = z.enum(CRS_NAMES, { error: `one of ${CRS_NAMES.join(', ')}` })

function jsonEnvelope(listKey: string) {
  return z.object({
    crs: crsName.optional(),
    [listKey]: z.array(z.unknown()).min(1, 'at least one row').max(IMPORT_MAX_ROWS, `at most ${IMPORT_MAX_ROWS} rows per import`),
  })
}

/** A row's own crs wins; else the file's (the JSON body's `crs`, else `?crs=`). */
function withCrs(value: unknown, fileCrs: Crs): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value
  const row = value as Record<string, unknown>
  return row.crs === undefined ? { ...row, crs: fileCrs } : row
}

/** The rows of an import body, each with its place in the body, before validation. */
export function importRows(body: unknown, queryCrs: Crs, source: ImportSource): ImportRow[] {
  if (typeof body === 'string') {
    return readCsv(body, source.csvColumns, IMPORT_MAX_ROWS).map((row) => ({ at: `line.${row.line}`, value: withCrs(source.fromCsv(row.cells), queryCrs) }))
  }
  const envelope = jsonEnvelope(source.listKey).safeParse(body)
  if (!envelope.success) throw new EgError('VALIDATION_FAILED', 'invalid body', { fields: issuesToFields(envelope.error, 'body') })
  // The list's key is the source's, so zod types every key alike: read the two fields by name.
  const data = envelope.data as { crs?: Crs } & Record<string, unknown>
  const fileCrs = data.crs ?? queryCrs
  const list = data[source.listKey] as unknown[]
  return list.map((value, i) => ({ at: `${source.listKey}.${i}`, value: withCrs(value, fileCrs) }))
}

/** Every row through `schema`; any failure is one 400 naming each failing row and field, nothing kept. */
export function validateRows<S extends z.ZodType>(rows: readonly ImportRow[], schema: S): Array<z.output<S>> {
  const valid: Array<z.output<S>> = []
  const fields: FieldError[] = []
  let failed = 0
  for (const row of rows) {
    const result = schema.safeParse(row.value)
    if (result.success) {
      valid.push(result.data)
      continue
    }
    failed++
    for (const f of issuesToFields(result.error, '')) fields.push({ path: f.path === '' ? row.at : `${row.at}.${f.path}`, message: f.message })
  }
  if (failed === 0) return valid
  const listed = fields.slice(0, MAX_REPORTED)
  if (fields.length > MAX_REPORTED) listed.push({ path: 'body', message: `${fields.length - MAX_REPORTED} more problems not listed` })
  throw new EgError('VALIDATION_FAILED', `${failed} of ${rows.length} rows are invalid: nothing was imported`, { fields: listed })
}
