/**
 * npm run bench:latency — with steady background telemetry (default 5,000 msg/s), the time from
 * the publish of a reading that crosses a red threshold (an SOS event) to
 *   (a) the voice command arriving at the elder's device over MQTT, and
 *   (b) the alert arriving on the operators' live stream (SSE),
 * over at least 200 alerts; prints p50 / p99 / max. Targets: p99 ≤ 50 ms (a), ≤ 250 ms (b).
 * The gateway runs as its own process on a fresh PostgreSQL database; the background generator
 * is another process; the probes (device clients and one stream reader) run here.
 *
 *   npx tsx gateway/bench/latency.ts [--alerts 200] [--rate 5000] [--background-devices 100] [--fleet-nice 10]
 *
 * The background generator runs at a lower priority (fleet-priority.ts): it stands in for devices
 * on other machines.
 */
import { fork } from 'node:child_process'
import http from 'node:http'
import os from 'node:os'
import { fileURLToPath } from 'node:url'
import type { MqttClient } from 'mqtt'
import { ApiClient, seedElders } from '../../test/support/api-client'
import { createPostgresDatabase } from '../../test/support/databases'
import { connectDevice } from '../../test/support/gateway'
import { spawnGateway } from '../../test/support/gateway-process'
import { fleetNiceFrom, runAsRemoteFleet } from './fleet-priority'

const args = Object.fromEntries(
  process.argv.slice(2).flatMap((a, i, all) => (a.startsWith('--') ? [[a.slice(2), all[i + 1] ?? '']] : [])),
) as Record<string, string>
const ALERTS = Number(args.alerts ?? 200)
const RATE = Number(args.rate ?? 5000)
const BACKGROUND_DEVICES = Number(args['background-devices'] ?? 100)
const PASSWORD = 'latency-bench-password'
const WARM_UP = 10
const FLEET_NICE = fleetNiceFrom(args)

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN
}

function summary(label: string, samples: number[], target: number): string {
  const sorted = [...samples].sort((a, b) => a - b)
  const p99 = percentile(sorted, 99)
  return `  ${label.padEnd(34)} n=${sorted.length}  p50 ${percentile(sorted, 50).toFixed(1)} ms  p99 ${p99.toFixed(1)} ms  max ${(sorted.at(-1) ?? NaN).toFixed(1)} ms  (target p99 ≤ ${target} ms: ${p99 <= target ? 'met' : 'MISSED'})`
}

/** Reads the SSE stream and reports when each SOS alert of an elder first arrives. */
function watchStream(baseUrl: string, token: string, onAlert: (elderId: string, at: number) => void): () => void {
  const req = http.get(new URL('/api/v1/stream', baseUrl), { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' } }, (res) => {
    let buffer = ''
    res.setEncoding('utf8')
    res.on('data', (chunk: string) => {
      const at = performance.now()
      buffer += chunk
      let end: number
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        const data = block.split('\n').find((l) => l.startsWith('data: '))
        if (!block.includes('event: alert') || !data) continue
        const change = JSON.parse(data.slice(6)) as { payload?: { change?: string; alert?: { elderId: string; rule: string } } }
        const alert = change.payload?.alert
        if (change.payload?.change === 'opened' && alert?.rule === 'safety.sos') onAlert(alert.elderId, at)
      }
    })
  })
  return () => req.destroy()
}

