import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ADMIN_PASSWORD, startTestGateway, type TestGateway } from '../../test/support/gateway'
import { evaluate, type EvaluationResult } from '../src/evaluate/evaluation'
import { failingRules } from '../src/evaluate/score'
import { loadSet } from '../src/scenarios/load'

/**
 * The evaluator end to end against a real in-process gateway (embedded storage, event-time
 * rules): an SOS, repeated lectures and the daily market planted on three elders, a week run
 * at high speed, alerts read back over HTTP. The run waits for the gateway to settle by
 * polling, so the assertions hold however fast the machine is.
 */
describe('evaluate: a small scenario set against a real gateway', () => {
  let gw: TestGateway
  let result: EvaluationResult

  beforeAll(async () => {
    gw = await startTestGateway({ storage: 'pglite', env: { EG_CLOCK: 'event' } })
    const scenarios = await loadSet('standard', { only: ['sos-at-home', 'repeated-lectures', 'daily-market'], days: 7 })
    result = await evaluate({
      scenarios, httpUrl: gw.api.baseUrl, mqttUrl: gw.mqttUrl, password: ADMIN_PASSWORD,
      // No link drops: a reconnect's wall-clock latency is whole event minutes at this speed.
      seed: 42, days: 7, speed: 20_000, copies: 1, background: 0, flakiness: 0,
    })
  })

  afterAll(async () => {
    await gw?.stop()
    await gw?.drop()
  })

  it('detects the SOS and the repeated lectures', () => {
    const rule = (name: string) => result.card.rules.find((r) => r.rule === name)
    expect(rule('safety.sos')).toMatchObject({ planted: 1, detected: 1, missed: 0, recall: 1, precision: 1 })
    expect(rule('venue.repeat')).toMatchObject({ planted: 1, detected: 1, missed: 0, recall: 1, precision: 1 })
    expect(result.card.misses).toEqual([])
  })

  it('raises no false alert on the daily market', () => {
    expect(result.card.falseAlerts).toEqual([])
    const market = result.truths.find((t) => t.scenario === 'daily-market')!
    expect(result.alerts.filter((a) => a.elderId === market.elderId && a.rule !== 'device.offline' && a.rule !== 'device.battery')).toEqual([])
    expect(failingRules(result.card)).toEqual([])
  })

  it('sends the SOS to the police receiver', () => {
    expect(result.notices.byRule['safety.sos']).toBe(1)
  })
})
