import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ADMIN_PASSWORD, startTestGateway, waitFor, type TestGateway } from '../../test/support/gateway'
import { GatewayApi } from '../src/core/api-client'
import { TownSim, type RunSummary } from '../src/run/town-sim'
import { generateTown } from '../src/town/generate'
import { seedTown } from '../src/town/seed'
import { Town } from '../src/town/town'

/**
 * The simulators against a real gateway, only through HTTP and MQTT: seed a 3-elder town,
 * run one simulated day at high speed, and find the readings stored and the devices online.
 */
describe('seed + run against a real gateway (EG_CLOCK=event)', () => {
  let gw: TestGateway
  let api: GatewayApi
  let town: Town
  let sim: TownSim
  let summary: RunSummary
  const commands: string[] = []

  beforeAll(async () => {
    gw = await startTestGateway({ env: { EG_CLOCK: 'event' } })
    api = new GatewayApi(gw.api.baseUrl)
    await api.login('admin', ADMIN_PASSWORD)
    town = new Town(generateTown({ seed: 7, elders: 3, receiverUrl: 'http://127.0.0.1:9' }))
    await seedTown(api, town)
    // One day in about four seconds; flaky links on, so buffered array uploads are exercised.
    sim = new TownSim({ town, mqttUrl: gw.mqttUrl, seed: 7, speed: 20_000, days: 1, flakiness: 0.9, onCommand: (_d, c) => commands.push(c.id) })
    await sim.startRun()
    summary = await sim.done()
  })

  afterAll(async () => {
    await sim?.stop()
    await gw?.stop()
    await gw?.drop()
  })

  it('registered the town: elders with a watch and a camera each, venues, the police station', async () => {
    const elders = await api.get<{ total: number }>('/api/v1/elders')
    expect(elders.total).toBe(3)
    const devices = await api.get<{ total: number }>('/api/v1/devices')
    expect(devices.total).toBe(6)
    const venues = await api.get<{ items: Array<{ kind: string }> }>('/api/v1/venues?limit=1000')
    expect(new Set(venues.items.map((v) => v.kind))).toEqual(new Set(['sales', 'investment', 'travel', 'bank', 'care', 'hospital', 'other']))
    expect(town.file.policeStation.id).toBeTruthy()
  })

  it('stored every reading the devices sent, buffered uploads included', async () => {
    expect(summary.readings).toBeGreaterThan(3 * 300)
    expect(summary.buffered).toBeGreaterThan(0)
    const stored = async () => {
      let total = 0
      for (const elder of town.elders) {
        const t = await api.get<{ items: Array<{ kind: string }> }>(`/api/v1/elders/${elder.id}/telemetry?from=${sim.start}&to=${sim.end}&limit=10000`)
        expect(new Set(t.items.map((r) => r.kind))).toEqual(new Set(['watch', 'camera']))
        total += t.items.length
      }
      return total
    }
    await waitFor(async () => (await stored()) === summary.readings, { what: `${summary.readings} stored readings` })
    expect(await stored()).toBe(summary.readings)
  })

  it('shows each device online while connected, offline after a clean stop', async () => {
    const ids = town.elders.flatMap((e) => [e.watch!.id, e.camera!.id])
    for (const id of ids) await waitFor(async () => (await api.get<{ online: boolean }>(`/api/v1/devices/${id}`)).online === true, { what: `${id} online` })
    await sim.stop()
    for (const id of ids) await waitFor(async () => (await api.get<{ online: boolean }>(`/api/v1/devices/${id}`)).online === false, { what: `${id} offline` })
  })
})
