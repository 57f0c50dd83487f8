import { readdir, readFile } from 'node:fs/promises'
import { basename, isAbsolute, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { z } from 'zod'
import { knownPlaceRef } from './places'
import { archetypeFile, scenarioFile, type Archetype, type ScenarioFile } from './schema'

/**
 * Loading and checking scenario files. A bad file is refused with every problem named by its
 * field path (`days[1].plan[2].to: unknown place 'lecture_hal'`), so a scenario author fixes
 * the JSON without reading code.
 */
export const SCENARIO_ROOT = fileURLToPath(new URL('../../scenarios', import.meta.url))

export class ScenarioError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`${file}: ${problems.join('; ')}`)
  }
}

export interface Scenario extends ScenarioFile {
  file: string
  archetypeSpec: Archetype
}

function pathOf(path: ReadonlyArray<PropertyKey>): string {
  return path.reduce<string>((s, k) => (typeof k === 'number' ? `${s}[${k}]` : s ? `${s}.${String(k)}` : String(k)), '') || '(file)'
}

function zodProblems(error: z.ZodError): string[] {
  return error.issues.map((i) => `${pathOf(i.path)}: ${i.message}`)
}

/** Checks what the schema cannot: place references, archetypes, moments inside the run. */
function meaningProblems(s: ScenarioFile, archetypes: Record<string, Archetype>, days: number | undefined): string[] {
  const problems: string[] = []
  const own = Object.keys(s.places)
  const ref = (path: string, value: string) => {
    if (!knownPlaceRef(value, own)) problems.push(`${path}: unknown place '${value}'`)
  }
  if (!archetypes[s.elder.archetype]) problems.push(`elder.archetype: unknown archetype '${s.elder.archetype}' (known: ${Object.keys(archetypes).join(', ')})`)
  if (s.elder.home) ref('elder.home.near', s.elder.home.near)
  for (const [name, p] of Object.entries(s.places)) {
    if (p.from === name) problems.push(`places.${name}.from: a place cannot be placed from itself`)
    else ref(`places.${name}.from`, p.from)
  }
  s.days.forEach((d, i) => {
    d.plan?.forEach((step, j) => {
      if (step.do === 'go') ref(`days[${i}].plan[${j}].to`, step.to)
    })
    if (days !== undefined) d.days.forEach((n, j) => n > days && problems.push(`days[${i}].days[${j}]: day ${n} is after the run's last day (${days})`))
  })
  const seen = new Map<number, number>()
  s.days.forEach((d, i) => d.days.forEach((n) => {
    const prev = seen.get(n)
    if (prev !== undefined) problems.push(`days[${i}].days: day ${n} is also overridden by days[${prev}]`)
    seen.set(n, i)
  }))
  s.elder.watch?.deadLink?.forEach((w, i) => {
    if (days !== undefined && w.to.day > days) problems.push(`elder.watch.deadLink[${i}].to.day: day ${w.to.day} is after the run's last day (${days})`)
  })
  s.expect.forEach((e, i) => {
    if (s.mustNot.includes(e.rule)) problems.push(`expect[${i}].rule: ${e.rule} is also in mustNot`)
    if (days !== undefined && e.at.day > days) problems.push(`expect[${i}].at.day: day ${e.at.day} is after the run's last day (${days})`)
  })
  if (s.allow.length > 0 && !s.mustNot.includes('*')) problems.push('allow: only meaningful with mustNot ["*"]')
  if (s.kind === 'benign' && s.mustNot.length === 0) problems.push('mustNot: a benign scenario must say which rules must stay quiet')
  return problems
}

/** Validates parsed JSON as a scenario; throws ScenarioError naming every bad field. */
export function parseScenario(raw: unknown, file: string, archetypes: Record<string, Archetype>, opts: { days?: number } = {}): Scenario {
  const parsed = scenarioFile.safeParse(raw)
  if (!parsed.success) throw new ScenarioError(file, zodProblems(parsed.error))
  const problems = meaningProblems(parsed.data, archetypes, opts.days)
  const expectedName = basename(file).replace(/\.json$/, '')
  if (file.endsWith('.json') && parsed.data.name !== expectedName) problems.push(`name: '${parsed.data.name}' does not match the file name '${expectedName}'`)
  if (problems.length > 0) throw new ScenarioError(file, problems)
  return { ...parsed.data, file, archetypeSpec: archetypes[parsed.data.elder.archetype] as Archetype }
}

async function readJson(path: string): Promise<unknown> {
  const text = await readFile(path, 'utf8')
  try {
    return JSON.parse(text) as unknown
  } catch (err) {
    throw new ScenarioError(path, [`not valid JSON: ${(err as Error).message}`])
  }
}

export async function loadArchetypes(path = join(SCENARIO_ROOT, 'archetypes.json')): Promise<Record<string, Archetype>> {
  const parsed = archetypeFile.safeParse(await readJson(path))
  if (!parsed.success) throw new ScenarioError(path, zodProblems(parsed.error))
  return parsed.data
}

export async function loadScenario(path: string, opts: { days?: number; archetypes?: Record<string, Archetype> } = {}): Promise<Scenario> {
  return parseScenario(await readJson(path), path, opts.archetypes ?? (await loadArchetypes()), opts)
}

/** A set is a folder of scenario files: `standard` is simulators/scenarios/standard; a path works too. */
export function setDirectory(set: string): string {
  return set.includes('/') || isAbsolute(set) ? set : join(SCENARIO_ROOT, set)
}

/** Every scenario of a set (optionally only the named ones), in file-name order. */
export async function loadSet(set: string, opts: { days?: number; only?: readonly string[] } = {}): Promise<Scenario[]> {
  const dir = setDirectory(set)
  let names: string[]
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.json')).sort()
  } catch {
    throw new Error(`no scenario set '${set}' (looked in ${dir})`)
  }
  if (opts.only) {
    const missing = opts.only.filter((n) => !names.includes(`${n}.json`))
    if (missing.length > 0) throw new Error(`set '${set}' has no scenario ${missing.join(', ')}`)
    names = names.filter((n) => opts.only?.includes(n.replace(/\.json$/, '')))
  }
  const archetypes = await loadArchetypes()
  return Promise.all(names.map((n) => loadScenario(join(dir, n), { archetypes, ...(opts.days !== undefined ? { days: opts.days } : {}) })))
}

/** The last day any scenario touches: the run must be at least this long. */
export function daysNeeded(scenarios: readonly Scenario[]): number {
  let last = 1
  for (const s of scenarios) {
    for (const d of s.days) last = Math.max(last, ...d.days)
    for (const e of s.expect) last = Math.max(last, e.at.day)
    for (const a of s.expectedAway) last = Math.max(last, a.to.day)
    for (const w of s.elder.watch?.deadLink ?? []) last = Math.max(last, w.to.day)
  }
  return last
}
