import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import { deviceChannels, type DeviceChannel } from '../../contract/topics'
import { createClusterMetrics } from './broker-external/cluster-metrics'
import { createAuthThrottledCounter } from './broker/throttle-metrics'
import { createHttpMetrics } from './http/http-metrics'
import { createNoticeMetrics } from './notices/notice-metrics'
import { createVoiceMetrics } from './voice/voice-metrics'
import { createWatchMetrics } from './watch/metrics'

/**
 * Every Prometheus metric the gateway exports, created once per gateway instance (tests run
 * several gateways in one process, so nothing here is a global singleton). The core ones are
 * defined here; an area with several of its own (voice, notices, HTTP, the watch port, the
 * cluster) defines them in its own `*-metrics.ts` factory, called from here and nowhere else —
 * components receive their metrics, they never register any.
 */
export function createMetrics() {
  const registry = new Registry()
  /**
   * Values computed when scraped, set by the component that owns them (the writer registers
   * how old its oldest unstored row is): a gauge that is only updated on events would report
   * a stale age exactly when nothing moves — the case it exists for.
   */
  const probes = { oldestUnstoredMs: (): number => 0 }
  /**
   * Records accepted per channel since the last scrape, added up by intake as plain numbers and
   * folded into eg_messages_accepted_total when it is read: a labelled inc() per message hashes
   * its labels every time (1.4 % of the gateway's CPU in bench:ingest).
   */
  const acceptedTally = Object.fromEntries(deviceChannels.map((channel) => [channel, 0])) as Record<DeviceChannel, number>
  // Standard names (process_cpu_seconds_total, nodejs_heap_size_used_bytes, …): stock Node.js
  // dashboards and alerts find them. Minus prom-client's three gauges named *_total, which
  // Prometheus' conventions (promtool check metrics) reserve for counters; the per-type
  // nodejs_active_handles / _requests / _resources gauges carry the same numbers.
  collectDefaultMetrics({ register: registry })
  for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) registry.removeSingleMetric(name)
  const metrics = {
    registry,
    voice: createVoiceMetrics(registry),
    notices: createNoticeMetrics(registry),
    http: createHttpMetrics(registry),
    watch: createWatchMetrics(registry),
    cluster: createClusterMetrics(registry),
    authThrottled: createAuthThrottledCounter(registry),
    connectedDevices: new Gauge({ name: 'eg_connected_devices', help: 'Devices connected to the embedded broker', registers: [registry] }),
    authRefused: new Counter({
      name: 'eg_mqtt_auth_refused_total',
      help: 'Refused MQTT connection attempts by reason',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    aclDenied: new Counter({
      name: 'eg_mqtt_acl_denied_total',
      help: 'Publishes and subscriptions refused by the topic ACL',
      labelNames: ['action'] as const,
      registers: [registry],
    }),
    messagesAccepted: new Counter({
      name: 'eg_messages_accepted_total',
      help: 'Readings, events and acks accepted from devices',
      labelNames: ['channel'] as const,
      registers: [registry],
      collect() {
        for (const channel of deviceChannels) {
          const n = acceptedTally[channel]
          if (n === 0) continue
          acceptedTally[channel] = 0
          this.inc({ channel }, n)
        }
      },
    }),
    acceptedTally,
    messagesRejected: new Counter({
      name: 'eg_messages_rejected_total',
      help: 'Device messages dropped by validation, by reason',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    httpIngestRequests: new Counter({
      name: 'eg_http_ingest_requests_total',
      help: 'Device messages posted by vendor clouds to /api/v1/ingest, by outcome (accepted, partly_accepted, refused, too_large, unauthorized, forbidden, throttled, unavailable, ...)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    batchSize: new Histogram({
      name: 'eg_writer_batch_rows',
      help: 'Rows per batched INSERT',
      buckets: [1, 10, 50, 100, 250, 500, 1000, 2000, 5000],
      registers: [registry],
    }),
    flushSeconds: new Histogram({
      name: 'eg_writer_flush_seconds',
      help: 'Latency of one batched INSERT',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
      registers: [registry],
    }),
    bufferDepth: new Gauge({ name: 'eg_writer_buffer_depth', help: 'Rows waiting in the writer buffer', registers: [registry] }),
    writerRetries: new Counter({ name: 'eg_writer_retries_total', help: 'Batches retried after a database error', registers: [registry] }),
    rowsPersisted: new Counter({
      name: 'eg_rows_persisted_total',
      help: 'Rows written by the batched writer',
      labelNames: ['table'] as const,
      registers: [registry],
    }),
    probes,
    oldestUnstored: new Gauge({
      name: 'eg_writer_oldest_unstored_seconds',
      help: 'Age of the oldest accepted row not yet committed (its PUBACK waits for it); 0 when none waits',
      registers: [registry],
      collect() {
        this.set(probes.oldestUnstoredMs() / 1000)
      },
    }),
    writerFailures: new Counter({
      name: 'eg_writer_failures_total',
      help: 'Failed telemetry statements: transient (retried) or data (rows isolated, refused ones dead-lettered)',
      labelNames: ['kind'] as const,
      registers: [registry],
    }),
    writerRowsRefused: new Counter({
      name: 'eg_writer_rows_refused_total',
      help: 'Rows the database refused for a data reason, kept as dead letters while the rest of their batch was stored',
      labelNames: ['channel'] as const,
      registers: [registry],
    }),
    // The alert path (detection/finding-delivery.ts): findings the database would not take.
    findingsParked: new Gauge({ name: 'eg_findings_parked', help: 'Open parked findings (refused by the database; waiting for an admin)', registers: [registry] }),
    findingsParkedTotal: new Counter({ name: 'eg_findings_parked_total', help: 'Findings parked since start', registers: [registry] }),
    findingsDeferred: new Gauge({ name: 'eg_findings_deferred', help: 'Findings kept in memory until the database answers again', registers: [registry] }),
    findingFailures: new Counter({
      name: 'eg_findings_failures_total',
      help: 'Failed attempts to store findings as alerts, by kind (data: the finding; transient: the database)',
      labelNames: ['kind'] as const,
      registers: [registry],
    }),
    detectionTenantFailures: new Counter({
      name: 'eg_detection_tenant_failures_total',
      help: "Rule evaluations of one tenant that threw (the tenant's engine is reloaded; other tenants go on)",
      registers: [registry],
    }),
    detectionInputsSkipped: new Counter({
      name: 'eg_detection_inputs_skipped_total',
      help: 'Inputs of a backed-off failing tenant not evaluated live (stored; replayed when its engine loads again)',
      registers: [registry],
    }),
  }
  return metrics
}

export type Metrics = ReturnType<typeof createMetrics>
