import type { Finding } from '../../../rules/src/index'
import type { Logger } from '../logger'
import type { Metrics } from '../metrics'
import { retryDelayMs, type BackoffPolicy } from '../retry/backoff'
import type { Db } from '../storage/db'
import {
  classifyFindingFailure,
  failureCode,
  failureMessage,
  findingColumns,
  findingDescription,
  findingDocument,
  type FindingFailureKind,
} from './finding-failure'
import { createParkedFindingActions, type ParkedFindingActions } from './parked-actions'
import { countOpenParked, parkFinding } from './parked-findings-store'
import { createRetryQueue } from './retry-queue'

/**
 * Findings to alerts, without letting one finding or one outage wedge the alert path.
 *
 * The rule engine runs every tenant through one serial chain, so whatever deliver() waits for,
 * every elder of every tenant waits for. It used to retry a failing batch for ever; now:
 *
 * 1. the batch is tried in one transaction, and again a couple of times with a short backoff
 *    (a serialization failure or a unique-index race between two writers clears at once, and
 *    one transaction per batch is the cheap common case);
 * 2. still failing, it is split: each finding alone, so the good ones go through;
 * 3. a finding that fails alone for a *data* reason (storage/db-errors.ts: the same statement
 *    fails the same way for ever) is tried `aloneAttempts` times and then **parked** — written
 *    to parked_findings for an admin (parked-routes.ts);
 * 4. a *transient* failure (the database, not the finding) **defers** the finding, and the rest
 *    of its batch: they wait in memory on a capped exponential backoff (retry-queue.ts) while
 *    the engine goes on with other inputs; a deferred finding still failing after
 *    `maxDeferredAttempts` attempts or `maxDeferredMs` is parked too — and stays deferred if
 *    even the parking cannot be written.
 *
 * deliver() never throws. A deferred finding exists only in memory: runtime.ts does not write a
 * tenant's checkpoint while it has one (see checkpoint() there), which is what makes this safe.
 */
export interface FindingRetryPolicy {
  /** Attempts of the whole batch in one transaction before it is split. */
  batchAttempts: number
  /** Attempts of one finding alone failing for a data reason before it is parked. */
  aloneAttempts: number
  /** Spacing of the attempts made inline, while the engine waits (keep it short). */
  inlineBackoff: BackoffPolicy
  /** Spacing of the background retries of deferred findings. */
  deferredBackoff: BackoffPolicy
  /** A deferred finding is parked once this many attempts (inline ones included) failed… */
  maxDeferredAttempts: number
  /** …or once it has been deferred this long. */
  maxDeferredMs: number
}

/**
 * Inline: at most ~75 ms of jittered waiting per failing batch. Deferred: 1 s doubling to a
 * 1 min cap; 12 attempts span about 6 min, 15 min is the outer bound — a database away longer
 * than that has the operators' attention anyway, and parking keeps what it could not store.
 */
export const DEFAULT_FINDING_RETRY: FindingRetryPolicy = {
  batchAttempts: 3,
  aloneAttempts: 2,
  inlineBackoff: { baseMs: 25, factor: 2, capMs: 200 },
  deferredBackoff: { baseMs: 1_000, factor: 2, capMs: 60_000 },
  maxDeferredAttempts: 12,
  maxDeferredMs: 15 * 60_000,
}

/** The stage findings go to (the alerts): stores them all in one transaction, or throws. */
export type FindingSink = (findings: readonly Finding[]) => Promise<unknown>

export interface FindingDeliveryOptions {
  db: Db
  logger: Logger
  sink: FindingSink
  metrics?: Metrics | undefined
  policy?: Partial<FindingRetryPolicy> | undefined
  now?: () => number
}

export interface FindingsHealth {
  /** Findings kept in memory until the database takes them. */
  deferred: number
  /** How long the oldest of them has waited. */
  oldestDeferredMs: number | undefined
  /** Open parked findings (all tenants). */
  parked: number
}

