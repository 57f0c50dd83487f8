import type { FastifyPluginAsync } from 'fastify'
import { z } from 'zod'
import { STAFF, userOf } from '../http/auth'
import { bearerErrors } from '../http/schemas/responses'
import type { ZodTypeProvider } from '../http/zod-provider'
import type { Db } from '../storage/db'
import { alertReport, type AlertReport } from './alert-report'
import { toCsv } from './csv'
import { isCalendarDate, reportPeriods, resolveRange } from './report-period'

/**
 * /api/v1/reports (issue 6): the county's alert report as JSON for the board, or as CSV for
 * spreadsheets (`?format=csv` or `Accept: text/csv`). Staff only: it spans every elder of the
 * tenant, which police must not see.
 */
export interface ReportRouteDeps {
  db: Db
  /** EG_TZ: local days and weeks of the report. */
  timeZone: string
  /** EG_ESCALATE_AFTER_MS: the acknowledgement target of the SLA figures. */
  slaTargetMs: number
  /** Wall clock for the default range (tests). */
  now?: () => number
}

// One check for shape and calendar, so a bad date is reported once.
const localDate = z.string().refine(isCalendarDate, 'a calendar date as YYYY-MM-DD')

const reportQuery = z.object({
  period: z.enum(reportPeriods).default('day'),
  from: localDate.optional(),
  to: localDate.optional(),
  format: z.enum(['json', 'csv']).optional(),
})

export const CSV_HEADER = ['bucket', 'rule', 'level', 'area', 'disposition', 'count'] as const

const counts = z.record(z.string(), z.number())

/** The report as JSON (alert-report.ts AlertReport): the board's Reports page reads exactly this. */
const alertReportView = z.object({
  period: z.enum(reportPeriods),
  from: z.string().describe('first local date, YYYY-MM-DD'),
  to: z.string().describe('last local date, YYYY-MM-DD'),
  timeZone: z.string(),
  rows: z.array(
    z.object({
      bucket: z.string().describe('the local day, or the Monday of the ISO week'),
      rule: z.string(),
      level: z.string(),
      area: z.string().nullable().describe('null for elders without an area ("—" in the totals)'),
      disposition: z.string().nullable().describe('null while unresolved ("unresolved" in the totals)'),
      count: z.number().int(),
    }),
  ),
  totals: z.object({ total: z.number().int(), byRule: counts, byLevel: counts, byArea: counts, byDisposition: counts }),
  sla: z.object({
    targetMinutes: z.number(),
    acknowledged: z.number().int(),
    withinTarget: z.number().int(),
    breached: z.number().int(),
    unacknowledged: z.number().int(),
    medianAckMinutes: z.number().nullable(),
    p90AckMinutes: z.number().nullable(),
  }),
})

const reportSchema = {
  operationId: 'getAlertReport',
  summary: 'The alert report per day or week: JSON, or CSV with `format=csv` or `Accept: text/csv`',
  tags: ['reports'],
  querystring: reportQuery,
  response: {
    200: {
      description: 'the report',
      content: {
        'application/json': { schema: alertReportView },
        'text/csv': { schema: z.string().describe(`UTF-8 with a BOM; columns ${CSV_HEADER.join(',')}; sent as an attachment`) },
      },
    },
    ...bearerErrors(),
  },
}

function reportCsv(report: AlertReport): string {
  return toCsv(
    CSV_HEADER,
    report.rows.map((r) => [r.bucket, r.rule, r.level, r.area, r.disposition, r.count]),
  )
}

export function reportRoutes(deps: ReportRouteDeps): FastifyPluginAsync {
  const now = deps.now ?? (() => Date.now())
  return async (plain) => {
    const app = plain.withTypeProvider<ZodTypeProvider>()

    app.get('/reports/alerts', { config: { roles: STAFF }, schema: reportSchema }, async (request, reply) => {
      const q = request.query
      const range = resolveRange(q, deps.timeZone, now())
      const report = await alertReport(deps.db, userOf(request).tenantId, range, deps.slaTargetMs)
      const wantsCsv = q.format === undefined ? (request.headers.accept ?? '').includes('text/csv') : q.format === 'csv'
      if (!wantsCsv) return report
      // The dates are validated YYYY-MM-DD, so the file name needs no escaping.
      return reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="eldergate-alerts-${range.period}-${range.from}-${range.to}.csv"`)
        .send(reportCsv(report))
    })
  }
}
