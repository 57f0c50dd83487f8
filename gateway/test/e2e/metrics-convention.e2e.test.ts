import { spawnSync } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { seedElders, type SeededDevice } from '../../../test/support/api-client'
import { connectDevice, startTestGateway, waitFor, type TestGateway } from '../../../test/support/gateway'
import { findTool, toolSuite } from '../../../test/support/tools'

/**
 * Issue 13 item 6: /metrics follows Prometheus' conventions as Prometheus' own checker reads
 * them (`promtool check metrics`, Debian's prometheus package), with the series a working
 * gateway has — labelled counters included, after real MQTT traffic, a rejected payload and an
 * SOS — and the standard process and Node.js metrics under their standard names, which stock
 * dashboards look for.
 */
const suite = toolSuite('/metrics passes promtool check metrics', findTool('promtool', ['--version'], 'apt-get install prometheus'))

describe.skipIf(suite.skip)(suite.title, () => {
  let t: TestGateway
  let watch: SeededDevice

  beforeAll(async () => {
    suite.check()
    t = await startTestGateway({ storage: 'pglite' })
    ;[watch] = (await seedElders(t.api, 1)) as [SeededDevice]
    const client = await connectDevice(t.mqttUrl, watch.id, watch.secret)
    await client.publishAsync(`eg/v1/${watch.id}/telemetry`, JSON.stringify({ ts: Date.now(), lat: 31.2, lon: 121.4, bat: 80 }), { qos: 1 })
    await client.publishAsync(`eg/v1/${watch.id}/telemetry`, '{"ts": "not a time"', { qos: 1 })
    await client.publishAsync(`eg/v1/${watch.id}/event`, JSON.stringify({ ts: Date.now(), type: 'sos' }), { qos: 1 })
    await client.endAsync()
    await waitFor(async () => (await t.api.request<{ items: unknown[] }>('GET', `/api/v1/alerts?elderId=${watch.elderId}`)).items.length > 0, { what: 'the SOS alert' })
  })
  afterAll(async () => {
    await t?.stop()
    await t?.drop()
  })

  it('promtool finds nothing to complain about', async () => {
    const text = await (await fetch(`${t.api.baseUrl}/metrics`)).text()
    expect(text).toContain('eg_messages_rejected_total{')
    const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' })
    expect({ status: check.status, problems: `${check.stdout}${check.stderr}`.trim() }).toEqual({ status: 0, problems: '' })
  })

  it('keeps the standard process and Node.js metric names', async () => {
    const text = await (await fetch(`${t.api.baseUrl}/metrics`)).text()
    for (const name of ['process_cpu_user_seconds_total', 'process_resident_memory_bytes', 'process_start_time_seconds', 'nodejs_heap_size_used_bytes', 'nodejs_eventloop_lag_p99_seconds', 'nodejs_active_handles']) {
      expect(text).toMatch(new RegExp(`^${name}(\\{[^}]*\\})? `, 'm'))
    }
    expect(text).not.toMatch(/^eg_process_/m)
  })
})
