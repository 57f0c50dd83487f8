import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

/**
 * One import style (issue 14): relative imports name the module without a `.js` suffix
 * (moduleResolution "Bundler": tsx, Vite, esbuild and tsc all resolve them), so a file reads
 * the same in every folder and a moved module is found by one search.
 */
const root = fileURLToPath(new URL('../../', import.meta.url))
const TREES = ['contract', 'gateway', 'rules', 'simulators', 'dashboard/src', 'dashboard/test', 'dashboard/bench', 'test']

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (name === 'node_modules' || name === 'dist') return []
    return statSync(path).isDirectory() ? sources(path) : /\.tsx?$/.test(name) ? [path] : []
  })
}

const SUFFIXED = /(?:from|import)\s*\(?\s*['"]\.{1,2}\/[^'"]*\.js['"]/g

function suffixedImports(text: string): string[] {
  return [...text.matchAll(SUFFIXED)].map((m) => m[0])
}

describe('import style', () => {
  it('relative imports carry no .js suffix', () => {
    // This file quotes suffixed imports as test data.
    const files = TREES.flatMap((tree) => sources(join(root, tree))).filter((path) => path !== fileURLToPath(import.meta.url))
    expect(files.length).toBeGreaterThan(300)
    const found = files.flatMap((path) => suffixedImports(readFileSync(path, 'utf8')).map((spec) => `${relative(root, path)}: ${spec}`))
    expect(found).toEqual([])
  })

  it('the check itself finds a suffixed import', () => {
    expect(suffixedImports("import { a } from './a.js'\nimport b from '../b'\nconst c = await import('../c.js')")).toEqual(["from './a.js'", "import('../c.js'"])
  })
})
