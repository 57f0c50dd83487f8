/**
 * DESIGN §2: rules/ imports no I/O and reads no clock — time is always an argument.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const SRC = join(import.meta.dirname, '..', 'src')

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : []
  })
}

/** Comments may cite the forbidden names (e.g. "no Date.now"); code may not use them. */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '')
}

const FORBIDDEN: Array<[string, RegExp]> = [
  ['import of pg', /from\s+['"]pg['"]|require\(\s*['"]pg['"]/],
  ['import of aedes', /from\s+['"]aedes/],
  ['import of fastify', /from\s+['"](@fastify\/|fastify)/],
  ['import of mqtt', /from\s+['"]mqtt/],
  ['import of node:net / net', /from\s+['"](node:)?net['"]/],
  ['import of node:timers / timers', /from\s+['"](node:)?timers/],
  ['import of node:fs / fs', /from\s+['"](node:)?fs(\/promises)?['"]/],
  ['dynamic import', /\bimport\s*\(/],
  ['Date.now()', /Date\.now\s*\(/],
  ['new Date() without an argument', /new\s+Date\s*\(\s*\)/],
  ['Math.random', /Math\.random/],
  ['performance.now', /performance\.now/],
  ['setTimeout / setInterval / setImmediate', /\b(setTimeout|setInterval|setImmediate|queueMicrotask)\s*\(/],
  ['process', /\bprocess\./],
]

describe('rules/src is pure', () => {
  const all = files(SRC)
  it('has source files to check', () => {
    expect(all.length).toBeGreaterThan(5)
  })
  it.each(all.map((f) => [f.slice(SRC.length + 1), f]))('%s uses no I/O, clock or randomness', (_name, path) => {
    const text = code(readFileSync(path, 'utf8'))
    const found = FORBIDDEN.filter(([, re]) => re.test(text)).map(([what]) => what)
    expect(found).toEqual([])
  })
  it('the checker itself catches a violation', () => {
    const bad = code("import net from 'node:net'\nconst t = Date.now()\n")
    expect(FORBIDDEN.filter(([, re]) => re.test(bad)).map(([w]) => w)).toEqual(['import of node:net / net', 'Date.now()'])
  })
})
