import { Counter, type Registry } from 'prom-client'

/** Notice delivery in Prometheus terms; created with every other metric by metrics.ts createMetrics. */
export function createNoticeMetrics(registry: Registry) {
  const registers = [registry]
  return {
    attempts: new Counter({ name: 'eg_notice_attempts_total', help: 'Notice POSTs by audience and outcome (delivered, retry, failed)', labelNames: ['audience', 'outcome'] as const, registers }),
    failed: new Counter({ name: 'eg_notices_failed_total', help: 'Notices given up on (deadline passed or unsendable)', labelNames: ['audience'] as const, registers }),
  }
}

export type NoticeMetrics = ReturnType<typeof createNoticeMetrics>
