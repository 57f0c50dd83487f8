import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { importCircles, importGraph } from './import-graph'

/**
 * No import circles (issue 14): a circle means two modules can only be understood — and
 * initialised — together, and it is how "the alert path runs both ways" starts. Each source
 * tree is read with TypeScript's own pre-processor; type-only imports count.
 */
const root = (dir: string) => fileURLToPath(new URL(`../../${dir}`, import.meta.url))

describe('import graph', () => {
  it.each(['contract', 'gateway/src', 'rules/src', 'simulators/src', 'dashboard/src'])('%s has no import circles', (dir) => {
    expect(importCircles(importGraph(root(dir)))).toEqual([])
  })

  it('finds a circle when there is one (the check itself can fail)', () => {
    const graph = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts']],
      ['d.ts', ['a.ts']],
      ['e.ts', ['e.ts']],
    ])
    expect(importCircles(graph).sort()).toEqual([['a.ts', 'b.ts', 'c.ts'], ['e.ts']])
  })

  it('reads real imports, type-only and re-exports included', () => {
    const graph = importGraph(root('gateway/src'))
    expect(graph.get('gateway.ts')).toContain('watch/index.ts')
    expect(graph.get('alerts/alert-store.ts')).toContain('alerts/finding-store.ts')
    expect(graph.get('watch/connection.ts')).toContain('watch/port-context.ts')
  })
})
