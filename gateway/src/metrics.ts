import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

/**
 * Every Prometheus metric the gateway exports, created once per gateway instance (tests run
 * several gateways in one process, so nothing here is a global singleton).
 */
export function createMetrics() {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: 'eg_process_' })
  const metrics = {
    registry,
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
    }),
    messagesRejected: new Counter({
      name: 'eg_messages_rejected_total',
      help: 'Device messages dropped by validation, by reason',
      labelNames: ['reason'] as const,
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
  }
  return metrics
}

export type Metrics = ReturnType<typeof createMetrics>
