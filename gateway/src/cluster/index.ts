import { hostname } from 'node:os'
import { randomBytes } from 'node:crypto'
import type { DetectionRuntime } from '../detection/runtime'
import type { Logger } from '../logger'
import type { Db } from '../storage/db'
import { createStorageFeed } from './storage-feed'
import { createTenantLeases, type TenantLeases } from './tenant-leases'

export { leaseHolders } from './lease-store'

/**
 * Rule evaluation when several gateway workers share an external MQTT cluster (issue 7,
 * item 3). The brokers' shared subscriptions spread one elder's messages over workers
 * (Mosquitto round-robin; even EMQX's hash_topic / hash_clientid keep only one *device* on one
 * worker, and an elder has a watch and a camera), so per-elder rule state cannot live where
 * the messages land. Instead:
 * - every worker stores what it receives (the shared database is the meeting point);
 * - per tenant, one worker holds a lease (tenant-leases.ts) and runs that tenant's engine;
 * - the holder reads every worker's stored readings in storage order (storage-feed.ts);
 * - a worker that dies stops renewing; after the TTL another takes the lease and its engine
 *   starts from the last checkpoint plus the replay of what was stored since (runtime.ts).
 * That is "state reloaded from storage", chosen because it is correct on any broker.
 */
export interface ClusterDetectionOptions {
  db: Db
  detection: DetectionRuntime
  logger: Logger
  /** Unique per process; it names this worker's leases. */
  workerId: string
  leaseTtlMs: number
  /** How often the lease holder reads newly stored inputs. */
  pollMs: number
  /** Venues, elders and rule config are reloaded this often (they may change through any worker's API). */
  refreshMs: number
  tenants(): Promise<string[]>
  /** Everything this worker accepted is in storage (the writer's flush). */
  flushOwnWrites(): Promise<void>
  /** The tenants this worker leads, kept current by its leases (see TenantLeasesOptions.owned). */
  owned?: Set<string>
}

export interface ClusterDetection {
  readonly workerId: string
  owned(): string[]
  owns(tenantId: string): boolean
  /** Stored inputs up to now are evaluated (after every worker has flushed its writer). */
  settle(): Promise<void>
  /** One lease round now (tests: take over at once instead of waiting for the timer). */
  renewLeases(): Promise<void>
  /** Evaluates what is stored, checkpoints, gives the leases back. */
  close(): Promise<void>
}

export function workerIdentity(): string {
  return `eg-worker-${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`
}

export async function startClusterDetection(opts: ClusterDetectionOptions): Promise<ClusterDetection> {
  const { db, detection } = opts
  const log = opts.logger.child({ component: 'cluster', workerId: opts.workerId })
  const feed = await createStorageFeed({ db, submit: (inputs) => detection.submit(inputs) })
  const leases: TenantLeases = createTenantLeases({
    db,
    holder: opts.workerId,
    ttlMs: opts.leaseTtlMs,
    logger: opts.logger,
    tenants: opts.tenants,
    ...(opts.owned ? { owned: opts.owned } : {}),
    // Loading the engine replays what was stored since the tenant's checkpoint, whoever stored it.
    onGain: (tenantId) => detection.warmUp([tenantId]),
    onLose: (tenantId) => detection.release(tenantId),
    // Handing over to balance: what is stored is evaluated and checkpointed first, so the next
    // holder starts from this state plus the replay of anything stored after it.
    onShed: async (tenantId) => {
      await poll()
      await detection.idle()
      await detection.checkpoint(true)
      await detection.release(tenantId)
    },
  })

  async function poll(): Promise<void> {
    await feed.poll(leases.owned())
  }

  let closed = false
  let rounds: Promise<void> = Promise.resolve()
  /** Lease rounds, polls and refreshes run one after another, never interleaved. */
  function serial(step: () => Promise<unknown>): Promise<void> {
    const run = rounds.then(step).then(() => undefined)
    rounds = run.catch((err: unknown) => log.warn({ err: (err as Error).message }, 'cluster step failed; retried on the next tick'))
    return run
  }
  const refresh = async () => {
    for (const t of leases.owned()) {
      await detection.tenantChanged(t, 'venues')
      await detection.tenantChanged(t, 'elders')
      await detection.tenantChanged(t, 'config')
    }
  }

  await serial(() => leases.renew())
  const timers = [
    // A third of the TTL: two renewals may fail before the lease can run out.
    setInterval(() => void serial(() => leases.renew()), Math.max(100, Math.floor(opts.leaseTtlMs / 3))),
    setInterval(() => void serial(poll), opts.pollMs),
    setInterval(() => void serial(refresh), opts.refreshMs),
  ]
  for (const t of timers) t.unref()
  log.info({ leaseTtlMs: opts.leaseTtlMs, tenants: leases.owned().length }, 'cluster rule worker started')

  return {
    workerId: opts.workerId,
    owned: () => leases.owned(),
    owns: (tenantId) => leases.owns(tenantId),
    async settle() {
      await serial(async () => {
        await refresh()
        await poll()
      })
      await detection.idle()
    },
    renewLeases: () => serial(() => leases.renew()),
    async close() {
      if (closed) return
      closed = true
      for (const t of timers) clearInterval(t)
      await opts.flushOwnWrites()
      await serial(poll)
      await detection.idle()
      await detection.checkpoint(true)
      const owned = leases.owned()
      for (const t of owned) await detection.release(t)
      await leases.releaseAll()
      log.info({ released: owned.length }, 'cluster rule worker stopped; leases released')
    },
  }
}
