import type { MqttClient } from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { seedElders, type SeededDevice } from '../../../test/support/api-client'
import { collectCommands, connectDevice, startTestGateway, waitFor, type DeviceCommand, type TestGateway } from '../../../test/support/gateway'

/**
 * Issue 4 end to end, black box: an elder presses SOS on the watch (an MQTT event), the
 * gateway raises a red alert and speaks to the elder's devices: the watch gets the prompt on
 * its cmd topic at once and acks it played; the camera, offline at the time, gets it when it
 * connects. Only public interfaces: MQTT as a device, HTTP as an operator.
 * (Expiry, re-sends and the routes in detail: voice-delivery.test.ts.)
 */

describe('voice prompts end to end (SOS over MQTT → prompt at the devices)', () => {
  let t: TestGateway
  let watch: SeededDevice
  let camera: SeededDevice
  const clients: MqttClient[] = []

  beforeAll(async () => {
    t = await startTestGateway()
    ;[watch, camera] = (await seedElders(t.api, 1, { cameras: true })) as [SeededDevice, SeededDevice]
  })
  afterAll(async () => {
    for (const c of clients) await c.endAsync(true).catch(() => undefined)
    await t?.stop()
    await t?.drop()
  })

  async function device(d: SeededDevice): Promise<{ client: MqttClient; commands: DeviceCommand[] }> {
    const client = await connectDevice(t.mqttUrl, d.id, d.secret)
    clients.push(client)
    return { client, commands: await collectCommands(client, d.id) }
  }

  const prompts = async (query: string) =>
    (await t.api.request<{ items: Array<{ id: string; status: string; deviceId: string; alertId: string | null; origin: string }> }>('GET', `/api/v1/voice-prompts?${query}`)).items

  it('speaks an SOS alert on the watch, follows the ack to played, and reaches the camera when it connects', async () => {
    expect(watch.kind).toBe('watch')
    expect(camera.kind).toBe('camera')
    const w = await device(watch)
    await w.client.publishAsync(`eg/v1/${watch.id}/event`, JSON.stringify({ ts: Date.now(), type: 'sos' }), { qos: 1 })

    const command = await waitFor(async () => w.commands[0], { what: 'voice command at the watch' })
    expect(Object.keys(command).sort()).toEqual(['expiresAt', 'id', 'lang', 'priority', 'text', 'type'])
    expect(command).toMatchObject({ type: 'voice', lang: 'zh-CN', priority: 'high' })
    expect(command.text).toContain('求救')

    await w.client.publishAsync(`eg/v1/${watch.id}/cmd/ack`, JSON.stringify({ id: command.id, status: 'delivered', ts: Date.now() }), { qos: 1 })
    await w.client.publishAsync(`eg/v1/${watch.id}/cmd/ack`, JSON.stringify({ id: command.id, status: 'played', ts: Date.now() }), { qos: 1 })
    const played = await waitFor(async () => (await prompts(`deviceId=${watch.id}&status=played`))[0], { what: 'watch prompt played' })
    expect(played).toMatchObject({ id: command.id, origin: 'alert' })
    expect(played.alertId).toEqual(expect.any(String))

    expect((await prompts(`deviceId=${camera.id}`)).map((p) => p.status)).toEqual(['queued'])
    const c = await device(camera)
    const cameraCommand = await waitFor(async () => c.commands[0], { what: 'voice command at the camera after it connected' })
    expect(cameraCommand.text).toBe(command.text)
    await c.client.publishAsync(`eg/v1/${camera.id}/cmd/ack`, JSON.stringify({ id: cameraCommand.id, status: 'played', ts: Date.now() }), { qos: 1 })
    await waitFor(async () => (await prompts(`deviceId=${camera.id}&status=played`))[0], { what: 'camera prompt played' })
  })
})
