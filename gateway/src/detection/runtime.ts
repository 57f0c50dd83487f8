import { advance, advanceElders, ingest, type Finding, type RuleInput } from '../../../rules/src/index'
import { streamTenantInputs } from '../storage/telemetry-queries'
import { checkpointDocument, saveCheckpointDocument } from './engine-store'
import { createFindingDelivery } from './finding-delivery'
import { createRuleClock } from '../rule-clock'
import { stampArrivals } from './arrivals'
import type { DetectionHealth, DetectionOptions, DetectionRuntime, DetectionStats } from './runtime-types'
import { createTenantFence } from './tenant-failures'
import { checkpointScopes, loadTenantEngine, refreshConfig, refreshElder, refreshElders, refreshVenues, type TenantEngine } from './tenant-engine'

/**
 * Drives the pure rule engine from the gateway (issue 3, item 6): readings reach the engine
 * per elder, in order, off the network hot path (submit() only queues); time-based rules
 * advance on the rule clock; findings become alerts; state is checkpointed so a restart
 * neither forgets visits nor re-fires old findings.
 *
 * Everything that touches engine state runs through one serial chain, so a drain, a clock
 * tick, a checkpoint and a venue reload never interleave. Because every tenant shares that
 * chain, nothing in it may wait on one finding or one tenant for long: findings the database
 * will not take are deferred or parked (finding-delivery.ts), and a tenant whose evaluation
 * throws is set aside and reloaded later (tenant-failures.ts).
 */
export type { DetectionHealth, DetectionOptions, DetectionRuntime, DetectionStats } from './runtime-types'

/** More unknown elders than this in one batch reload the tenant's whole elder list instead of one by one. */
const MISSING_ELDERS_FULL_RELOAD = 20
/** Every 20th checkpoint writes every elder (10 min at the default 30 s interval). */
const FULL_CHECKPOINT_EVERY = 20
/** Inputs stored up to this long before the checkpoint are replayed too (queued, not evaluated). */
const REPLAY_MARGIN_MS = 60_000
/** Event times this old matter to no rule window (the longest is the 28-day absence baseline). */
const REPLAY_HORIZON_MS = 30 * 86_400_000

