/**
 * Load generator process for the ingest benchmark: connects many MQTT devices, then (on "go")
 * has each publish QoS 1 watch readings with a fixed window of unacknowledged messages, and
 * reports how many PUBACKs came back. It runs in its own process so the broker under test and
 * the generator each get a core, for the gateway and for the bare broker alike.
 */
import mqtt, { type MqttClient } from 'mqtt'

interface Device {
  id: string
  secret?: string
  /** Where the device's readings are: the elder at home, as on most readings of a real day. */
  home?: { lat: number; lon: number }
}
interface Job {
  url: string
  devices: Device[]
  topicPrefix: string
  seconds: number
  window: number
  /** Event time of each device's first reading (rounds use disjoint stretches of time). */
  startTs: number
  /** Messages per second across all devices; 0 = as fast as the window allows. */
  rate?: number
  /** Event time between two readings of one device. */
  stepMs: number
}

function send(message: object): void {
  process.send?.(message)
}

function reading(device: Device | undefined, i: number, ts: number): string {
  const jitter = ((ts / 1000) % 7) * 2e-5
  const lat = (device?.home?.lat ?? 31.23) + jitter
  const lon = (device?.home?.lon ?? 121.47) - jitter
  return JSON.stringify({ ts, lat, lon, acc: 12, src: 'gps', hr: 60 + (i % 40), bat: 80 })
}

async function connectAll(job: Job): Promise<MqttClient[]> {
  const clients: MqttClient[] = []
  const batch = 100
  for (let i = 0; i < job.devices.length; i += batch) {
    const part = job.devices.slice(i, i + batch)
    clients.push(
      ...(await Promise.all(
        part.map(
          (d) =>
            new Promise<MqttClient>((resolve, reject) => {
              const c = mqtt.connect(job.url, {
                clientId: d.id,
                username: d.secret ? d.id : undefined,
                password: d.secret,
                protocolVersion: 4,
                reconnectPeriod: 0,
                keepalive: 60,
              })
              c.once('connect', () => resolve(c))
              c.once('error', reject)
            }),
        ),
      )),
    )
  }
  return clients
}

async function run(job: Job): Promise<void> {
  const clients = await connectAll(job)
  send({ type: 'ready', connected: clients.length })
  await new Promise<void>((resolve) => process.once('message', () => resolve()))
  let acked = 0
  let sent = 0
  let running = true
  // Each device's event time advances stepMs per reading, so every reading is unique per device
  // (the gateway de-duplicates on (device, time)) and event time stays close to the wall clock,
  // as live telemetry does (old readings would make the rule engine see hours of silence).
  const clocks = job.devices.map(() => job.startTs)
  const started = performance.now()
  const cpuBefore = process.cpuUsage()
  const pump = (c: MqttClient, i: number) => {
    if (!running) return
    sent++
    c.publish(`${job.topicPrefix}${job.devices[i]?.id}/telemetry`, reading(job.devices[i], i, (clocks[i] = (clocks[i] ?? job.startTs) + job.stepMs)), { qos: 1 }, (err) => {
      if (!err) acked++
      pump(c, i)
    })
  }
  let paced: NodeJS.Timeout | undefined
  if (job.rate) {
    // Background load at a steady rate: every 10 ms, rate/100 readings round-robin over devices.
    const perTick = job.rate / 100
    let due = 0
    let next = 0
    paced = setInterval(() => {
      due += perTick
      for (; due >= 1; due--) {
        const i = next++ % clients.length
        sent++
        clients[i]!.publish(`${job.topicPrefix}${job.devices[i]?.id}/telemetry`, reading(job.devices[i], i, (clocks[i] = (clocks[i] ?? job.startTs) + job.stepMs)), { qos: 1 }, (err) => {
          if (!err) acked++
        })
      }
    }, 10)
  } else {
    clients.forEach((c, i) => {
      for (let w = 0; w < job.window; w++) pump(c, i)
    })
  }
  await new Promise((r) => setTimeout(r, job.seconds * 1000))
  running = false
  if (paced) clearInterval(paced)
  const elapsedMs = performance.now() - started
  const cpu = process.cpuUsage(cpuBefore)
  send({ type: 'done', acked, sent, elapsedMs, cpuMs: (cpu.user + cpu.system) / 1000 })
  await Promise.all(clients.map((c) => c.endAsync(true)))
  process.exit(0)
}

process.once('message', (job: Job) => {
  run(job).catch((err: unknown) => {
    send({ type: 'error', message: (err as Error).message })
    process.exit(1)
  })
})
