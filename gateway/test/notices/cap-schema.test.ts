import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { XMLParser } from 'fast-xml-parser'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Found } from '../../../test/support/timescale-servers'
import { findTool, toolSuite } from '../../../test/support/tools'
import { renderCap, validateCap } from '../../src/notices/cap'
import { composeNotice, type NoticeDraft } from '../../src/notices/notice-content'
import { placeOf, type FixCandidate, type VenueShape } from '../../src/notices/notice-location'
import { NOTICE_LANGUAGES } from '../../src/registry/types'
import { EVENT_AT, RULES, SAMPLES } from './notice-samples'

/**
 * Every CAP notice the gateway can render — every rule of DESIGN §5 × every level its alert can
 * have × zh-CN and en × no fix (the home), a fix at home, a fix in a venue, a fix elsewhere ×
 * with and without EG_OPERATOR_CONTACT, and the rule's evidence missing — checked against the
 * OASIS CAP 1.2 schema with xmllint, not only by our own validateCap.
 *
 * The schema is the shared folder's (`../shared/schemas/CAP-v1.2.xsd` beside the repository, or
 * under EG_SHARED_DIR, as .ci/run finds it). Without xmllint or the schema the suite is skipped
 * with the reason in its title — unless EG_TEST_TOOLS_REQUIRED=1 (CI), where it fails.
 */
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url))
const sharedDir = process.env.EG_SHARED_DIR ?? join(dirname(repoRoot.replace(/\/+$/, '')), 'shared')
const schemaPath = join(sharedDir, 'schemas', 'CAP-v1.2.xsd')

const schema: Found = existsSync(schemaPath) ? { url: schemaPath } : { missing: `no CAP schema at ${schemaPath} (set EG_SHARED_DIR)` }
const suite = toolSuite('every CAP notice validates against the OASIS CAP 1.2 schema', findTool('xmllint', ['--version'], 'apt-get install libxml2-utils'), schema)

const HOME = { lat: 31.2304, lon: 121.4737, radiusM: 150 }
const at = (iso: string) => Date.parse(iso)
const VENUE: VenueShape = { id: 'v-hall', name: '幸福健康讲座 & "会场" <2号厅>', kind: 'sales', lat: 31.25, lon: 121.49, radiusM: 80, polygon: null }
const PLACES: Array<{ name: string; fix: FixCandidate | null; venue: VenueShape | null }> = [
  { name: 'home, no fix', fix: null, venue: null },
  { name: 'fix at home', fix: { lat: 31.2305, lon: 121.4738, ts: at('2026-11-28T08:19:30Z'), acc: 12 }, venue: null },
  { name: 'fix in a venue', fix: { lat: 31.25, lon: 121.4901, ts: at('2026-11-28T08:19:30Z'), acc: null }, venue: VENUE },
  { name: 'fix 7.7 km away', fix: { lat: 31.3, lon: 121.52, ts: at('2026-11-28T08:19:30Z'), acc: 35 }, venue: null },
]

interface Case {
  file: string
  language: string
  contact: string | undefined
  xml: string
}

function draft(rule: string, level: NoticeDraft['level'], evidence: Record<string, unknown>, n: number): NoticeDraft {
  return {
    noticeId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    tenantId: 'county-a',
    alertId: `alert-${n}`,
    elderId: 'elder-1',
    audience: 'police',
    level,
    rule,
    count: 2,
    firstAt: '2026-11-28T08:00:00.000Z',
    lastAt: EVENT_AT,
    // Names and addresses are typed by operators: XML's special characters must come through.
    elder: n % 2 === 0 ? { name: '邓秀兰 <&> "阿兰"', address: '城关镇幸福路 12 号 3 单元', phone: '+86 138 0000 0000' } : { name: '邓秀兰', address: null, phone: null },
    evidence,
    sentAt: '2026-11-28T08:20:01.234Z',
    receiptUrl: `https://gw.example/api/v1/notices/${n}/receipt`,
    station: { id: 's1', name: '城关派出所' },
  }
}

function renderAll(dir: string): Case[] {
  const cases: Case[] = []
  let n = 0
  for (const rule of RULES) {
    const sample = SAMPLES[rule]!
    for (const level of sample.levels) {
      for (const evidence of [sample.evidence, {}]) {
        for (const language of NOTICE_LANGUAGES) {
          for (const place of PLACES) {
            for (const contact of [undefined, '城关智慧养老服务中心 0571-8888 0000']) {
              n++
              const content = composeNotice(draft(rule, level, evidence, n), placeOf(place.fix, HOME, place.venue), HOME, language, 'Asia/Shanghai')
              const xml = renderCap(content, { sender: 'eldergate.county-a', fallbackRadiusM: HOME.radiusM, operatorContact: contact })
              const file = join(dir, `${String(n).padStart(4, '0')}-${rule}-${level}-${language}-${place.name.replace(/\W+/g, '_')}.xml`)
              writeFileSync(file, xml)
              cases.push({ file, language, contact, xml })
            }
          }
        }
      }
    }
  }
  return cases
}

const parser = new XMLParser({ ignoreAttributes: false, parseTagValue: false, isArray: (name) => name === 'info' || name === 'area' })

describe.skipIf(suite.skip)(suite.title, () => {
  let dir: string
  let cases: Case[]
  beforeAll(() => {
    suite.check()
    dir = mkdtempSync(join(tmpdir(), 'eg-cap-'))
    cases = renderAll(dir)
  })
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it('xmllint --schema CAP-v1.2.xsd accepts every one', () => {
    expect(cases.length).toBeGreaterThan(500)
    // One xmllint for all files; it names each file that fails and exits non-zero.
    const result = spawnSync('xmllint', ['--noout', '--schema', schemaPath, ...cases.map((c) => c.file)], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
    const failures = result.stderr.split('\n').filter((line) => line !== '' && !line.endsWith(' validates'))
    expect(failures).toEqual([])
    expect(result.status).toBe(0)
  })

  it('and our own validateCap agrees; language, areaDesc, contact and local times are as promised', () => {
    for (const c of cases) {
      expect(validateCap(c.xml), c.file).toEqual([])
      const alert = (parser.parse(c.xml) as { alert: Record<string, unknown> & { info: Array<Record<string, unknown> & { area: Array<Record<string, unknown>> }> } }).alert
      const info = alert.info[0]!
      expect(info.language, c.file).toBe(c.language)
      expect(String(info.area[0]?.areaDesc ?? ''), c.file).not.toBe('')
      expect(info.contact, c.file).toBe(c.contact)
      expect(info.web, c.file).toBeUndefined()
      expect(alert.sent, c.file).toBe('2026-11-28T16:20:01+08:00')
      // Words for people carry local times with their offset, never UTC ISO strings.
      const words = `${String(info.headline)}\n${String(info.description)}\n${String(info.instruction)}`
      expect(words, c.file).not.toMatch(/\d{2}:\d{2}:\d{2}(\.\d+)?Z/)
      expect(String(info.description), c.file).toContain('(UTC+08:00)')
    }
  })
})
