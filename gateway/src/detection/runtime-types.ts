import type { RuleInput } from '../../../rules/src/index'
import type { Logger } from '../logger'
import type { Metrics } from '../metrics'
import type { DrivenRuleClock } from '../rule-clock'
import type { BackoffPolicy } from '../retry/backoff'
import type { Db } from '../storage/db'
import type { FindingRetryPolicy, FindingSink, FindingsHealth } from './finding-delivery'
import type { ParkedFindingActions } from './parked-actions'

/** What the detection runtime (runtime.ts) takes, counts and offers. */
export interface DetectionOptions {
  db: Db
  logger: Logger
  clock: 'wall' | 'event'
  timeZone: string
  /** How often dirty elder states are checkpointed. */
  checkpointMs?: number
  /** EG_CLOCK=wall: how often time-based rules are evaluated. */
  tickMs?: number
  /** EG_CLOCK=event: event time that must pass between two evaluations of time-based rules. */
  eventStepMs?: number
  /**
   * Where findings go: the alert stage (in the gateway, alerts/finding-store.ts applyFindings
   * with its effects). One way: detection emits, it never calls into alerts.
   */
  findingSink: FindingSink
  /**
   * A tenant's engine advanced on its rule clock to `at` (its findings delivered): the gateway
   * runs the alert escalation job here (alerts/escalation.ts), on the same clock. Errors are
   * logged and the next advance tries again.
   */
  onAdvanced?: (tenantId: string, at: number) => Promise<void>
  /**
   * The rule clock this runtime drives under EG_CLOCK=event (each tenant's newest event time);
   * the composition root owns it and hands it to everything else that counts rule time.
   * Unset (tests, tools): a private one.
   */
  ruleClock?: DrivenRuleClock
  /** Wall clock source (tests); the engine itself never reads a clock. */
  now?: () => number
  /**
   * External-broker mode: whether this worker evaluates the tenant (holds its lease). Inputs of
   * other tenants are dropped (their leader reads them from storage). Unset: every tenant.
   */
  owns?: (tenantId: string) => boolean
  /** Prometheus metrics (parked and deferred findings, tenant failures); optional for tests and tools. */
  metrics?: Metrics
  /** Retry, deferral and parking of findings the database refuses (tests shorten it). */
  findingRetry?: Partial<FindingRetryPolicy>
  /** How long a tenant whose evaluation threw is set aside (tests shorten it). */
  tenantBackoff?: BackoffPolicy
}

export interface DetectionStats {
  processed: number
  tooLate: number
  unknownElder: number
  findings: number
  queued: number
  /** Evaluations of one tenant that threw (the tenant was set aside and reloaded). */
  tenantFailures: number
  /** Inputs of a backed-off tenant not evaluated live (stored, so replayed when it loads again). */
  skippedInputs: number
}

export interface DetectionHealth extends FindingsHealth {
  /** Tenants whose last evaluation threw (backed off until they load again). */
  failingTenants: string[]
}

export interface DetectionRuntime {
  /** Hot path: queues inputs and returns at once. */
  submit(inputs: readonly RuleInput[]): void
  /**
   * Resolves when everything submitted so far has been evaluated and its findings stored as
   * alerts — or parked, or deferred while the database does not answer (findingsHealth()).
   */
  idle(): Promise<void>
  /** Venues, elders or the rule config of a tenant changed: reload what the engine reads. */
  tenantChanged(tenantId: string, what: 'venues' | 'elders' | 'config', elderId?: string): Promise<void>
  /**
   * Loads every tenant's engine (and replays what was stored after its last checkpoint) before
   * devices connect, so the first readings after a start do not wait behind a replay.
   */
  warmUp(tenantIds: readonly string[]): Promise<void>
  /** Evaluate time-based rules now (on the wall clock, or at `at` when given). */
  tick(at?: number): Promise<void>
  checkpoint(full?: boolean): Promise<void>
  stats(): DetectionStats
  /** The rule clock of a tenant: its newest event time under EG_CLOCK=event, else the wall clock. */
  ruleNow(tenantId: string): number
  /**
   * Forgets a tenant's engine without checkpointing it (its lease went to another worker, whose
   * state is authoritative now); a later input loads it afresh from the checkpoint plus replay.
   */
  release(tenantId: string): Promise<void>
  /** Deferred and parked findings, and failing tenants: what stands between findings and alerts. */
  findingsHealth(): DetectionHealth
  /** Admins' retry and dismiss of parked findings (parked-routes.ts). */
  parkedFindings: ParkedFindingActions
  close(): Promise<void>
}
