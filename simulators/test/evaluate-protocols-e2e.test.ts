import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ADMIN_PASSWORD, startTestGateway, type TestGateway } from '../../test/support/gateway'
import { evaluate, type EvaluationResult } from '../src/evaluate/evaluation'
import { failingRules } from '../src/evaluate/score'
import { loadSet } from '../src/scenarios/load'

/**
 * evaluate-e2e.test.ts again, with the elders' watches on the other two device protocols: the
 * 4G watch protocol over TCP (DESIGN §3b) and HTTP ingest from a vendor cloud (§3c). The same
 * planted week must give the same scorecard whatever the watch speaks: the SOS and the repeated
 * lectures detected, nothing on the daily market.
 */
describe('evaluate: the small scenario set with watches on the watch protocol and HTTP ingest', () => {
  let gw: TestGateway
  let result: EvaluationResult

  beforeAll(async () => {
    gw = await startTestGateway({ storage: 'pglite', env: { EG_CLOCK: 'event', EG_WATCH_PORT: '0' } })
    const scenarios = await loadSet('standard', { only: ['sos-at-home', 'repeated-lectures', 'daily-market'], days: 7 })
    result = await evaluate({
      scenarios, httpUrl: gw.api.baseUrl, mqttUrl: gw.mqttUrl, watchAddress: `127.0.0.1:${gw.watchPort}`, password: ADMIN_PASSWORD,
      protocols: { mqtt: 0, watch: 50, http: 50 },
      // No link drops: a reconnect's wall-clock latency is whole event minutes at this speed.
      // Three copies: with seed 42 every scenario lands on both protocols (asserted below).
      seed: 42, days: 7, speed: 20_000, copies: 3, background: 0, flakiness: 0,
    })
    // Nine elders' week at ×20,000 is about a minute of wall time; on a loaded machine, more.
  }, 300_000)

  afterAll(async () => {
    await gw?.stop()
    await gw?.drop()
  })

  it('ran every scenario on a watch-protocol watch and on an HTTP one', () => {
    expect(result.run.watchProtocols).toEqual({ mqtt: 0, watch: 5, http: 4 })
    const protocolOf = new Map(result.town.elders.map((e) => [e.id, e.watchProtocol]))
    for (const scenario of ['sos-at-home', 'repeated-lectures', 'daily-market']) {
      const spoken = new Set(result.truths.filter((t) => t.scenario === scenario).map((t) => protocolOf.get(t.elderId)))
      expect(spoken, scenario).toEqual(new Set(['watch', 'http']))
    }
  })

  it('detects the SOS and the repeated lectures', () => {
    const rule = (name: string) => result.card.rules.find((r) => r.rule === name)
    expect(rule('safety.sos')).toMatchObject({ planted: 3, detected: 3, missed: 0, recall: 1, precision: 1 })
    expect(rule('venue.repeat')).toMatchObject({ planted: 3, detected: 3, missed: 0, recall: 1, precision: 1 })
    expect(result.card.misses).toEqual([])
  })

  it('raises no false alert on the daily market', () => {
    expect(result.card.falseAlerts).toEqual([])
    for (const market of result.truths.filter((t) => t.scenario === 'daily-market')) {
      expect(result.alerts.filter((a) => a.elderId === market.elderId && a.rule !== 'device.offline' && a.rule !== 'device.battery')).toEqual([])
    }
    expect(failingRules(result.card)).toEqual([])
  })

  it('sends every SOS to the police receiver', () => {
    expect(result.notices.byRule['safety.sos']).toBe(3)
  })
})
