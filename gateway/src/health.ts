/**
 * What /healthz reports as wrong (DESIGN §3 and §5: an alarm gateway must say when it is not
 * doing its job, not only when its process is gone). Each problem turns the answer into 503
 * with a stable code and a sentence an on-call engineer can act on:
 *
 * - `storage_behind`: accepted device data has waited longer than the stall bound to be stored
 *   — its devices are waiting for PUBACKs (the database is slow, away, or refusing the writer);
 * - `findings_stuck`: alerts the rule engine found have waited that long for the database;
 * - `findings_parked`: findings that could not be stored at all wait for an admin (they are
 *   listed at GET /api/v1/parked-findings; retry or dismiss clears this);
 * - `tenant_failing`: a tenant's rule evaluation keeps throwing (its alerts are not raised live).
 * The database not answering `SELECT 1` is checked by the route itself (ops-routes.ts).
 */
export type HealthProblemCode = 'storage_behind' | 'findings_stuck' | 'findings_parked' | 'tenant_failing'

export interface HealthProblem {
  code: HealthProblemCode
  message: string
}

export interface HealthInputs {
  now: number
  /** How long accepted data or findings may wait before the gateway calls itself unhealthy. */
  stallMs: number
  writer: { oldestPendingAt(): number | undefined; failing(): { since: number; error: string } | undefined }
  findings?: { deferred: number; oldestDeferredMs: number | undefined; parked: number; failingTenants: readonly string[] } | undefined
}

const seconds = (ms: number) => `${Math.round(ms / 1000)} s`

export function healthProblems(h: HealthInputs): HealthProblem[] {
  const problems: HealthProblem[] = []
  const oldest = h.writer.oldestPendingAt()
  if (oldest !== undefined && h.now - oldest >= h.stallMs) {
    const failing = h.writer.failing()
    problems.push({
      code: 'storage_behind',
      message:
        `accepted device data unstored for ${seconds(h.now - oldest)} (devices wait for their PUBACKs)` +
        (failing ? `; writes failing since ${new Date(failing.since).toISOString()}: ${failing.error}` : '; the database is slow'),
    })
  }
  const f = h.findings
  if (f === undefined) return problems
  if (f.deferred > 0 && f.oldestDeferredMs !== undefined && f.oldestDeferredMs >= h.stallMs) {
    problems.push({ code: 'findings_stuck', message: `${f.deferred} finding(s) not stored as alerts for ${seconds(f.oldestDeferredMs)}; the database does not take them` })
  }
  if (f.parked > 0) {
    problems.push({ code: 'findings_parked', message: `${f.parked} finding(s) could not be stored and are parked; see GET /api/v1/parked-findings` })
  }
  if (f.failingTenants.length > 0) {
    problems.push({ code: 'tenant_failing', message: `rule evaluation failing for ${f.failingTenants.length} tenant(s): ${f.failingTenants.slice(0, 5).join(', ')}` })
  }
  return problems
}
