import { hashSeed, Rng } from '../core/prng'
import { WATCH_PROTOCOLS, type TownFile, type WatchProtocol } from './town'

/**
 * Which protocol each elder's watch speaks (cameras always speak MQTT): MQTT (DESIGN §3), the
 * 4G watch protocol over TCP (§3b) or HTTP ingest through a vendor's cloud (§3c). Decided before
 * seeding, because a watch-protocol watch is registered differently (by its number, with no
 * secret), and written into the town, so `run` speaks what `seed` registered.
 *
 * A mix is percent of elders, e.g. `mqtt:60,watch:30,http:10`. Who gets what is a seeded
 * shuffle, so the same seed gives the same elders the same protocols; the counts are the
 * percentages rounded by largest remainder, so they always add up to the town.
 */
// Defined with the town file, which records each elder's (town.ts imports nothing from here).
export { WATCH_PROTOCOLS, type WatchProtocol } from './town'
export type ProtocolMix = Readonly<Record<WatchProtocol, number>>

export const ALL_MQTT: ProtocolMix = { mqtt: 100, watch: 0, http: 0 }

/** `mqtt:60,watch:30,http:10` → percents; a lone name means all of them (`watch` = `watch:100`). */
export function parseProtocolMix(text: string): ProtocolMix {
  const mix: Record<WatchProtocol, number> = { mqtt: 0, watch: 0, http: 0 }
  const parts = text.split(',').map((p) => p.trim()).filter(Boolean)
  if (parts.length === 0) throw new Error('protocol mix is empty: e.g. mqtt:60,watch:30,http:10')
  for (const part of parts) {
    const [name, percent] = part.split(':')
    if (!isProtocol(name)) throw new Error(`unknown protocol '${name ?? ''}' in '${text}': one of ${WATCH_PROTOCOLS.join(', ')}`)
    const n = percent === undefined && parts.length === 1 ? 100 : Number(percent)
    if (!Number.isFinite(n) || n < 0) throw new Error(`'${part}': the percent must be a number ≥ 0`)
    mix[name] += n
  }
  const total = WATCH_PROTOCOLS.reduce((sum, p) => sum + mix[p], 0)
  if (Math.abs(total - 100) > 1e-9) throw new Error(`protocol percents must add up to 100, got ${total} in '${text}'`)
  return mix
}

export function formatProtocolMix(mix: ProtocolMix): string {
  return WATCH_PROTOCOLS.filter((p) => mix[p] > 0).map((p) => `${p}:${mix[p]}`).join(',')
}

function isProtocol(name: string | undefined): name is WatchProtocol {
  return (WATCH_PROTOCOLS as readonly string[]).includes(name ?? '')
}

/** How many of `n` elders get each protocol: percentages rounded by largest remainder. */
export function protocolCounts(mix: ProtocolMix, n: number): Record<WatchProtocol, number> {
  const exact = WATCH_PROTOCOLS.map((p) => ({ p, x: (mix[p] / 100) * n }))
  const counts = Object.fromEntries(exact.map(({ p, x }) => [p, Math.floor(x)])) as Record<WatchProtocol, number>
  let left = n - WATCH_PROTOCOLS.reduce((sum, p) => sum + counts[p], 0)
  for (const { p } of [...exact].sort((a, b) => b.x - Math.floor(b.x) - (a.x - Math.floor(a.x)))) {
    if (left-- <= 0) break
    counts[p]++
  }
  return counts
}

/** Sets every elder's `watchProtocol` (before seeding). */
export function assignProtocols(file: TownFile, mix: ProtocolMix, seed: number): void {
  const keys = file.elders.map((e) => e.key)
  const rng = Rng.for(seed, 'protocols')
  for (let i = keys.length - 1; i > 0; i--) {
    const j = rng.int(0, i)
    ;[keys[i], keys[j]] = [keys[j] as string, keys[i] as string]
  }
  const counts = protocolCounts(mix, keys.length)
  const protocolOf = new Map<string, WatchProtocol>()
  let next = 0
  for (const p of WATCH_PROTOCOLS) for (let i = 0; i < counts[p]; i++) protocolOf.set(keys[next++] as string, p)
  for (const elder of file.elders) elder.watchProtocol = protocolOf.get(elder.key) ?? 'mqtt'
}

/**
 * The watch's own number (DESIGN §3b: 10–15 digits), from the seed and the elder: a 15-digit
 * IMEI-like number with China's `86` prefix. The same seed registers the same numbers, so
 * seeding one gateway twice with one seed is refused (409: the number is taken) — use another
 * seed or a fresh gateway, as for any re-registration of real watches.
 */
export function watchNumber(seed: number, elderKey: string): string {
  const a = hashSeed(seed, 'imei', elderKey) % 10_000_000
  const b = hashSeed(seed, 'imei-2', elderKey) % 1_000_000
  return `86${String(a).padStart(7, '0')}${String(b).padStart(6, '0')}`
}
