import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import ts from 'typescript'

/**
 * The module graph of a source tree, read with TypeScript's own pre-processor (the imports it
 * sees, type-only ones included — `import type` still ties two modules' definitions together).
 * Relative imports only: packages cannot be part of a circle of ours.
 */
export function importGraph(root: string): Map<string, string[]> {
  const files = listTs(root)
  const known = new Set(files)
  const graph = new Map<string, string[]>()
  for (const file of files) {
    const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true)
    const targets: string[] = []
    for (const ref of info.importedFiles) {
      if (!ref.fileName.startsWith('.')) continue
      const target = resolveImport(dirname(file), ref.fileName, known)
      if (target !== undefined) targets.push(target)
    }
    graph.set(relative(root, file), targets.map((t) => relative(root, t)))
  }
  return graph
}

function listTs(dir: string): string[] {
  const out: string[] = []
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) out.push(...listTs(path))
    else if (/\.tsx?$/.test(name) && !name.endsWith('.d.ts')) out.push(path)
  }
  return out
}

function resolveImport(from: string, spec: string, known: Set<string>): string | undefined {
  const base = resolve(from, spec.replace(/\.js$/, ''))
  for (const candidate of [`${base}.ts`, `${base}.tsx`, join(base, 'index.ts')]) if (known.has(candidate)) return candidate
  return undefined
}

/** Strongly connected components with more than one module (or a module importing itself): the import circles. */
export function importCircles(graph: Map<string, string[]>): string[][] {
  let index = 0
  const indices = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const circles: string[][] = []
  // Iterative Tarjan: the graph is deep enough that recursion is a needless risk.
  for (const start of graph.keys()) {
    if (indices.has(start)) continue
    const work: Array<{ node: string; next: number }> = [{ node: start, next: 0 }]
    indices.set(start, index)
    low.set(start, index++)
    stack.push(start)
    onStack.add(start)
    while (work.length > 0) {
      const top = work[work.length - 1]!
      const edges = graph.get(top.node) ?? []
      if (top.next < edges.length) {
        const to = edges[top.next++]!
        if (!indices.has(to)) {
          indices.set(to, index)
          low.set(to, index++)
          stack.push(to)
          onStack.add(to)
          work.push({ node: to, next: 0 })
        } else if (onStack.has(to)) low.set(top.node, Math.min(low.get(top.node)!, indices.get(to)!))
        continue
      }
      work.pop()
      const parent = work[work.length - 1]
      if (parent) low.set(parent.node, Math.min(low.get(parent.node)!, low.get(top.node)!))
      if (low.get(top.node) === indices.get(top.node)) {
        const component: string[] = []
        let member: string
        do {
          member = stack.pop()!
          onStack.delete(member)
          component.push(member)
        } while (member !== top.node)
        if (component.length > 1 || (graph.get(top.node) ?? []).includes(top.node)) circles.push(component.sort())
      }
    }
  }
  return circles
}
