import { appendChange, type Change } from '../stream/change-log-store'
import type { Logger } from '../logger'
import type { Metrics } from '../metrics'
import type { Db } from '../storage/db'
import { DEFAULT_BACKOFF, retryDelayMs, type BackoffPolicy } from '../retry/backoff'
import { DEADLINE_ERROR, claimDueNotices, expireOverdueNotices, findSigningTarget, nextDueAt, recordAttempt, releaseClaim, type AttemptOutcome, type ClaimedNotice } from './delivery-store'
import type { Notice } from './notice-store'
import { DEFAULT_NOTICE_MAX_AGE_MS } from './planner'
import { postNotice } from './post-notice'
import { createWebhookDispatcher, type ResolveHost } from './webhook-dispatcher'
import { createWebhookPolicy } from './webhook-policy'

/**
 * Delivers the notice outbox (DESIGN §4 "Police notice"): due pending rows are claimed,
 * POSTed with the stored body and a fresh signature, and their outcome recorded — any 2xx is
 * delivered; anything else is retried with exponential backoff and full jitter until the
 * deadline (created + 24 h), then failed and logged at error level. Every change of a notice
 * is a change-log entry, offered to onChanges listeners (the live stream) after its commit.
 * start() drains whatever is pending, which is what makes a crash between an alert and its
 * notice safe: the row was committed with the alert.
 */
export interface NoticeDelivererOptions {
  db: Db
  logger: Logger
  metrics?: Metrics
  clock?: () => number
  /** One POST, body included; a station slower than this is a failed attempt. */
  fetchTimeoutMs?: number
  /** Added to fetchTimeoutMs for the claim lease. */
  leaseMarginMs?: number
  maxAgeMs?: number
  backoff?: BackoffPolicy
  random?: () => number
  /** POSTs in flight at once. */
  concurrency?: number
  /** Longest sleep between looks at the table (rows planned by other workers, expired leases). */
  pollMs?: number
  /**
   * EG_WEBHOOK_ALLOW: hosts and CIDRs a webhook may reach besides public addresses
   * (webhook-policy.ts). Unset: public addresses only.
   */
  webhookAllow?: string
  /** Host name → addresses; the system resolver unless a test supplies one. */
  resolveHost?: ResolveHost
}

export interface NoticeDeliverer {
  start(): void
  stop(): Promise<void>
  /** Something may be due (a commit planned notices): drain soon. */
  wake(): void
  onChanges(listener: (changes: readonly Change[]) => void): () => void
  /** Resolves when no drain is running (tests; shutdown). */
  idle(): Promise<void>
}

const SHUTDOWN = 'gateway shutting down'

