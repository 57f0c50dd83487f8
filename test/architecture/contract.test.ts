import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import ts from 'typescript'

/**
 * One device contract (issue 14): topics, payload vocabularies, limits and levels are defined
 * once in contract/ and imported by the gateway, the rule engine, the simulators and the board.
 * These checks fail on a copy written back into any of them, and on a contract that starts to
 * depend on one of its users (it must stay importable by the pure rule engine and the browser).
 */
const root = fileURLToPath(new URL('../../', import.meta.url))

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? sources(path) : /\.tsx?$/.test(name) ? [path] : []
  })
}

/** Code without its comments: comments may quote the contract (`eg/v1/<id>/telemetry`). */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:])\/\/.*$/gm, '$1')
}

/** Literal copies of a contract definition, as they were found before the contract module. */
const COPIES: Array<[string, RegExp]> = [
  ['a topic built by hand (contract/topics.ts)', /[`'"]eg\/v1\//],
  ['a list of risk levels (contract/levels.ts)', /'green'\s*[,|]\s*'yellow'\s*[,|]\s*'orange'|'red'\s*[,|]\s*'orange'\s*[,|]\s*'yellow'/],
  ['a rank table of risk levels (contract/levels.ts)', /\{\s*green\s*:\s*0\s*,\s*yellow\s*:\s*1|\{\s*red\s*:\s*3\s*,\s*orange\s*:\s*2/],
  ['a list of device event types (contract/device-events.ts)', /'sos'\s*[,|]\s*'fall'\s*[,|]\s*'removed'/],
  ['a list of device kinds (contract/device-events.ts)', /'watch'\s*\|\s*'camera'/],
  ['a list of location sources (contract/device-events.ts)', /'gps'\s*[,|]\s*'wifi'\s*[,|]\s*'lbs'/],
  ['a list of acknowledgement statuses (contract/device-events.ts)', /'delivered'\s*\|\s*'played'\s*\|\s*'failed'/],
  ['a list of device channels (contract/topics.ts)', /'telemetry'\s*\|\s*'event'\s*\|\s*'status'/],
]

function copiesIn(text: string): string[] {
  const body = code(text)
  return COPIES.filter(([, re]) => re.test(body)).map(([what]) => what)
}

describe('the device contract', () => {
  const users = ['gateway/src', 'rules/src', 'simulators/src', 'dashboard/src'].flatMap((dir) => sources(join(root, dir)))

  it('has sources to check', () => {
    expect(users.length).toBeGreaterThan(100)
    expect(sources(join(root, 'contract')).length).toBeGreaterThanOrEqual(4)
  })

  it('is not copied into the gateway, the rule engine, the simulators or the board', () => {
    const found = users.flatMap((path) => copiesIn(readFileSync(path, 'utf8')).map((what) => `${relative(root, path)}: ${what}`))
    expect(found).toEqual([])
  })

  it('the copy check itself finds copies', () => {
    expect(copiesIn("const t = `eg/v1/${id}/telemetry`\ntype L = 'green' | 'yellow' | 'orange' | 'red'\nconst r = { red: 3, orange: 2 }")).toEqual([
      'a topic built by hand (contract/topics.ts)',
      'a list of risk levels (contract/levels.ts)',
      'a rank table of risk levels (contract/levels.ts)',
    ])
    expect(copiesIn("// topics under eg/v1/<id>/\nconst kinds = ['sos', 'fall', 'removed']")).toEqual(['a list of device event types (contract/device-events.ts)'])
  })

  it('imports nothing but zod, gcoord and itself: the pure rule engine and the browser import it', () => {
    const outside = sources(join(root, 'contract')).flatMap((path) =>
      ts
        .preProcessFile(readFileSync(path, 'utf8'), true, true)
        .importedFiles.map((ref) => ref.fileName)
        .filter((spec) => !(spec === 'zod' || spec === 'gcoord' || (spec.startsWith('./') && !spec.includes('..'))))
        .map((spec) => `${relative(root, path)} imports ${spec}`),
    )
    expect(outside).toEqual([])
  })
})
