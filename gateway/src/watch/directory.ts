import type { WatchRow } from '../registry/device-store'
import { createCachedLookup, type CachedLookup } from '../registry/cached-lookup'

/**
 * The watch port's phone book: number → registered device, cached like device logins
 * (registry/cached-lookup.ts): a county's watches reconnecting after a cell tower comes back
 * cost one query per number per TTL; a scanner trying random numbers is answered from memory.
 * Registration and deletion through this process call forget().
 */
export type WatchDirectory = CachedLookup<WatchRow>

export function createWatchDirectory(opts: { find(imei: string): Promise<WatchRow | null>; ttlMs: number; maxEntries?: number; now?: () => number }): WatchDirectory {
  return createCachedLookup(opts)
}