async function main(): Promise<void> {
  console.log(`bench:latency — ${ALERTS} SOS alerts (after ${WARM_UP} warm-up alerts) with ${RATE} msg/s of background telemetry from ${BACKGROUND_DEVICES} devices (generator at nice ${FLEET_NICE}); load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`)
  const database = await createPostgresDatabase()
  const gateway = await spawnGateway({
    DATABASE_URL: database.url,
    EG_ADMIN_PASSWORD: PASSWORD,
    EG_LOG_LEVEL: 'info',
    // --checkpoint-ms separates the cost of rule-engine checkpoints from the alert path itself.
    ...(args['checkpoint-ms'] ? { EG_CHECKPOINT_MS: args['checkpoint-ms'] } : {}),
  })
  const probes: MqttClient[] = []
  let stopStream = () => {}
  let background: ReturnType<typeof fork> | undefined
  try {
    const baseUrl = `http://127.0.0.1:${gateway.httpPort}`
    const mqttUrl = `mqtt://127.0.0.1:${gateway.mqttPort}`
    const api = new ApiClient(baseUrl)
    await api.login('admin', PASSWORD)
    // The first alerts after a start run cold code paths and plans; like any benchmark, warm up
    // first (these alerts are not measured), then measure ALERTS alerts in steady state.
    const seeded = await seedElders(api, ALERTS + WARM_UP, { prefix: 'probe' })
    const probeDevices = seeded
    const backgroundDevices = await seedElders(api, BACKGROUND_DEVICES, { prefix: 'background', centre: { lat: 31.3, lon: 121.6 } })

    // (a) each probe watch listens on its cmd topic; (b) one operator stream.
    const voiceAt = new Map<string, number>()
    const streamAt = new Map<string, number>()
    for (const d of probeDevices) {
      const client = await connectDevice(mqttUrl, d.id, d.secret)
      await client.subscribeAsync(`eg/v1/${d.id}/cmd`, { qos: 1 })
      client.on('message', () => {
        if (!voiceAt.has(d.elderId)) voiceAt.set(d.elderId, performance.now())
      })
      probes.push(client)
    }
    stopStream = watchStream(baseUrl, api.token!, (elderId, at) => {
      if (!streamAt.has(elderId)) streamAt.set(elderId, at)
    })

    // Background telemetry at a steady rate, from its own process.
    background = fork(fileURLToPath(new URL('./publisher.ts', import.meta.url)), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    runAsRemoteFleet(background, FLEET_NICE)
    const backgroundReady = new Promise<void>((resolve) => background!.once('message', () => resolve()))
    const probeSeconds = Math.ceil(ALERTS * 0.1) + 20
    background.send({
      url: mqttUrl,
      devices: backgroundDevices.map((d) => ({ id: d.id, secret: d.secret, home: d.home })),
      topicPrefix: 'eg/v1/',
      seconds: probeSeconds,
      window: 1,
      startTs: Date.now() - 60_000,
      // Live telemetry: each device's event time keeps pace with the wall clock.
      stepMs: Math.max(1, Math.round((1000 * BACKGROUND_DEVICES) / RATE)),
      rate: RATE,
    })
    await backgroundReady
    const backgroundDone = new Promise<{ acked: number; elapsedMs: number }>((resolve) =>
      background!.on('message', (m: { type: string; acked: number; elapsedMs: number }) => m.type === 'done' && resolve(m)),
    )
    background.send('go')
    await new Promise((r) => setTimeout(r, 3000)) // let the background load reach its rate first

    const publishedAt = new Map<string, number>()
    for (let i = 0; i < probeDevices.length; i++) {
      const d = probeDevices[i]!
      if (i >= WARM_UP) publishedAt.set(d.elderId, performance.now())
      probes[i]!.publish(`eg/v1/${d.id}/event`, JSON.stringify({ ts: Date.now(), type: 'sos' }), { qos: 1 })
      await new Promise((r) => setTimeout(r, 100))
    }
    const deadline = Date.now() + 30_000
    while ((voiceAt.size < ALERTS + WARM_UP || streamAt.size < ALERTS + WARM_UP) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100))
    const bg = await backgroundDone

    const voice = [...publishedAt].flatMap(([elder, t0]) => (voiceAt.has(elder) ? [voiceAt.get(elder)! - t0] : []))
    const stream = [...publishedAt].flatMap(([elder, t0]) => (streamAt.has(elder) ? [streamAt.get(elder)! - t0] : []))
    console.log(`\nbackground telemetry: ${Math.round((bg.acked / bg.elapsedMs) * 1000).toLocaleString('en-US')} msg/s acknowledged over ${(bg.elapsedMs / 1000).toFixed(0)} s`)
    console.log(summary('(a) SOS publish → voice command', voice, 50))
    console.log(summary('(b) SOS publish → alert on stream', stream, 250))
    if (args.debug !== undefined) {
      const order = [...publishedAt].map(([elder, t0], i) => `${i}:${Math.round((voiceAt.get(elder) ?? NaN) - t0)}`)
      console.log(`  per probe (publish order: ms to voice): ${order.join(' ')}`)
    }
    if (voice.length < ALERTS || stream.length < ALERTS) console.log(`  missing: ${ALERTS - voice.length} voice commands, ${ALERTS - stream.length} stream alerts`)
    console.log(`load after: ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`)
  } finally {
    stopStream()
    background?.kill()
    await Promise.all(probes.map((c) => c.endAsync(true).catch(() => undefined)))
    await gateway.kill('SIGTERM')
    await database.drop()
  }
}

main().catch((err: unknown) => {
  console.error(err)
  process.exit(1)
})
