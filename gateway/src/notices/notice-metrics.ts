import { Counter, type Registry } from 'prom-client'
import type { Metrics } from '../metrics'

/**
 * Notice delivery in Prometheus terms, registered on the gateway's registry. Created here
 * rather than in metrics.ts so the module brings its own; looked up first because tests and
 * restarts may build a second deliverer on the same registry.
 */
export interface NoticeMetrics {
  attempts: Counter<'audience' | 'outcome'>
  failed: Counter<'audience'>
}

function counter<L extends string>(registry: Registry, name: string, help: string, labelNames: readonly L[]): Counter<L> {
  const existing = registry.getSingleMetric(name)
  if (existing instanceof Counter) return existing as Counter<L>
  return new Counter({ name, help, labelNames, registers: [registry] })
}

export function noticeMetrics(metrics: Metrics | undefined): NoticeMetrics | undefined {
  if (metrics === undefined) return undefined
  return {
    attempts: counter(metrics.registry, 'eg_notice_attempts_total', 'Notice POSTs by audience and outcome (delivered, retry, failed)', ['audience', 'outcome']),
    failed: counter(metrics.registry, 'eg_notices_failed_total', 'Notices given up on (deadline passed or unsendable)', ['audience']),
  }
}
