/**
 * Deterministic randomness for the simulators. Every random choice that shapes an event's
 * content or time comes from an Rng seeded from `--seed` and a label (elder, device, day), so
 * the same seed replays the same week: a scenario that found a bug can be rerun exactly.
 * Math.random is never used for event generation; labels (not call order) pick the stream, so
 * adding an elder does not reshuffle everybody else's week.
 */

/** mulberry32: tiny, fast, 32-bit state; plenty for simulation (not for secrets). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** FNV-1a over the label, then a murmur finaliser so near labels give far seeds. */
export function hashSeed(seed: number, ...labels: Array<string | number>): number {
  let h = (0x811c9dc5 ^ (seed >>> 0)) >>> 0
  for (const ch of labels.join('\u0000')) {
    h ^= ch.codePointAt(0) ?? 0
    h = Math.imul(h, 0x01000193) >>> 0
  }
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b) >>> 0
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35) >>> 0
  h ^= h >>> 16
  return h >>> 0
}

export class Rng {
  private readonly next: () => number

  constructor(readonly seed: number) {
    this.next = mulberry32(seed)
  }

  /** An independent stream for a sub-purpose (an elder, a device, a day). */
  static for(seed: number, ...labels: Array<string | number>): Rng {
    return new Rng(hashSeed(seed, ...labels))
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.next()
  }

  /** Uniform in [min, max). */
  range(min: number, max: number): number {
    return min + (max - min) * this.next()
  }

  /** Integer uniform in [min, max] (both inclusive). */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1))
  }

  chance(probability: number): boolean {
    return this.next() < probability
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list')
    return items[Math.floor(this.next() * items.length)] as T
  }

  /** Picks by weight; weights need not sum to 1. */
  weighted<T>(items: ReadonlyArray<readonly [T, number]>): T {
    const total = items.reduce((sum, [, w]) => sum + w, 0)
    let roll = this.next() * total
    for (const [item, w] of items) {
      roll -= w
      if (roll < 0) return item
    }
    const last = items[items.length - 1]
    if (last === undefined) throw new Error('weighted pick from an empty list')
    return last[0]
  }

  /** Normal (Box–Muller): GPS error and heart-rate wobble are roughly Gaussian. */
  normal(mean = 0, sd = 1): number {
    const u = Math.max(this.next(), 1e-12)
    const v = this.next()
    return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v)
  }
}
