import { randomBytes } from 'node:crypto'
import type { MqttClient } from 'mqtt'
import type { ExternalBroker } from '../../src/broker-external/index'
import type { Db } from '../../src/storage/db'
import type { SeededDevice } from '../../../test/support/api-client'
import { connectDevice, startTestGateway, waitFor, type TestGateway } from '../../../test/support/gateway'
import type { TestDatabase } from '../../../test/support/databases'
import { dayWithVisit, offset, shanghaiMidnight, HOUR, MIN, type Place } from '../e2e/tracks'

/**
 * External-broker mode against the real Mosquitto of the test machine (127.0.0.1:1883, MQTT 5,
 * anonymous). Each run uses its own share group and freshly issued device ids, so other runs'
 * workers and devices on the same broker never interfere.
 */
export const CLUSTER_URL = process.env.EG_TEST_MQTT_URL ?? 'mqtt://127.0.0.1:1883'

export function uniqueShareGroup(): string {
  return `egtest${randomBytes(5).toString('hex')}`
}

export function startWorker(database: TestDatabase, shareGroup: string, env: Record<string, string> = {}): Promise<TestGateway> {
  return startTestGateway({
    database,
    env: {
      EG_BROKER: 'external',
      EG_MQTT_URL: CLUSTER_URL,
      EG_SHARE_GROUP: shareGroup,
      EG_CLOCK: 'event',
      EG_LEASE_TTL_MS: '3000',
      EG_FEED_POLL_MS: '100',
      ...env,
    },
  })
}

/** Messages a worker took from the cluster. */
export function receivedBy(worker: TestGateway): number {
  return (worker.gateway.broker as ExternalBroker).received()
}

/** A device on the cluster: anonymous there, but with its issued id as client id (DESIGN §3). */
export function connectToCluster(device: SeededDevice): Promise<MqttClient> {
  return connectDevice(CLUSTER_URL, device.id, device.secret, { protocolVersion: 5 })
}

export async function storedRows(db: Db, deviceIds: readonly string[]): Promise<number> {
  const [row] = await db.query<{ n: number }>(
    `SELECT (SELECT count(*) FROM readings WHERE device_id = ANY($1::text[])) + (SELECT count(*) FROM device_events WHERE device_id = ANY($1::text[])) AS n`,
    [deviceIds],
  )
  return row!.n
}

export interface ElderScenario {
  watch: SeededDevice
  camera: SeededDevice
  lectureHall: Place
  market: Place
}

/**
 * Three days of one elder, watch and camera publishing side by side: a health lecture (a
 * risky "sales" venue) on days 0 and 2, the market on day 1, the camera seeing the elder at
 * home mornings and evenings, and an SOS pressed on the evening of day 2. Expected: venue.repeat
 * and safety.sos. Days are paced like real days (each is evaluated before the next begins):
 * within a day, messages split over workers may be stored out of order, which the engine's
 * lateness window absorbs; weeks compressed into a second would not be realistic input.
 */
export async function publishElderScenario(
  s: ElderScenario,
  connect: (device: SeededDevice) => Promise<MqttClient>,
  dayDone: (expectedRows: number) => Promise<void>,
): Promise<void> {
  const watch = await connect(s.watch)
  const camera = await connect(s.camera)
  let rows = 0
  for (let d = 0; d < 3; d++) {
    const midnight = shanghaiMidnight(5 - d)
    const fixes = dayWithVisit(midnight, s.watch.home, d === 1 ? s.market : s.lectureHall, 9, 45)
    const sightings = [7, 8, 18, 19].map((h) => ({ ts: midnight + h * HOUR, presence: true, persons: 1, strangers: 0, motion: true }))
    for (let i = 0; i < fixes.length; i += 6) {
      await watch.publishAsync(`eg/v1/${s.watch.id}/telemetry`, JSON.stringify(fixes.slice(i, i + 6)), { qos: 1 })
    }
    for (const sighting of sightings) await camera.publishAsync(`eg/v1/${s.camera.id}/telemetry`, JSON.stringify(sighting), { qos: 1 })
    rows += fixes.length + sightings.length
    if (d === 2) {
      await watch.publishAsync(`eg/v1/${s.watch.id}/event`, JSON.stringify({ ts: midnight + 20 * HOUR + 5 * MIN, type: 'sos' }), { qos: 1 })
      rows += 1
    }
    await dayDone(rows)
  }
  await watch.endAsync()
  await camera.endAsync()
}

export function scenarioPlaces(home: Place): { lectureHall: Place; market: Place } {
  const lectureHall = offset(home, 2500, 1500)
  return { lectureHall, market: offset(lectureHall, 0, 3000) }
}

/** An elder's alerts reduced to what must not depend on which workers evaluated them. */
export async function alertSummary(t: TestGateway, elderId: string): Promise<string[]> {
  const { items } = await t.api.request<{ items: Array<{ rule: string; level: string; count: number }> }>('GET', `/api/v1/alerts?elderId=${elderId}`)
  // device.offline under EG_CLOCK=event depends on the order the two devices' messages arrive
  // in (the rule clock jumps with the newest event, so a lagging device looks silent for a
  // while) — how often it repeats is arrival order, not rule state; its level must still agree.
  return items.map((a) => (a.rule === 'device.offline' ? `${a.rule}:${a.level}` : `${a.rule}:${a.level}:${a.count}`)).sort()
}

export { waitFor }