export function createNoticeDeliverer(opts: NoticeDelivererOptions): NoticeDeliverer {
  const { db } = opts
  const logger = opts.logger.child({ component: 'notices' })
  const clock = opts.clock ?? Date.now
  const fetchTimeoutMs = opts.fetchTimeoutMs ?? 10_000
  const maxAgeMs = opts.maxAgeMs ?? DEFAULT_NOTICE_MAX_AGE_MS
  const backoff = opts.backoff ?? DEFAULT_BACKOFF
  const random = opts.random ?? Math.random
  const concurrency = opts.concurrency ?? 8
  const pollMs = opts.pollMs ?? 30_000
  // A claim outlives the POST it covers, so a live worker's row is never taken by another.
  // Long enough that a live worker's POST (bounded by its timeout) ends first; short enough that
  // a notice claimed by a worker that died is picked up again soon.
  const leaseMs = fetchTimeoutMs + (opts.leaseMarginMs ?? 20_000)
  const metrics = opts.metrics?.notices
  const policy = createWebhookPolicy(opts.webhookAllow)
  // One guarded pool per run (start → stop): stop() closes its sockets.
  let dispatcher = createWebhookDispatcher(policy, opts.resolveHost)
  const listeners = new Set<(changes: readonly Change[]) => void>()
  const inFlight = new Set<Promise<void>>()
  const aborts = new Set<AbortController>()
  let stopped = true
  let wakeRequested = false
  let running: Promise<void> | null = null
  let timer: NodeJS.Timeout | undefined

  const emit = (changes: readonly Change[]) => {
    if (changes.length === 0) return
    for (const listener of listeners) {
      try {
        listener(changes)
      } catch (err) {
        logger.error({ err }, 'notice change listener failed')
      }
    }
  }

  const deadlineOf = (n: Notice) => Math.min(Date.parse(n.deadlineAt), Date.parse(n.createdAt) + maxAgeMs)

  const logFailed = (notice: Notice) => {
    metrics?.failed.inc({ audience: notice.audience })
    logger.error(
      { noticeId: notice.id, alertId: notice.alertId, audience: notice.audience, attempts: notice.attempts, lastError: notice.lastError, targetUrl: notice.targetUrl },
      'notice failed',
    )
  }

  async function record(claimed: ClaimedNotice, outcome: AttemptOutcome): Promise<void> {
    metrics?.attempts.inc({ audience: claimed.audience, outcome: outcome.kind })
    const result = await db.transaction(async (tx) => {
      const notice = await recordAttempt(tx, claimed.id, claimed.attempts, outcome)
      if (notice === null) return null
      const change = await appendChange(tx, notice.tenantId, 'notice', notice.id, { change: outcome.kind, notice })
      return { notice, change }
    })
    if (result === null) return
    if (outcome.kind === 'failed') logFailed(result.notice)
    else if (outcome.kind === 'retry') logger.warn({ noticeId: claimed.id, attempts: result.notice.attempts, error: outcome.error }, 'notice attempt failed; will retry')
    emit([result.change])
  }

  async function deliverOne(claimed: ClaimedNotice): Promise<void> {
    try {
      const target = await findSigningTarget(db, claimed)
      if (target === null) {
        await record(claimed, { kind: 'failed', error: 'no signing secret: the station or contact is gone', httpStatus: null })
        return
      }
      const controller = new AbortController()
      aborts.add(controller)
      let result: Awaited<ReturnType<typeof postNotice>>
      try {
        result = await postNotice(claimed, target, { timestampS: Math.floor(clock() / 1000), timeoutMs: fetchTimeoutMs, signal: controller.signal, policy, dispatcher })
      } finally {
        aborts.delete(controller)
      }
      if (controller.signal.aborted && stopped) {
        // Not the station's fault: give the row back for the next start, attempts unchanged.
        await releaseClaim(db, claimed.id, claimed.attempts, new Date(clock()))
        return
      }
      if (result.ok) {
        await record(claimed, { kind: 'delivered', at: new Date(clock()), httpStatus: result.status })
        return
      }
      const now = clock()
      const next = now + retryDelayMs(claimed.attempts + 1, backoff, random)
      const outcome: AttemptOutcome =
        next >= deadlineOf(claimed)
          ? { kind: 'failed', error: `${DEADLINE_ERROR}; last error: ${result.error}`, httpStatus: result.status }
          : { kind: 'retry', error: result.error, httpStatus: result.status, nextAttemptAt: new Date(next) }
      await record(claimed, outcome)
    } catch (err) {
      // The outcome could not be written (storage down): the lease expires and it is sent again.
      logger.error({ err, noticeId: claimed.id }, 'notice attempt could not be recorded')
    }
  }

  async function expire(): Promise<void> {
    const expired = await db.transaction(async (tx) => {
      const notices = await expireOverdueNotices(tx, new Date(clock()), maxAgeMs)
      const changes: Change[] = []
      for (const notice of notices) changes.push(await appendChange(tx, notice.tenantId, 'notice', notice.id, { change: 'failed', notice }))
      return { notices, changes }
    })
    for (const notice of expired.notices) logFailed(notice)
    emit(expired.changes)
  }

  async function drain(): Promise<void> {
    await expire()
    while (!stopped) {
      const room = concurrency - inFlight.size
      const claimed = room > 0 ? await claimDueNotices(db, new Date(clock()), new Date(clock() + leaseMs), room) : []
      for (const notice of claimed) {
        const delivery: Promise<void> = deliverOne(notice).finally(() => inFlight.delete(delivery))
        inFlight.add(delivery)
      }
      if (inFlight.size === 0) return
      // Claim again as soon as one finishes: a slow station must not hold up the others.
      if (claimed.length === 0 || inFlight.size >= concurrency) await Promise.race(inFlight)
    }
    await Promise.all(inFlight)
  }

  async function scheduleNext(afterError: boolean): Promise<void> {
    let delay = afterError ? Math.min(pollMs, 5_000) : pollMs
    if (!afterError) {
      const due = await nextDueAt(db).catch(() => null)
      if (due !== null) delay = Math.max(0, Math.min(pollMs, due.getTime() - clock()))
    }
    if (stopped) return
    clearTimeout(timer)
    timer = setTimeout(wake, delay)
    timer.unref()
  }

  async function run(): Promise<void> {
    let failed = false
    while (wakeRequested && !stopped) {
      wakeRequested = false
      try {
        await drain()
        failed = false
      } catch (err) {
        failed = true
        logger.error({ err }, 'notice delivery pass failed; retrying')
      }
    }
    if (!stopped) await scheduleNext(failed)
  }

  function wake(): void {
    if (stopped) return
    wakeRequested = true
    if (running === null) {
      running = run().finally(() => {
        running = null
        // A wake that landed after the loop's last check must not be lost.
        if (wakeRequested && !stopped) wake()
      })
    }
  }

  return {
    start() {
      if (!stopped) return
      stopped = false
      if (dispatcher.destroyed || dispatcher.closed) dispatcher = createWebhookDispatcher(policy, opts.resolveHost)
      wake()
    },
    async stop() {
      stopped = true
      clearTimeout(timer)
      for (const controller of aborts) controller.abort(new Error(SHUTDOWN))
      await running
      await Promise.all(inFlight)
      // stop() may be called again (or before start): close the pool once.
      if (!dispatcher.closed && !dispatcher.destroyed) await dispatcher.close()
    },
    wake,
    onChanges(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    async idle() {
      while (running !== null) await running
    },
  }
}
