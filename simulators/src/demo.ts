import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { localIso } from './core/clock'
import { formatCount, Progress } from './core/progress'
import { stopOnSignal } from './core/stop-signal'
import { evaluate } from './evaluate/evaluation'
import { formatScorecard } from './evaluate/scorecard'
import { startSelfGateway } from './evaluate/self-gateway'
import type { StoredNotice } from './police/receiver'
import { daysNeeded, loadSet } from './scenarios/load'
import { formatProtocolMix, parseProtocolMix } from './town/protocols'

/**
 * `npm run demo`: the whole story on one machine. The gateway in-process on embedded storage
 * with event-time rules, the police receiver, a town of about 50 elders with the standard
 * scenarios planted among them, a week compressed into a few minutes. Prints where to look,
 * the notices and voice prompts as they happen, and a scorecard at the end; the board stays
 * up until Ctrl-C. Ports: EG_HTTP_PORT (8080), EG_MQTT_PORT (18830: Mosquitto holds 1883 on
 * dev machines), EG_WATCH_PORT (5093, Traccar's port for this protocol), EG_DEMO_POLICE_PORT
 * (9090); EG_DEMO_SPEED (2500) and EG_DEMO_ELDERS (50). The elders' watches speak all three
 * device protocols (EG_DEMO_PROTOCOLS, default mqtt:60,watch:30,http:10): MQTT, the 4G watch
 * protocol and HTTP ingest from a vendor cloud, so the board shows each kind of device.
 */
const env = (name: string, fallback: number): number => {
  const raw = process.env[name]
  const n = raw === undefined || raw === '' ? fallback : Number(raw)
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a number, got '${raw}'`)
  return n
}

function noticeLine(n: StoredNotice): string {
  const to = n.audience === 'police' ? `police ${n.caseNumber ?? ''}`.trim() : `family ${n.path.split('/').pop() ?? ''}`
  return `[notice → ${to}] ${n.level.toUpperCase()} ${n.rule} ${n.elderName}: ${n.summary}`
}

async function main(): Promise<void> {
  const httpPort = env('EG_HTTP_PORT', 8080)
  const mqttPort = env('EG_MQTT_PORT', 18830)
  const policePort = env('EG_DEMO_POLICE_PORT', 9090)
  const speed = env('EG_DEMO_SPEED', 2500)
  const elders = env('EG_DEMO_ELDERS', 50)
  const seed = env('EG_DEMO_SEED', 42)
  const watchPort = env('EG_WATCH_PORT', 5093)
  const protocols = parseProtocolMix(process.env.EG_DEMO_PROTOCOLS || 'mqtt:60,watch:30,http:10')
  const scenarios = await loadSet('standard')
  const days = Math.max(7, daysNeeded(scenarios))
  if (elders < scenarios.length) throw new Error(`EG_DEMO_ELDERS must be at least ${scenarios.length} (one per scenario)`)

  const stop = stopOnSignal(() => console.log('\nstopping (Ctrl-C again to force) …'))
  const dashboard = fileURLToPath(new URL('../../dashboard/dist/index.html', import.meta.url))
  const gw = await startSelfGateway({ httpPort, mqttPort, watchPort, host: process.env.EG_HOST ?? '127.0.0.1', logLevel: process.env.EG_LOG_LEVEL ?? 'warn' })
  const progress = new Progress()
  const say = (line: string) => {
    progress.done()
    console.log(line)
  }
  try {
    say([
      '',
      'eldergate demo',
      `  the board      ${gw.httpUrl}/   (login: admin / ${gw.password})${existsSync(dashboard) ? '' : '  — not built: run npm run build:dashboard'}`,
      `  API docs       ${gw.httpUrl}/docs`,
      `  MQTT           ${gw.mqttUrl}`,
      `  watch port     ${gw.watchAddress} (the 4G watch protocol)`,
      `  watches        ${formatProtocolMix(protocols)} (percent of elders: MQTT, watch protocol, HTTP ingest; cameras MQTT)`,
      `  police         http://127.0.0.1:${policePort}/notices (the simulated station; its log lines below)`,
      `  the town       ${elders} elders, ${scenarios.length} standard scenarios planted among them (simulators/scenarios/standard)`,
      `  the week       ${days} days at ×${speed}: about ${((days * 86_400) / speed / 60).toFixed(1)} minutes`,
      '',
    ].join('\n'))
    const result = await evaluate({
      scenarios, httpUrl: gw.httpUrl, mqttUrl: gw.mqttUrl, watchAddress: gw.watchAddress, protocols, password: gw.password,
      seed, days, speed, copies: 1, background: elders - scenarios.length, policePort, stopSignal: stop.promise,
      onPhase: (p) => say(p),
      onNotice: (n) => say(noticeLine(n)),
      onCommand: (deviceId, command, elderName) => say(`[voice prompt → ${elderName} (${deviceId})] ${command.text ?? ''} — acknowledged`),
      onTick: (sim) => {
        const s = sim.summary()
        progress.update(`${localIso(sim.now()).slice(0, 16).replace('T', ' ')} · ${formatCount(s.readings)} readings · ${s.commands} voice prompts`)
      },
    })
    say(`\n${formatScorecard(result, { set: 'standard', seed })}`)
    if (!stop.requested) {
      say(`\nthe week is over; the board stays up at ${gw.httpUrl}/ (admin / ${gw.password}). Ctrl-C to stop.`)
      await stop.promise
    }
  } finally {
    progress.done()
    await gw.stop()
    console.log('stopped: gateway, devices and police receiver are down')
  }
}

main().catch((err: unknown) => {
  console.error(`demo failed: ${(err as Error).message}`)
  process.exit(1)
})
