import type { Change } from './change-log-store'
import type { Logger } from '../logger'

/**
 * The in-process fan-out behind the live stream: whoever committed changes (alert effects,
 * the voice and notice dispatchers, the device-activity recorder) publishes them after the
 * commit; open streams subscribe per tenant. The bus carries only what was committed in this
 * process — the change log stays the source of truth, and a stream that sees a hole in the
 * sequence reads it from the log (see stream-connection.ts), which also covers changes
 * written by another gateway worker.
 */
export type ChangeListener = (changes: readonly Change[]) => void

export interface ChangeBus {
  /** Committed changes, any tenants, in any order; each listener gets its tenant's share. */
  publish(changes: readonly Change[]): void
  /** Returns the unsubscribe function. */
  subscribe(tenantId: string, listener: ChangeListener): () => void
  /** Open subscriptions (metrics, tests). */
  listenerCount(): number
}

export function createChangeBus(opts: { logger?: Logger } = {}): ChangeBus {
  const byTenant = new Map<string, Set<ChangeListener>>()
  let count = 0

  function deliver(listeners: Set<ChangeListener>, changes: readonly Change[]): void {
    for (const listener of listeners) {
      try {
        listener(changes)
      } catch (err) {
        // One broken stream must not stop the others, nor the committer that published.
        opts.logger?.error({ err: (err as Error).message }, 'change listener failed')
      }
    }
  }

  return {
    publish(changes) {
      // Publishing runs on every alert commit; with no board open it costs one comparison.
      if (count === 0 || changes.length === 0) return
      const first = changes[0]!
      if (changes.every((c) => c.tenantId === first.tenantId)) {
        const listeners = byTenant.get(first.tenantId)
        if (listeners !== undefined) deliver(listeners, changes)
        return
      }
      const grouped = new Map<string, Change[]>()
      for (const change of changes) {
        const group = grouped.get(change.tenantId)
        if (group === undefined) grouped.set(change.tenantId, [change])
        else group.push(change)
      }
      for (const [tenantId, group] of grouped) {
        const listeners = byTenant.get(tenantId)
        if (listeners !== undefined) deliver(listeners, group)
      }
    },
    subscribe(tenantId, listener) {
      let listeners = byTenant.get(tenantId)
      if (listeners === undefined) {
        listeners = new Set()
        byTenant.set(tenantId, listeners)
      }
      // A wrapper per subscription, so one function subscribed twice unsubscribes once each.
      const own: ChangeListener = (changes) => listener(changes)
      listeners.add(own)
      count++
      let subscribed = true
      return () => {
        if (!subscribed) return
        subscribed = false
        count--
        listeners.delete(own)
        if (listeners.size === 0 && byTenant.get(tenantId) === listeners) byTenant.delete(tenantId)
      }
    },
    listenerCount: () => count,
  }
}
