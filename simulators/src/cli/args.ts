import { parseArgs, type ParseArgsConfig } from 'node:util'
import { parseProtocolMix, type ProtocolMix } from '../town/protocols'

/**
 * Shared CLI plumbing: every command declares its options once (for parseArgs and --help),
 * numbers are checked with the option named in the error, and a usage error exits 2.
 */
export class UsageError extends Error {}

export interface OptionSpec {
  type: 'string' | 'boolean'
  short?: string
  default?: string | boolean
  /** Shown in --help: the value's placeholder and what it means. */
  value?: string
  help: string
}

export interface Command {
  name: string
  summary: string
  /** Extra text after the options list (examples, notes). */
  notes?: string
  options: Record<string, OptionSpec>
  run(values: Record<string, string | boolean | undefined>): Promise<void>
}

export function helpText(command: Command): string {
  const lines = [`npm run sim -- ${command.name} [options]`, '', command.summary, '', 'Options:']
  const entries = Object.entries({ ...command.options, help: { type: 'boolean', short: 'h', help: 'show this help' } as OptionSpec })
  const left = entries.map(([name, o]) => `  ${o.short ? `-${o.short}, ` : '    '}--${name}${o.type === 'string' ? ` <${o.value ?? 'value'}>` : ''}`)
  const width = Math.max(...left.map((l) => l.length)) + 2
  entries.forEach(([, o], i) => {
    const def = o.default !== undefined && o.default !== false ? ` (default: ${String(o.default)})` : ''
    lines.push(`${(left[i] ?? '').padEnd(width)}${o.help}${def}`)
  })
  if (command.notes) lines.push('', command.notes)
  return lines.join('\n')
}

export function parseCommandArgs(command: Command, argv: string[]): Record<string, string | boolean | undefined> | 'help' {
  const options: NonNullable<ParseArgsConfig['options']> = { help: { type: 'boolean', short: 'h' } }
  for (const [name, o] of Object.entries(command.options)) {
    options[name] = { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.default !== undefined ? { default: o.default } : {}) } as NonNullable<ParseArgsConfig['options']>[string]
  }
  let values: Record<string, string | boolean | undefined>
  try {
    values = parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values as Record<string, string | boolean | undefined>
  } catch (err) {
    throw new UsageError((err as Error).message)
  }
  return values.help ? 'help' : values
}

export function str(values: Record<string, string | boolean | undefined>, name: string): string | undefined {
  const v = values[name]
  return typeof v === 'string' ? v : undefined
}

export function requireStr(values: Record<string, string | boolean | undefined>, name: string): string {
  const v = str(values, name)
  if (v === undefined || v === '') throw new UsageError(`--${name} is required`)
  return v
}

export function num(values: Record<string, string | boolean | undefined>, name: string, opts: { min?: number; max?: number; integer?: boolean } = {}): number {
  const raw = requireStr(values, name)
  const n = Number(raw)
  if (!Number.isFinite(n)) throw new UsageError(`--${name} must be a number, got '${raw}'`)
  if (opts.integer && !Number.isInteger(n)) throw new UsageError(`--${name} must be a whole number, got '${raw}'`)
  if (opts.min !== undefined && n < opts.min) throw new UsageError(`--${name} must be at least ${opts.min}, got ${n}`)
  if (opts.max !== undefined && n > opts.max) throw new UsageError(`--${name} must be at most ${opts.max}, got ${n}`)
  return n
}

/** A `--protocols mqtt:60,watch:30,http:10` option (town/protocols.ts). */
export function protocolMix(values: Record<string, string | boolean | undefined>, name: string): ProtocolMix {
  try {
    return parseProtocolMix(requireStr(values, name))
  } catch (err) {
    throw err instanceof UsageError ? err : new UsageError(`--${name}: ${(err as Error).message}`)
  }
}

export function time(values: Record<string, string | boolean | undefined>, name: string): number | undefined {
  const raw = str(values, name)
  if (raw === undefined) return undefined
  const ms = /^\d+$/.test(raw) ? Number(raw) : Date.parse(raw)
  if (Number.isNaN(ms)) throw new UsageError(`--${name} must be an ISO-8601 time (e.g. 2026-11-01T00:00:00+08:00) or epoch ms, got '${raw}'`)
  return ms
}

/** Resolves on SIGINT / SIGTERM so a long run can stop cleanly and still print its summary. */
export function interrupted(): Promise<string> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'))
    process.once('SIGTERM', () => resolve('SIGTERM'))
  })
}