export function createDetectionRuntime(opts: DetectionOptions): DetectionRuntime {
  const { db, logger } = opts
  const now = opts.now ?? (() => Date.now())
  const eventStepMs = opts.eventStepMs ?? 60_000
  const { metrics } = opts
  const ruleClock = opts.ruleClock ?? createRuleClock(opts.clock, now)
  const delivery = createFindingDelivery({ db, logger, sink: opts.findingSink, metrics, now, policy: opts.findingRetry })
  const engines = new Map<string, TenantEngine>()
  /** tenantChanged refreshes queued and not started yet, by tenant and kind (coalesced). */
  const queuedRefreshes = new Map<string, Promise<void>>()
  const stats: DetectionStats = { processed: 0, tooLate: 0, unknownElder: 0, findings: 0, queued: 0, tenantFailures: 0, skippedInputs: 0 }
  let queue: RuleInput[] = []
  let scheduled = false
  let closed = false
  let chain: Promise<unknown> = Promise.resolve()
  let checkpoints = 0

  function serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = chain.then(fn, fn)
    chain = run.catch((err: unknown) => logger.error({ err }, 'detection step failed'))
    return run
  }

  async function engineFor(tenantId: string): Promise<TenantEngine> {
    let engine = engines.get(tenantId)
    if (!engine) {
      engine = await loadTenantEngine(db, tenantId, opts.timeZone, logger)
      engines.set(tenantId, engine)
      await replaySinceCheckpoint(engine)
    }
    return engine
  }

  /**
   * A gateway killed between checkpoints lost the engine state of the inputs it took since the
   * last one; those inputs are in storage, so they are replayed (the margin covers inputs that
   * were queued, not yet evaluated, when the checkpoint was taken). Replaying an input twice is
   * harmless: the engine treats it as late data, and applied_findings keeps each finding once.
   */
  async function replaySinceCheckpoint(engine: TenantEngine): Promise<void> {
    // Never checkpointed: the engine has seen nothing yet, so everything stored is new to it.
    const receivedAfter = engine.checkpointAt ? engine.checkpointAt.getTime() - REPLAY_MARGIN_MS : undefined
    let replayed = 0
    for await (const page of streamTenantInputs(db, {
      tenantId: engine.tenantId,
      from: (receivedAfter ?? now()) - REPLAY_HORIZON_MS,
      to: now() + 86_400_000,
      pageSize: 5_000,
      receivedAfter,
      arrivals: opts.clock === 'wall',
    })) {
      replayed += page.length
      await evaluate(engine.tenantId, page)
    }
    if (replayed > 0) logger.info({ tenantId: engine.tenantId, replayed }, 'replayed inputs received after the last rule checkpoint')
  }

  /**
   * Findings must never be lost, and must never hold up the chain for long: stored, or parked
   * (refused for a data reason), or deferred (the database did not answer) — finding-delivery.ts.
   */
  async function deliver(findings: Finding[]): Promise<void> {
    if (findings.length === 0) return
    for (const f of findings) if (f.refresh !== true) stats.findings++
    await delivery.deliver(findings)
  }

  async function advanceEngine(engine: TenantEngine, at: number): Promise<void> {
    const step = advance(engine.state, at, engine.ctx)
    engine.state = step.state
    engine.lastAdvance = at
    for (const f of step.findings) if (f.elderId) engine.dirty.add(f.elderId)
    await deliver(step.findings)
    // The rule clock moved: what runs on it downstream (alert escalation, DESIGN §5) runs now.
    if (opts.onAdvanced) {
      try {
        await opts.onAdvanced(engine.tenantId, at)
      } catch (err) {
        logger.error({ err: (err as Error).message, tenantId: engine.tenantId }, 'rule-clock job failed; retried on the next tick')
      }
    }
  }

  async function evaluate(tenantId: string, inputs: RuleInput[]): Promise<void> {
    const engine = await engineFor(tenantId)
    let known = inputs.filter((i) => engine.elders.has(i.elderId))
    if (known.length < inputs.length) {
      // Elders registered after this tenant's profiles were loaded: enrich from storage — those
      // elders only, unless many arrive at once (a fleet's first readings after a bulk import).
      const missing = [...new Set(inputs.filter((i) => !engine.elders.has(i.elderId)).map((i) => i.elderId))]
      if (missing.length > MISSING_ELDERS_FULL_RELOAD) await refreshElders(db, engine)
      else for (const elderId of missing) await refreshElder(db, engine, elderId)
      known = inputs.filter((i) => engine.elders.has(i.elderId))
      stats.unknownElder += inputs.length - known.length
    }
    stampArrivals(opts.clock, opts.clock === 'wall' ? now() : engine.eventNow, known)
    const step = ingest(engine.state, known, engine.ctx)
    engine.state = step.state
    stats.processed += known.length
    stats.tooLate += step.tooLate
    const touched = new Set<string>()
    for (const input of known) {
      touched.add(input.elderId)
      if (input.ts > engine.eventNow) engine.eventNow = input.ts
    }
    ruleClock.advance(tenantId, engine.eventNow)
    for (const id of touched) engine.dirty.add(id)
    // The engine parks most findings until it is advanced; advancing just the elders this batch
    // touched sends them out now (an alert in milliseconds, not at the next clock step).
    const settled = advanceElders(engine.state, touched, opts.clock === 'event' ? engine.eventNow : now(), engine.ctx)
    await deliver(step.findings.length === 0 ? settled.findings : [...step.findings, ...settled.findings])
    if (opts.clock === 'event' && engine.eventNow - engine.lastAdvance >= eventStepMs) await advanceEngine(engine, engine.eventNow)
  }

  async function drain(): Promise<void> {
    while (queue.length > 0) {
      const batch = queue
      queue = []
      stats.queued = 0
      const byTenant = new Map<string, RuleInput[]>()
      for (const input of batch) {
        const list = byTenant.get(input.tenantId)
        if (list) list.push(input)
        else byTenant.set(input.tenantId, [input])
      }
      for (const [tenantId, inputs] of byTenant) {
        if (!(opts.owns?.(tenantId) ?? true)) continue
        // Fenced per tenant: one that throws is set aside; the rest of the batch goes on.
        await fence.run(tenantId, inputs.length, () => evaluate(tenantId, inputs))
      }
    }
  }

  /** A tenant whose evaluation throws is set aside and reloaded later (tenant-failures.ts says why). */
  const fence = createTenantFence({
    logger,
    metrics,
    now,
    policy: opts.tenantBackoff,
    evict: (tenantId) => {
      engines.delete(tenantId)
      ruleClock.forget(tenantId)
    },
    reload: (tenantId) =>
      serial(async () => {
        if (closed || engines.has(tenantId) || !(opts.owns?.(tenantId) ?? true)) return
        await engineFor(tenantId)
      }),
    counted(what, n) {
      if (what === 'failure') stats.tenantFailures += n
      else stats.skippedInputs += n
    },
  })

  /**
   * The snapshot is taken inside the serial chain (consistent, and after the findings of every
   * input in it were stored); the write happens outside it, so a large checkpoint never holds
   * up the next alert. Writes are serialised among themselves so an older snapshot cannot
   * overwrite a newer one; a failed write marks its elders dirty again.
   */
  let writing: Promise<void> = Promise.resolve()
  async function checkpoint(full: boolean): Promise<void> {
    const snapshots = await serial(async () => {
      const taken: Array<{ engine: TenantEngine; ids: string[]; document: string }> = []
      for (const engine of engines.values()) {
        if (!full && engine.dirty.size === 0) continue
        // A deferred finding lives only in memory, while this state already remembers having
        // fired it: the engine will not emit it again. Checkpointing now would turn a crash
        // into a lost alert. Not checkpointing means that after a crash the inputs since the
        // last checkpoint are replayed from storage and the finding comes back (applied_findings
        // keeps each finding once, should it have been stored meanwhile). So the tenant's
        // checkpoint waits, its elders stay dirty, until no finding of it is deferred.
        if (delivery.hasDeferred(engine.tenantId)) continue
        const ids = [...engine.dirty]
        taken.push({ engine, ids, document: checkpointDocument(checkpointScopes(engine, full)) })
        engine.dirty.clear()
      }
      return taken
    })
    const write = writing.then(async () => {
      for (const { engine, ids, document } of snapshots) {
        try {
          await saveCheckpointDocument(db, engine.tenantId, document)
        } catch (err) {
          for (const id of ids) engine.dirty.add(id)
          throw err
        }
      }
    })
    writing = write.catch(() => undefined)
    await write
  }

  const tickTimer = opts.clock === 'wall' ? setInterval(() => void runtime.tick(), opts.tickMs ?? 5_000) : null
  tickTimer?.unref()
  const checkpointTimer = setInterval(() => {
    checkpoints++
    void runtime.checkpoint(checkpoints % FULL_CHECKPOINT_EVERY === 0).catch((err: unknown) =>
      logger.warn({ err: (err as Error).message }, 'rule checkpoint failed; will retry'),
    )
  }, opts.checkpointMs ?? 30_000)
  checkpointTimer.unref()

  // The open parked count is read once, first thing in the chain; afterwards it is kept in memory.
  void serial(() => delivery.start())

  const runtime: DetectionRuntime = {
    submit(inputs) {
      if (closed || inputs.length === 0) return
      const t = opts.clock === 'wall' ? now() : undefined
      for (const input of inputs) {
        if (t !== undefined) input.arrivedAt ??= t
        queue.push(input)
      }
      stats.queued = queue.length
      if (!scheduled) {
        scheduled = true
        setImmediate(() => {
          scheduled = false
          void serial(drain)
        })
      }
    },
    async idle() {
      do await serial(drain)
      while (queue.length > 0)
    },
    warmUp(tenantIds) {
      return serial(async () => {
        // One tenant that cannot load must not keep the gateway from starting for the others.
        for (const tenantId of tenantIds) {
          try {
            await engineFor(tenantId)
          } catch (err) {
            fence.failed(tenantId, err, 0)
          }
        }
      })
    },
    tenantChanged(tenantId, what, elderId) {
      // One elder changed (the registry API): re-read that profile only. Registering a town's
      // elders one POST at a time with a full reload each was quadratic (47 POSTs/s at 500).
      if (what === 'elders' && elderId !== undefined) {
        return serial(async () => {
          const engine = engines.get(tenantId)
          if (engine) await refreshElder(db, engine, elderId)
        })
      }
      // Whole-list reloads still queued take later requests along; one that already started
      // does not (it may have read the list before the change), so none is missed.
      const key = `${tenantId}\u0000${what}`
      const queued = queuedRefreshes.get(key)
      if (queued !== undefined) return queued
      const refresh = serial(async () => {
        queuedRefreshes.delete(key)
        const engine = engines.get(tenantId)
        if (!engine) return
        if (what === 'venues') await refreshVenues(db, engine)
        else if (what === 'elders') await refreshElders(db, engine)
        else await refreshConfig(db, engine, logger)
      })
      queuedRefreshes.set(key, refresh)
      return refresh
    },
    tick(at) {
      return serial(async () => {
        for (const engine of [...engines.values()]) {
          const t = at ?? (opts.clock === 'event' ? engine.eventNow : now())
          if (t <= 0) continue
          try {
            await advanceEngine(engine, t)
          } catch (err) {
            fence.failed(engine.tenantId, err, 0)
          }
        }
      })
    },
    checkpoint: (full = false) => checkpoint(full),
    stats: () => ({ ...stats }),
    ruleNow: (tenantId) => ruleClock.now(tenantId),
    findingsHealth: () => ({ ...delivery.health(), failingTenants: fence.failing() }),
    parkedFindings: delivery.parked,
    async release(tenantId) {
      await serial(async () => {
        engines.delete(tenantId)
        ruleClock.forget(tenantId)
      })
      // A checkpoint snapshot taken before the release must not land after the new owner's.
      await writing
    },
    async close() {
      if (tickTimer) clearInterval(tickTimer)
      clearInterval(checkpointTimer)
      await runtime.idle()
      closed = true
      fence.stop()
      // A last attempt for deferred findings; a tenant that still has some is not checkpointed
      // (see checkpoint()), so the next start replays its inputs and the findings come back.
      await delivery.close()
      await checkpoint(true)
    },
  }
  return runtime
}
