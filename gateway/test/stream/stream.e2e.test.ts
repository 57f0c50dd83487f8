import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { seedElders, type SeededDevice } from '../../../test/support/api-client'
import { connectDevice, startTestGateway, type TestGateway } from '../../../test/support/gateway'
import type { Change } from '../../src/stream/change-log-store'
import { dataOf, openStream, type SseStream } from './sse-client'

/**
 * The live stream in the whole gateway: an SOS published over MQTT reaches a board's SSE
 * stream as an alert change, device status as device changes, and a board that reconnects
 * with Last-Event-ID gets what it missed. Skips itself until gateway.ts mounts the stream
 * (GET /api/v1/stream answers 404 before that); stream.test.ts covers the module meanwhile.
 */
describe('live stream in the gateway', () => {
  let t: TestGateway
  let watch: SeededDevice
  let wired = false
  const open: SseStream[] = []
  const connect = async (opts: Parameters<typeof openStream>[1] = {}) => {
    const stream = await openStream(`http://127.0.0.1:${t.gateway.httpPort}`, { query: { access_token: t.api.token! }, ...opts })
    open.push(stream)
    await stream.waitForEvents(1)
    return stream
  }

  beforeAll(async () => {
    t = await startTestGateway()
    ;[watch] = (await seedElders(t.api, 1)) as [SeededDevice]
    const probe = await openStream(`http://127.0.0.1:${t.gateway.httpPort}`, { token: t.api.token! })
    wired = probe.status === 200
    probe.close()
  })
  afterAll(async () => {
    for (const stream of open) stream.close()
    await t?.stop()
    await t?.drop()
  })

  it('pushes an SOS over MQTT as a red alert change, device status as device changes, and resumes with Last-Event-ID', async () => {
    expect(wired).toBe(true)
    const board = await connect()
    const client = await connectDevice(t.mqttUrl, watch.id, watch.secret, { will: { topic: `eg/v1/${watch.id}/status`, payload: Buffer.from('offline'), qos: 1, retain: true } })
    await client.publishAsync(`eg/v1/${watch.id}/status`, 'online', { qos: 1, retain: true })
    await client.publishAsync(`eg/v1/${watch.id}/event`, JSON.stringify({ ts: Date.now(), type: 'sos' }), { qos: 1 })

    const [alert] = await board.waitForEvents(1, { topics: ['alert'] })
    const change = dataOf<Change>(alert!)
    expect(change.topic).toBe('alert')
    expect(change.payload).toMatchObject({ alert: { rule: 'safety.sos', level: 'red', elderId: watch.elderId } })
    const [online] = await board.waitForEvents(1, { topics: ['device'] })
    expect(dataOf<Change>(online!).payload).toMatchObject({ deviceId: watch.id, elderId: watch.elderId, online: true })

    // The board goes away; the watch drops off meanwhile.
    board.close()
    const lastSeen = Number(board.events.at(-1)!.id)
    await client.endAsync(true)
    const back = await connect({ lastEventId: String(lastSeen) })
    const [offline] = await back.waitForEvents(1, { topics: ['device'] })
    expect(dataOf<Change>(offline!).payload).toMatchObject({ deviceId: watch.id, online: false })
    const ids = back.events.filter((e) => e.event !== 'hello').map((e) => Number(e.id))
    expect(ids[0]).toBe(lastSeen + 1)
    expect(new Set(ids).size).toBe(ids.length)
  })
})
