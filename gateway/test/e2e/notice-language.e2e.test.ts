import type { MqttClient } from 'mqtt'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connectDevice, startTestGateway, waitFor, type TestGateway } from '../../../test/support/gateway'
import { NoticeReceiver, type StoredNotice } from '../../../simulators/src/police/receiver'
import { validateCap } from '../../src/notices/cap'

/**
 * Issue 12 items 3 and 4 end to end, black box: devices over MQTT, the operator API over HTTP,
 * and the simulators' police receiver as a real station (it verifies every signature on its
 * own and refuses what does not verify). A fall reaches a CAP station in Chinese with local
 * times and an <areaDesc> naming the fix; a JSON station and an English-speaking son get theirs;
 * and an SOS pressed right after a fix far from home — while the writer cannot store anything
 * — is reported at that fix, not at the home the database still has.
 */
const SECRETS = { cap: 'cap-station-secret-0123456789', json: 'json-station-secret-0123456789', son: 'son-webhook-secret-0123456789' }
const OPERATOR = '城关智慧养老服务中心 0571-8888 0000'
const HOME = { lat: 30.25, lon: 120.16 }
/** About 7.7 km north-east of HOME. */
const FAR = { lat: 30.299, lon: 120.215 }

/** Asia/Shanghai has no daylight saving: local time is UTC+8, computed here without the gateway's code. */
function shanghai(ms: number): string {
  return `${new Date(ms + 8 * 3_600_000).toISOString().slice(0, 16).replace('T', ' ')} (UTC+08:00)`
}

