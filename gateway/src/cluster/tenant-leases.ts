import type { Logger } from '../logger'
import type { Db } from '../storage/db'
import { acquireLeases, announceWorker, freeScopes, releaseLeases, workerScope } from './lease-store'

/**
 * Which tenants' rule engines this worker runs: one lease per tenant in worker_leases, renewed
 * every renewal round, taken over when its holder stops renewing (crash) or gives it back
 * (shutdown).
 *
 * Why per tenant and not per elder partition: the rule engine's state and checkpoint are one
 * document per tenant (tenant-wide parts such as the venue-candidate pool included), so a
 * tenant is the smallest unit two workers can hand over without merging state. It scales to as
 * many rule workers as there are tenants (a county cloud per tenant); ingest scales with all
 * workers regardless, since every worker stores what it receives.
 *
 * Balance: every worker announces itself (a lease of its own), and each takes at most its fair
 * share — ceil(tenants / live workers). A worker holding more than its share (a new worker
 * joined) hands the excess over gracefully (onShed: evaluate what is stored, checkpoint, then
 * give the lease back); the newcomer takes the free leases on its next round. A dead worker's
 * announcement expires with its leases, so the survivors' shares grow and they take the rest.
 */
export interface TenantLeasesOptions {
  db: Db
  holder: string
  ttlMs: number
  logger: Logger
  /** Every tenant that could be led (read each round, so new tenants are picked up). */
  tenants(): Promise<string[]>
  /** This worker now leads the tenant (called in the renewal round, awaited). */
  onGain(tenantId: string): Promise<void>
  /** This worker lost the tenant (its lease ran out under it, or it could not renew in time). */
  onLose(tenantId: string): Promise<void>
  /** This worker is about to give the tenant up to balance the load: make its state durable. */
  onShed?(tenantId: string): Promise<void>
  /**
   * The set of tenants this worker leads, kept up to date here. Passed in by the composition
   * root, which hands a read-only view of it to the rule runtime created before the leases.
   */
  owned?: Set<string>
}

export interface TenantLeases {
  /** One renewal round: renew held leases, take free ones, notice lost ones. */
  renew(): Promise<void>
  owned(): string[]
  owns(tenantId: string): boolean
  /** Gives every lease back (after the owner's final checkpoint). */
  releaseAll(): Promise<void>
}

export function createTenantLeases(opts: TenantLeasesOptions): TenantLeases {
  const log = opts.logger.child({ component: 'leases' })
  const owned = opts.owned ?? new Set<string>()
  /** When the last successful renewal started: leases are surely ours until then + TTL. */
  let renewedAt = 0

  async function lose(tenantId: string, why: string): Promise<void> {
    owned.delete(tenantId)
    log.warn({ tenantId, why }, 'rule lease lost; another worker evaluates this tenant now')
    await opts.onLose(tenantId)
  }

  async function renew(): Promise<void> {
    const started = Date.now()
    let held: string[]
    let share: number
    try {
      const workers = await announceWorker(opts.db, opts.holder, opts.ttlMs)
      const tenants = await opts.tenants()
      share = Math.ceil(tenants.length / workers)
      // Renew what is held; top up with free tenants only to this worker's share.
      const room = share - owned.size
      const extra = room > 0 ? (await freeScopes(opts.db, tenants.filter((t) => !owned.has(t)))).slice(0, room) : []
      held = await acquireLeases(opts.db, opts.holder, [...owned, ...extra], opts.ttlMs)
    } catch (err) {
      // Could not renew: before the TTL can have run out (half of it, as a margin against a
      // slow clock or a stalled loop), stop evaluating rather than risk two evaluators.
      log.warn({ err: (err as Error).message }, 'lease renewal failed')
      if (owned.size > 0 && Date.now() - renewedAt > opts.ttlMs / 2) for (const t of [...owned]) await lose(t, 'renewal failed')
      return
    }
    renewedAt = started
    const now = new Set(held)
    for (const t of [...owned]) if (!now.has(t)) await lose(t, 'taken over')
    for (const t of held) {
      if (owned.has(t)) continue
      owned.add(t)
      log.info({ tenantId: t }, 'rule lease taken; evaluating this tenant')
      await opts.onGain(t)
    }
    // More than the fair share (another worker joined): hand the newest-sorted excess over.
    const excess = [...owned].sort().slice(share)
    for (const t of excess) {
      await opts.onShed?.(t)
      owned.delete(t)
      await releaseLeases(opts.db, opts.holder, [t])
      log.info({ tenantId: t, share }, 'rule lease handed over to balance the workers')
    }
  }

  return {
    renew,
    owned: () => [...owned],
    owns: (tenantId) => owned.has(tenantId),
    async releaseAll() {
      const all = [...owned]
      owned.clear()
      await releaseLeases(opts.db, opts.holder, [...all, workerScope(opts.holder)])
    },
  }
}
