/**
 * A registry lookup cached for a short TTL, shared by device login (device-auth.ts) and the watch
 * port's number lookup (watch/directory.ts). A reconnect storm of a county's devices costs one
 * query per id per TTL, not one per connection; "no such id" is cached too (null), so random ids
 * tried by a scanner do not reach the database either; concurrent lookups of one id share one
 * query. forget() drops an entry at once (a rotated secret, a deleted device) — and an answer
 * still in flight when it was called is not cached, as it may predate the change.
 */
export interface CachedLookup<V> {
  lookup(key: string): Promise<V | null>
  forget(key: string): void
}

export interface CachedLookupOptions<V> {
  find(key: string): Promise<V | null>
  /** Keep it short (seconds): other gateway workers see a change only when it runs out. */
  ttlMs: number
  /** Bound on cached ids, so lookups of random ids cannot grow memory without limit. */
  maxEntries?: number
  now?: () => number
}

export function createCachedLookup<V>(opts: CachedLookupOptions<V>): CachedLookup<V> {
  const now = opts.now ?? Date.now
  const maxEntries = opts.maxEntries ?? 100_000
  const cache = new Map<string, { value: V | null; expiresAt: number }>()
  const inflight = new Map<string, Promise<V | null>>()
  const stale = new WeakSet<Promise<V | null>>()

  function remember(key: string, value: V | null): void {
    if (cache.size >= maxEntries) {
      const t = now()
      for (const [k, entry] of cache) if (entry.expiresAt <= t) cache.delete(k)
      // Still full of live entries: start over rather than grow (a miss only costs a query).
      if (cache.size >= maxEntries) cache.clear()
    }
    cache.set(key, { value, expiresAt: now() + opts.ttlMs })
  }

  return {
    async lookup(key) {
      const cached = cache.get(key)
      if (cached !== undefined && cached.expiresAt > now()) return cached.value
      const pending = inflight.get(key)
      if (pending !== undefined) return pending
      const query = opts.find(key)
      inflight.set(key, query)
      try {
        const value = await query
        if (!stale.has(query)) remember(key, value)
        return value
      } finally {
        if (inflight.get(key) === query) inflight.delete(key)
      }
    },
    forget(key) {
      cache.delete(key)
      const pending = inflight.get(key)
      if (pending !== undefined) {
        stale.add(pending)
        inflight.delete(key)
      }
    },
  }
}