describe('notices people can read and act on (zh-CN CAP and JSON, local times, freshest position)', () => {
  let t: TestGateway
  let receiver: NoticeReceiver
  let base: string
  const clients: MqttClient[] = []

  beforeAll(async () => {
    receiver = new NoticeReceiver({
      port: 0,
      secrets: new Map([
        ['/police-cap', [SECRETS.cap]],
        ['/police-json', [SECRETS.json]],
        ['/family/son', [SECRETS.son]],
      ]),
    })
    base = `http://127.0.0.1:${await receiver.listen()}`
    t = await startTestGateway({ env: { EG_OPERATOR_CONTACT: OPERATOR } })
  })
  afterAll(async () => {
    for (const c of clients) await c.endAsync(true).catch(() => undefined)
    await t?.stop()
    await t?.drop()
    await receiver?.close()
  })

  async function elderWithWatch(name: string, station: { path: string; secret: string; format: 'json' | 'cap' }, contacts: object[] = []) {
    const { id: policeStationId } = await t.api.request<{ id: string }>('POST', '/api/v1/police-stations', { name: '城关派出所', webhookUrl: `${base}${station.path}`, secret: station.secret, format: station.format })
    const elder = await t.api.request<{ id: string }>('POST', '/api/v1/elders', { name, home: { ...HOME, radiusM: 150 }, address: '城关镇幸福路 12 号', phone: '13800000000', policeStationId, contacts })
    const watch = await t.api.request<{ id: string; secret: string }>('POST', '/api/v1/devices', { elderId: elder.id, kind: 'watch' })
    const client = await connectDevice(t.mqttUrl, watch.id, watch.secret)
    clients.push(client)
    return { elderId: elder.id, watchId: watch.id, client }
  }

  const noticeFor = (elderId: string, audience: 'police' | 'family') =>
    waitFor(async () => receiver.notices.find((n) => n.elderId === elderId && n.audience === audience), { what: `${audience} notice for ${elderId}`, timeoutMs: 30_000 })

  it('a fall: the CAP station reads Chinese, local times with +08:00, where the fix is; JSON station and son get theirs; every signature verifies', async () => {
    const son = { name: '王强', relation: '儿子', webhookUrl: `${base}/family/son`, secret: SECRETS.son, language: 'en' }
    const cap = await elderWithWatch('邓秀兰', { path: '/police-cap', secret: SECRETS.cap, format: 'cap' })
    const json = await elderWithWatch('王秀英', { path: '/police-json', secret: SECRETS.json, format: 'json' }, [son])

    const fixAt = Date.now() - 2_000
    const fallAt = fixAt + 1_000
    for (const e of [cap, json]) {
      await e.client.publishAsync(`eg/v1/${e.watchId}/telemetry`, JSON.stringify({ ts: fixAt, lat: FAR.lat, lon: FAR.lon, acc: 20, src: 'gps' }), { qos: 1 })
      await e.client.publishAsync(`eg/v1/${e.watchId}/event`, JSON.stringify({ ts: fallAt, type: 'fall' }), { qos: 1 })
    }

    const capNotice: StoredNotice = await noticeFor(cap.elderId, 'police')
    expect(capNotice).toMatchObject({ format: 'cap', rule: 'safety.fall', level: 'red', elderName: '邓秀兰', language: 'zh-CN', contact: OPERATOR })
    expect(capNotice.summary).toBe(`邓秀兰可能摔倒（腕表检测到跌倒），时间 ${shanghai(fallAt)}，当时不在家。`)
    expect(capNotice.localTime).toBe(shanghai(fallAt))
    expect(capNotice.sentAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$/)
    expect(capNotice.place).toMatch(/^邓秀兰的手表定位，距家约7\.\d公里$/)
    expect(capNotice.location).toEqual(FAR)
    // The stored body is what was signed and sent; it is CAP 1.2 with the fix's time, in words, in local time.
    const stored = await t.api.request<{ body: string }>('GET', `/api/v1/notices/${capNotice.noticeId}`)
    expect(validateCap(stored.body)).toEqual([])
    expect(stored.body).toContain(`定位时间 ${shanghai(fixAt)}`)
    expect(stored.body).not.toContain('<web>')
    expect(stored.body).not.toMatch(/<contact>13800000000<\/contact>/)

    const jsonNotice = await noticeFor(json.elderId, 'police')
    expect(jsonNotice).toMatchObject({ format: 'json', language: 'zh-CN', localTime: shanghai(fallAt), location: FAR, summary: `王秀英可能摔倒（腕表检测到跌倒），时间 ${shanghai(fallAt)}，当时不在家。` })
    expect(jsonNotice.place).toMatch(/^王秀英的手表定位，距家约7\.\d公里$/)
    const sonNotice = await noticeFor(json.elderId, 'family')
    expect(sonNotice).toMatchObject({ format: 'json', language: 'en', summary: `王秀英 may have fallen (fall detected) at ${shanghai(fallAt)}, away from home.` })
    expect(sonNotice.place).toMatch(/^Watch fix of 王秀英, 7\.\d km from home$/)

    // The receiver refuses (401) anything whose signature does not verify: nothing was.
    expect(receiver.stats.refused).toEqual({})
    expect(receiver.stats.unparseable).toBe(0)
  })

  it('an SOS right after a fix far from home, while the writer cannot store it, is reported at that fix', async () => {
    const e = await elderWithWatch('李桂英', { path: '/police-json', secret: SECRETS.json, format: 'json' })
    // An earlier fix at home is stored: the database's newest fix is the home.
    await e.client.publishAsync(`eg/v1/${e.watchId}/telemetry`, JSON.stringify({ ts: Date.now() - 60_000, lat: HOME.lat, lon: HOME.lon, acc: 15, src: 'gps' }), { qos: 1 })
    await waitFor(async () => (await t.api.request<{ items: unknown[] }>('GET', `/api/v1/elders/${e.elderId}/telemetry?kind=watch`)).items.length > 0, { what: 'home fix stored' })

    // Writes to readings now wait (EXCLUSIVE blocks inserts, not reads): the far fix stays unstored.
    const blocker = new pg.Client({ connectionString: t.database?.url })
    await blocker.connect()
    try {
      await blocker.query('BEGIN')
      await blocker.query('LOCK TABLE readings IN EXCLUSIVE MODE')
      const fixAt = Date.now()
      await e.client.publishAsync(`eg/v1/${e.watchId}/telemetry`, JSON.stringify({ ts: fixAt, lat: FAR.lat, lon: FAR.lon, acc: 25, src: 'gps' }), { qos: 0 })
      await e.client.publishAsync(`eg/v1/${e.watchId}/event`, JSON.stringify({ ts: fixAt + 500, type: 'sos' }), { qos: 0 })

      const notice = await noticeFor(e.elderId, 'police')
      const unstored = await blocker.query('SELECT 1 FROM readings WHERE elder_id = $1 AND lat = $2', [e.elderId, FAR.lat])
      expect(unstored.rows).toEqual([])
      expect(notice.location).toEqual(FAR)
      expect(notice.place).toMatch(/^李桂英的手表定位，距家约7\.\d公里$/)
      // The engine still has her at home (it waits for a confirming fix); the notice, showing the
      // fix 7.7 km off, says neither rather than "at home".
      expect(notice.summary).toBe(`李桂英于 ${shanghai(fixAt + 500)} 按下SOS紧急求救。`)
      const body = (await t.api.request<{ body: string }>('GET', `/api/v1/notices/${notice.noticeId}`)).body
      expect(JSON.parse(body)).toMatchObject({ location: { lat: FAR.lat, lon: FAR.lon, source: 'watch', at: new Date(fixAt).toISOString(), accuracyM: 25 } })
    } finally {
      await blocker.query('COMMIT').catch(() => undefined)
      await blocker.end()
    }
  })
})
