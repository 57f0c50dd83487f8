import type { WatchRow } from '../registry/device-store'

/**
 * The watch port's phone book: number → registered device, cached. A reconnect storm of a
 * county's watches (a cell tower comes back) costs one query per number per TTL, not one per
 * connection; "no such number" is cached too, so a scanner trying random numbers cannot make
 * the database do the work. Registration and deletion through this process call forget().
 */
export interface WatchDirectory {
  lookup(imei: string): Promise<WatchRow | null>
  forget(imei: string): void
}

export interface WatchDirectoryOptions {
  find(imei: string): Promise<WatchRow | null>
  ttlMs: number
  /** Bound on cached numbers: random numbers cannot grow memory without limit. */
  maxEntries?: number
  now?: () => number
}

export function createWatchDirectory(opts: WatchDirectoryOptions): WatchDirectory {
  const now = opts.now ?? Date.now
  const maxEntries = opts.maxEntries ?? 100_000
  const cache = new Map<string, { row: WatchRow | null; expiresAt: number }>()
  const inflight = new Map<string, Promise<WatchRow | null>>()
  /** Lookups in flight when their number was forgotten: their answer may predate the change. */
  const stale = new WeakSet<Promise<WatchRow | null>>()

  function remember(imei: string, row: WatchRow | null): void {
    if (cache.size >= maxEntries) {
      const t = now()
      for (const [key, entry] of cache) if (entry.expiresAt <= t) cache.delete(key)
      if (cache.size >= maxEntries) cache.clear()
    }
    cache.set(imei, { row, expiresAt: now() + opts.ttlMs })
  }

  return {
    async lookup(imei) {
      const cached = cache.get(imei)
      if (cached !== undefined && cached.expiresAt > now()) return cached.row
      const pending = inflight.get(imei)
      if (pending !== undefined) return pending
      const query = opts.find(imei)
      inflight.set(imei, query)
      try {
        const row = await query
        if (!stale.has(query)) remember(imei, row)
        return row
      } finally {
        if (inflight.get(imei) === query) inflight.delete(imei)
      }
    },
    forget(imei) {
      cache.delete(imei)
      const pending = inflight.get(imei)
      if (pending !== undefined) {
        stale.add(pending)
        inflight.delete(imei)
      }
    },
  }
}
