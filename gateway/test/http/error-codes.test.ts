import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { errorCatalogue, type ErrorCode } from '../../src/errors'

/**
 * The error codes README.md names, checked against the one error catalogue (gateway/src/errors.ts)
 * the way fastify checks docs/Reference/Errors.md against lib/errors.js: every code the README
 * names exists, with the status the README gives it; and every code an HTTP client can get is
 * named in the README.
 */
const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8')

/** The README's `## ` sections whose heading mentions HTTP (the ingest and the operator contracts), subsections included. */
function httpSections(text: string): string {
  return text
    .split(/^(?=## )/m)
    .filter((section) => /^## [^\n]*\bHTTP\b/.test(section))
    .join('\n')
}

const http = httpSections(readme)

/** A backticked ALL_CAPS word in the HTTP sections is an error code, unless it is an environment variable. */
const CODE = /`([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*)`/g
const NOT_CODES = /^(EG_|DATABASE_URL$)/

function namedCodes(): string[] {
  const codes = new Set<string>()
  for (const [, word] of http.matchAll(CODE)) if (word !== undefined && !NOT_CODES.test(word)) codes.add(word)
  // A JSON example anywhere in the README: `{"error": {"code": "VALIDATION_FAILED", …}}`.
  for (const [, code] of readme.matchAll(/"code":\s*"([A-Z_]+)"/g)) if (code !== undefined) codes.add(code)
  return [...codes].sort()
}

/**
 * (status, code) as the README pairs them: a table row `| 404 | \`NOT_FOUND\` |`, prose
 * `409 \`CANDIDATE_NOT_OPEN\``, or `400 \`{"error": {"code": "VALIDATION_FAILED"`.
 */
function statusPairs(): Array<{ status: number; code: string; where: string }> {
  const pairs: Array<{ status: number; code: string; where: string }> = []
  const patterns = [/\|\s*(\d{3})\s*\|\s*`([A-Z][A-Z_]+)`/g, /\b(\d{3})\s+`([A-Z][A-Z_]+)`/g, /\b(\d{3})\s+`\{"error":\s*\{"code":\s*"([A-Z_]+)"/g]
  for (const pattern of patterns) {
    for (const match of http.matchAll(pattern)) {
      const [where, status, code] = match
      if (status !== undefined && code !== undefined && !NOT_CODES.test(code)) pairs.push({ status: Number(status), code, where })
    }
  }
  return pairs
}

/** Start-up and process errors: the gateway exits with them, no HTTP client ever gets one. */
const PROCESS_ONLY: readonly ErrorCode[] = ['CONFIG_INVALID', 'PORT_IN_USE', 'MIGRATION_FAILED', 'BROKER_UNAVAILABLE']

/**
 * HTTP codes the README does not name yet (proposed README text: an error table for the HTTP
 * contract). Exact on purpose, as fastify's doc test: once the README names one, take it off.
 */
const NOT_YET_IN_README: readonly ErrorCode[] = []

/** fastify's own request errors keep their status with this code (http/error-handler.ts): 413 and 415 bodies. */
const ALSO_AT: Partial<Record<ErrorCode, readonly number[]>> = { VALIDATION_FAILED: [413, 415] }

describe('error codes in README.md', () => {
  it('finds the HTTP sections and the codes they name', () => {
    expect(http).toContain('## HTTP contract')
    expect(http).toContain('## HTTP ingest')
    expect(namedCodes()).toEqual(expect.arrayContaining(['VALIDATION_FAILED', 'UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND', 'CONFLICT']))
    expect(statusPairs().length).toBeGreaterThan(5)
  })

  it('names only codes of the error catalogue', () => {
    const unknown = namedCodes().filter((code) => !(code in errorCatalogue))
    expect(unknown).toEqual([])
  })

  it('gives each code the status of the catalogue', () => {
    const wrong = statusPairs()
      .filter(({ code }) => code in errorCatalogue)
      .filter(({ status, code }) => {
        const c = code as ErrorCode
        return status !== errorCatalogue[c].status && !(ALSO_AT[c] ?? []).includes(status)
      })
      .map(({ status, code, where }) => `${where.trim()} — README says ${status}, the catalogue ${errorCatalogue[code as ErrorCode].status}`)
    expect(wrong).toEqual([])
  })

  it('names every code an HTTP client can get (the known gaps excepted, exactly)', () => {
    const named = new Set(namedCodes())
    const httpCodes = (Object.keys(errorCatalogue) as ErrorCode[]).filter((code) => !PROCESS_ONLY.includes(code))
    const undocumented = httpCodes.filter((code) => !named.has(code))
    expect(undocumented).toEqual([...NOT_YET_IN_README])
  })
})
