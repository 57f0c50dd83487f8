import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

/**
 * Metrics are registered one way (issue 14): `createMetrics` in gateway/src/metrics.ts creates
 * every metric, the core ones itself and each area's through that area's `*metrics.ts` factory,
 * which only metrics.ts calls. Components receive their metrics; none registers one, looks one up
 * on the registry, or keeps one per registry on the side.
 */
const src = fileURLToPath(new URL('../../gateway/src/', import.meta.url))

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? sources(path) : name.endsWith('.ts') ? [path] : []
  })
}

const isMetricsModule = (file: string) => file === 'metrics.ts' || /(^|\/|-)metrics\.ts$/.test(file)
const REGISTERS = /new (Counter|Gauge|Histogram|Summary)\s*[<(]|getSingleMetric\s*\(|registerMetric\s*\(/

function violations(files: Array<[name: string, text: string]>): string[] {
  const out: string[] = []
  for (const [name, text] of files) {
    if (!isMetricsModule(name) && REGISTERS.test(text)) out.push(`${name} registers a metric`)
    if (name !== 'metrics.ts') {
      for (const m of text.matchAll(/import\s+\{([^}]*)\}\s+from\s+'[^']*metrics(\.js)?'/g)) {
        if (/\bcreate(?!Metrics\b)\w*(Metrics|Counter)\b/.test(m[1] ?? '')) out.push(`${name} creates metrics itself`)
      }
    }
  }
  return out
}

describe('metrics', () => {
  const files = sources(src).map((path): [string, string] => [relative(src, path), readFileSync(path, 'utf8')])

  it('are registered by createMetrics only', () => {
    expect(files.length).toBeGreaterThan(100)
    expect(violations(files)).toEqual([])
  })

  it('the check itself finds a component that registers its own', () => {
    expect(
      violations([
        ['voice/dispatcher.ts', "const c = registry.getSingleMetric('x') ?? new Counter({ name: 'x' })"],
        ['watch/index.ts', "import { createWatchMetrics } from './metrics'"],
        ['notices/notice-metrics.ts', "export const c = () => new Counter({ name: 'y' })"],
      ]),
    ).toEqual(['voice/dispatcher.ts registers a metric', 'watch/index.ts creates metrics itself'])
  })
})
