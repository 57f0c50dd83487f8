import { execFileSync } from 'node:child_process'
import type { Found } from './timescale-servers'

/**
 * Command-line peers the tests use as references (xmllint with the CAP schema, promtool):
 * a developer without one sees the suite skipped with the reason in its title; CI
 * (`.ci/run` sets EG_TEST_TOOLS_REQUIRED=1 after installing them) fails instead, so a missing
 * tool can never turn into a silently skipped check.
 */
export const toolsRequired = process.env.EG_TEST_TOOLS_REQUIRED === '1' || process.env.EG_TEST_TIMESCALE_REQUIRED === '1'

/** Whether `command args…` runs; `missing` says how to install it. */
export function findTool(command: string, args: string[], installHint: string): Found {
  try {
    execFileSync(command, args, { stdio: 'ignore' })
    return { url: command }
  } catch {
    return { missing: `${command} not installed (${installHint})` }
  }
}

export function toolSuite(name: string, ...found: Found[]): { skip: boolean; title: string; check(): void } {
  const gap = found.map((f) => f.missing).filter((m): m is string => m !== undefined).join('; ')
  return {
    skip: gap !== '' && !toolsRequired,
    title: gap !== '' && !toolsRequired ? `${name} — skipped: ${gap}` : name,
    check() {
      if (gap !== '') throw new Error(`EG_TEST_TOOLS_REQUIRED=1, but ${gap}`)
    },
  }
}