export interface FindingDelivery {
  /** Stores the findings as alerts, or defers or parks those it cannot; never throws. */
  deliver(findings: readonly Finding[]): Promise<void>
  hasDeferred(tenantId: string): boolean
  health(): FindingsHealth
  parked: ParkedFindingActions
  /** Reads the open parked count once (afterwards it is kept in memory). */
  start(): Promise<void>
  /** One last attempt for every deferred finding; then the background retries stop. */
  close(): Promise<void>
}

interface DeferredFinding {
  finding: Finding
  /** Attempts so far, inline ones included. */
  attempts: number
  dataFailures: number
  firstFailedAt: number
  deferredAt: number
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

export function createFindingDelivery(opts: FindingDeliveryOptions): FindingDelivery {
  const { db, logger, metrics } = opts
  const now = opts.now ?? (() => Date.now())
  const policy: FindingRetryPolicy = { ...DEFAULT_FINDING_RETRY, ...opts.policy }
  const apply = opts.sink
  const deferredByTenant = new Map<string, number>()
  let openParked = 0

  function failure(err: unknown): FindingFailureKind {
    const kind = classifyFindingFailure(err)
    metrics?.findingFailures.inc({ kind })
    return kind
  }

  function parkedChanged(by: number): void {
    openParked = Math.max(0, openParked + by)
    metrics?.findingsParked.set(openParked)
  }

  const about = (f: Finding, err: unknown) => ({ tenantId: f.tenantId, elderId: f.elderId, rule: f.rule, dedupKey: f.dedupKey, code: failureCode(err), err: failureMessage(err) })

  /**
   * Writes the finding to parked_findings: whole if it serialises into something jsonb takes,
   * else (or if the database refuses the whole one) as a bounded description. False when the
   * database is not answering: the caller keeps the finding deferred.
   */
  async function park(f: Finding, err: unknown, attempts: number, firstFailedAt: number): Promise<boolean> {
    const whole = findingDocument(f)
    const documents = whole === null ? [safeDescription(f, 'not serialisable as JSON')] : [whole, safeDescription(f, 'refused by the database as JSON')]
    for (const document of documents) {
      try {
        const parked = await parkFinding(db, { ...findingColumns(f), document, errorCode: failureCode(err), errorMessage: failureMessage(err), attempts, firstFailedAt })
        if (parked.created) {
          parkedChanged(1)
          metrics?.findingsParkedTotal.inc()
        }
        logger.error({ ...about(f, err), attempts, parkedId: parked.id }, 'finding parked: it cannot be stored as an alert (GET /api/v1/parked-findings)')
        return true
      } catch (parkErr) {
        logger.error({ ...about(f, parkErr) }, 'parking a finding failed')
        if (classifyFindingFailure(parkErr) === 'transient') return false
      }
    }
    return false
  }

  const queue = createRetryQueue<DeferredFinding>({
    policy: policy.deferredBackoff,
    now,
    async attempt(d) {
      try {
        await apply([d.finding])
        logger.info({ tenantId: d.finding.tenantId, dedupKey: d.finding.dedupKey, attempts: d.attempts + 1 }, 'deferred finding stored')
        return 'done'
      } catch (err) {
        d.attempts++
        if (failure(err) === 'data') d.dataFailures++
        const exhausted = d.dataFailures >= policy.aloneAttempts || d.attempts >= policy.maxDeferredAttempts || now() - d.deferredAt >= policy.maxDeferredMs
        if (exhausted && (await park(d.finding, err, d.attempts, d.firstFailedAt))) return 'done'
        return 'retry'
      }
    },
    onDone(d) {
      const left = (deferredByTenant.get(d.finding.tenantId) ?? 1) - 1
      if (left > 0) deferredByTenant.set(d.finding.tenantId, left)
      else deferredByTenant.delete(d.finding.tenantId)
      metrics?.findingsDeferred.set(queue.size())
    },
    onError: (err, d) => logger.error({ ...about(d.finding, err) }, 'retrying a deferred finding failed'),
  })

  function defer(f: Finding, attempts: number, dataFailures: number, err: unknown, firstFailedAt: number): void {
    queue.add({ finding: f, attempts, dataFailures, firstFailedAt, deferredAt: now() }, attempts)
    deferredByTenant.set(f.tenantId, (deferredByTenant.get(f.tenantId) ?? 0) + 1)
    metrics?.findingsDeferred.set(queue.size())
    logger.warn({ ...about(f, err), attempts }, 'finding deferred: the database did not take it; retried in the background')
  }

  /** One finding in its own transaction, tried again only while the failure is a data one. */
  async function applyAlone(f: Finding): Promise<{ error: unknown; attempts: number; dataFailures: number } | null> {
    let dataFailures = 0
    for (let attempt = 1; ; attempt++) {
      try {
        await apply([f])
        return null
      } catch (err) {
        if (failure(err) === 'transient') return { error: err, attempts: attempt, dataFailures }
        dataFailures++
        if (attempt >= policy.aloneAttempts) return { error: err, attempts: attempt, dataFailures }
      }
      await sleep(retryDelayMs(attempt, policy.inlineBackoff))
    }
  }

  async function split(findings: readonly Finding[], firstFailedAt: number): Promise<void> {
    for (let i = 0; i < findings.length; i++) {
      const f = findings[i] as Finding
      const failed = await applyAlone(f)
      if (failed === null) continue
      const attempts = policy.batchAttempts + failed.attempts
      if (classifyFindingFailure(failed.error) === 'transient') {
        // The database stopped answering, not this finding: it and the rest wait together.
        for (const rest of findings.slice(i)) defer(rest, attempts, 0, failed.error, firstFailedAt)
        return
      }
      if (!(await park(f, failed.error, attempts, firstFailedAt))) defer(f, attempts, failed.dataFailures, failed.error, firstFailedAt)
    }
  }

  return {
    async deliver(findings) {
      if (findings.length === 0) return
      let lastError: unknown
      for (let attempt = 1; attempt <= policy.batchAttempts; attempt++) {
        try {
          await apply(findings)
          // The database answers: what waits for it need not sit out its backoff.
          queue.wake()
          return
        } catch (err) {
          lastError = err
          const kind = failure(err)
          logger.warn({ err: failureMessage(err), code: failureCode(err), kind, attempt, findings: findings.length }, 'storing findings failed')
        }
        if (attempt < policy.batchAttempts) await sleep(retryDelayMs(attempt, policy.inlineBackoff))
      }
      const firstFailedAt = now()
      if (classifyFindingFailure(lastError) === 'transient') {
        for (const f of findings) defer(f, policy.batchAttempts, 0, lastError, firstFailedAt)
        return
      }
      await split(findings, firstFailedAt)
    },
    hasDeferred: (tenantId) => (deferredByTenant.get(tenantId) ?? 0) > 0,
    health() {
      const oldest = queue.oldestAddedAt()
      return { deferred: queue.size(), oldestDeferredMs: oldest === undefined ? undefined : now() - oldest, parked: openParked }
    },
    parked: createParkedFindingActions({ db, apply, parkedChanged }),
    async start() {
      try {
        parkedChanged(await countOpenParked(db))
      } catch (err) {
        logger.warn({ err: failureMessage(err) }, 'could not count parked findings; the health figure counts from zero')
      }
    },
    async close() {
      await queue.flush()
      queue.stop()
      if (queue.size() > 0) {
        logger.warn({ deferred: queue.size() }, 'stopping with deferred findings: their tenants were not checkpointed, so the next start replays and stores them')
      }
    },
  }
}

/** findingDescription cannot fail on cycles or BigInts; this guards against stranger objects still. */
function safeDescription(f: Finding, reason: string): string {
  try {
    return findingDescription(f, reason)
  } catch {
    return JSON.stringify({ unserialisable: true, reason, description: 'the finding could not be described' })
  }
}
