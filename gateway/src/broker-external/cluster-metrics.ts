import { Counter, type Registry } from 'prom-client'

/** A cluster worker's intake in Prometheus terms; created with every other metric by metrics.ts createMetrics. */
export function createClusterMetrics(registry: Registry) {
  const registers = [registry]
  return {
    received: new Counter({ name: 'eg_cluster_messages_received_total', help: 'Device messages this worker took from the MQTT cluster, by channel', labelNames: ['channel'] as const, registers }),
    dropped: new Counter({ name: 'eg_cluster_messages_dropped_total', help: 'Cluster messages dropped: unknown device or not a device topic', labelNames: ['reason'] as const, registers }),
  }
}
