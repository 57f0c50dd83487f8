import { randomUUID } from 'node:crypto'
import type { Disposition } from '../../src/alerts/alert-model'
import type { RiskLevel } from '../../../contract/levels'
import { candidateRoutes } from '../../src/candidates/candidate-routes'
import { reportRoutes } from '../../src/reports/report-routes'
import type { Db } from '../../src/storage/db'
import type { OpenedBackend } from '../../../test/support/databases'
import { ADMIN_PASSWORD, login, startApi, userToken, type Api } from '../http/harness'

/**
 * The reports and candidate routes in-process over a real database, with alerts written
 * straight into the table at chosen times: the report only reads alerts, so going through
 * the rule engine would only blur which instant each alert was raised at.
 */
export const MIN = 60_000
/** The report's wall clock: 2026-11-05 01:00 in Asia/Shanghai (UTC+8). */
export const NOW = Date.parse('2026-11-04T17:00:00Z')

export interface ReportApi extends Api {
  admin: string
  operator: string
  police: string
  /** Every tenantChanged call the candidate routes made. */
  engineCalls: Array<[string, string]>
}

export async function startReportApi(backend: { open(): Promise<OpenedBackend> }): Promise<ReportApi> {
  const opened = await backend.open()
  const engineCalls: Array<[string, string]> = []
  const detection = {
    async tenantChanged(tenantId: string, what: string) {
      engineCalls.push([tenantId, what])
    },
  }
  const api = await startApi(
    { open: async () => opened },
    {
      plugins: [
        reportRoutes({ db: opened.db, timeZone: 'Asia/Shanghai', slaTargetMs: 15 * MIN, now: () => NOW }),
        candidateRoutes({ db: opened.db, detection }),
      ],
    },
  )
  const admin = await login(api.app, 'admin', ADMIN_PASSWORD)
  const operator = await userToken(api.app, admin, { username: 'operator1', role: 'operator' })
  const station = await api.app.inject({
    method: 'POST',
    url: '/api/v1/police-stations',
    headers: { authorization: `Bearer ${admin}` },
    payload: { name: 'Huangpu station', webhookUrl: 'http://127.0.0.1:9/notice', secret: 'a-very-secret-key-0123', format: 'json' },
  })
  const police = await userToken(api.app, admin, { username: 'police1', role: 'police', policeStationId: (station.json() as { id: string }).id })
  return { ...api, admin, operator, police, engineCalls }
}

export async function seedElder(db: Db, tenantId: string, area: string | null): Promise<string> {
  const id = randomUUID()
  await db.query("INSERT INTO elders (id, tenant_id, name, home_lat, home_lon, area) VALUES ($1, $2, '王阿姨', 31.23, 121.47, $3)", [id, tenantId, area])
  return id
}

export interface SeedAlert {
  elderId: string
  rule: string
  level: RiskLevel
  /** ISO instant the alert was raised (first_at); it reached the board a minute later. */
  firstAt: string
  /** Minutes from reaching the board to the acknowledgement; absent = never acknowledged. */
  ackAfterMin?: number
  /** Set = resolved with this disposition. */
  disposition?: Disposition
}

export async function seedAlert(db: Db, tenantId: string, a: SeedAlert): Promise<string> {
  const id = randomUUID()
  const first = Date.parse(a.firstAt)
  const created = new Date(first + MIN)
  const acked = a.ackAfterMin === undefined ? null : new Date(created.getTime() + a.ackAfterMin * MIN)
  const status = a.disposition !== undefined ? 'resolved' : acked !== null ? 'acknowledged' : 'open'
  await db.query(
    `INSERT INTO alerts (id, tenant_id, elder_id, rule, level, status, first_at, last_at, summary, evidence, created_at, acknowledged_at, disposition, resolved_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $7, 'seeded', '{}'::jsonb, $8, $9, $10, CASE WHEN $10::text IS NULL THEN NULL ELSE $8::timestamptz END)`,
    [id, tenantId, a.elderId, a.rule, a.level, status, new Date(first), created, acked, a.disposition ?? null],
  )
  return id
}
