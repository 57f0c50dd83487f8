/**
 * A string-keyed Map bounded to `capacity` entries that forgets the least recently used one
 * first. Throttle state lives in these so that a flood of random client ids, usernames or
 * addresses costs a fixed amount of memory, and the entries an attacker keeps touching (its own
 * locked pairs) are the last to go. A Map iterates in insertion order, so re-inserting on use
 * keeps the oldest-used entry first.
 */
export class LruMap<V> {
  private readonly entries = new Map<string, V>()

  constructor(private readonly capacity: number) {}

  get size(): number {
    return this.entries.size
  }

  /** The entry, marked as just used. */
  get(key: string): V | undefined {
    const value = this.entries.get(key)
    if (value !== undefined) {
      this.entries.delete(key)
      this.entries.set(key, value)
    }
    return value
  }

  /** The entry, without touching its place (release paths, tests). */
  peek(key: string): V | undefined {
    return this.entries.get(key)
  }

  set(key: string, value: V): void {
    this.entries.delete(key)
    this.entries.set(key, value)
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next()
      if (oldest.done !== true) this.entries.delete(oldest.value)
    }
  }

  delete(key: string): void {
    this.entries.delete(key)
  }

  /** Drops every entry `isStale` says is done with. */
  sweep(isStale: (value: V) => boolean): void {
    for (const [key, value] of this.entries) if (isStale(value)) this.entries.delete(key)
  }
}
