import type { Logger } from '../logger'
import type { Metrics } from '../metrics'
import { retryDelayMs, type BackoffPolicy } from '../retry/backoff'

/**
 * The fence around one tenant's rule evaluation (runtime.ts). Every tenant shares the engine's
 * serial chain, so a tenant whose evaluation throws — its checkpoint no longer loads, a rule
 * trips on its data, the database refuses its reads — must neither drop nor delay the inputs
 * of the tenants after it in the batch.
 *
 * A failed evaluation may have left the engine half-updated (state advanced, findings not
 * derived), so the engine is evicted rather than trusted: reloading it from the checkpoint and
 * replaying what is stored since — which includes the inputs it failed on, since the writer
 * stores inputs whatever the engine does — rebuilds a consistent state, and applied_findings
 * keeps the findings it re-derives single. The tenant is then backed off (1 s doubling to
 * 5 min): one that fails on every load must not reload, and replay, on every batch in front of
 * everyone else. Its inputs meanwhile are skipped and counted — they are in storage — and the
 * reload is scheduled for the end of the backoff, so they are evaluated even if nothing new
 * arrives for the tenant.
 */
export const TENANT_BACKOFF: BackoffPolicy = { baseMs: 1_000, factor: 2, capMs: 5 * 60_000 }

export interface TenantFence {
  /** Runs one tenant's evaluation of `inputs` inputs: skipped while backed off, fenced otherwise. */
  run(tenantId: string, inputs: number, evaluate: () => Promise<void>): Promise<void>
  /** Records a failure caught elsewhere (warm-up, clock tick) the same way. */
  failed(tenantId: string, err: unknown, inputs: number): void
  /** Tenants whose last evaluation failed. */
  failing(): string[]
  /** Cancels scheduled reloads (shutdown). */
  stop(): void
}

export interface TenantFenceOptions {
  logger: Logger
  metrics?: Metrics | undefined
  policy?: BackoffPolicy | undefined
  now: () => number
  /** Forgets the tenant's engine. */
  evict(tenantId: string): void
  /** Loads the tenant's engine again (checkpoint plus replay), in the engine's serial chain. */
  reload(tenantId: string): Promise<void>
  /** Counts for DetectionStats. */
  counted(what: 'failure' | 'skipped', n: number): void
}

export function createTenantFence(opts: TenantFenceOptions): TenantFence {
  const policy = opts.policy ?? TENANT_BACKOFF
  const byTenant = new Map<string, { failures: number; until: number }>()
  const reloads = new Map<string, NodeJS.Timeout>()
  let stopped = false
  // Half the exponential step plus up to half again: never a hot retry, and tenants that failed
  // together (the database went away) do not all come back in the same instant.
  const random = () => 0.5 + Math.random() / 2

  function failed(tenantId: string, err: unknown, inputs: number): void {
    opts.counted('failure', 1)
    opts.metrics?.detectionTenantFailures.inc()
    opts.evict(tenantId)
    const failures = (byTenant.get(tenantId)?.failures ?? 0) + 1
    const until = opts.now() + retryDelayMs(failures, policy, random)
    byTenant.set(tenantId, { failures, until })
    opts.logger.error({ err, tenantId, inputs, failures, retryInMs: until - opts.now() }, "tenant's rule evaluation failed; its engine is reloaded after a backoff")
    if (stopped || reloads.has(tenantId)) return
    const timer = setTimeout(() => {
      reloads.delete(tenantId)
      if (stopped) return
      opts.reload(tenantId).then(
        () => byTenant.delete(tenantId),
        (reloadErr: unknown) => failed(tenantId, reloadErr, 0),
      )
    }, Math.max(0, until - opts.now()))
    timer.unref()
    reloads.set(tenantId, timer)
  }

  return {
    async run(tenantId, inputs, evaluate) {
      const state = byTenant.get(tenantId)
      if (state !== undefined && opts.now() < state.until) {
        opts.counted('skipped', inputs)
        opts.metrics?.detectionInputsSkipped.inc(inputs)
        return
      }
      try {
        await evaluate()
        byTenant.delete(tenantId)
      } catch (err) {
        failed(tenantId, err, inputs)
      }
    },
    failed,
    failing: () => [...byTenant.keys()],
    stop() {
      stopped = true
      for (const timer of reloads.values()) clearTimeout(timer)
      reloads.clear()
    },
  }
}
