import { localIso } from '../core/clock'
import { formatCount, Progress } from '../core/progress'
import { TownSim, type RunSummary } from '../run/town-sim'
import { Town } from '../town/town'
import { interrupted, num, requireStr, str, time, UsageError, type Command } from './args'

export const runCommand: Command = {
  name: 'run',
  summary: 'Run the town: one watch and one camera per elder, daily routines on a virtual clock\n(event time = start + elapsed × speed). Start the gateway with EG_CLOCK=event.',
  notes: [
    'The same --seed gives the same readings and events at the same event times (network timing may vary).',
    'Times must not be ahead of the gateway clock (EG_MAX_FUTURE_SKEW_MS): the default start ends the run',
    'at today\'s local midnight. Ctrl-C stops cleanly and prints the summary.',
    'Each watch speaks what `seed --protocols` registered it with: MQTT (--mqtt), the 4G watch protocol',
    '(--watch, the gateway\'s EG_WATCH_PORT) or HTTP ingest (--url). Cameras speak MQTT.',
    '',
    'Example:',
    '  EG_CLOCK=event npm start &',
    '  npm run sim -- run --town town.json --speed 600 --days 7 --seed 42',
    '  EG_CLOCK=event EG_WATCH_PORT=5093 npm start &',
    '  npm run sim -- run --town town.json --watch 127.0.0.1:5093 --url http://127.0.0.1:8080',
  ].join('\n'),
  options: {
    town: { type: 'string', default: 'town.json', value: 'file', help: 'town file from `seed`' },
    mqtt: { type: 'string', default: 'mqtt://127.0.0.1:1883', value: 'url', help: 'gateway MQTT URL' },
    watch: { type: 'string', value: 'host:port', help: 'gateway watch port, EG_WATCH_PORT (for watches seeded with protocol watch)' },
    url: { type: 'string', default: 'http://127.0.0.1:8080', value: 'url', help: 'gateway HTTP URL (for watches seeded with protocol http: HTTP ingest)' },
    speed: { type: 'string', default: '600', value: 'x', help: 'event seconds per wall second' },
    days: { type: 'string', default: '7', value: 'n', help: 'days to simulate' },
    seed: { type: 'string', default: '42', value: 'n', help: 'seed of routines and device noise' },
    start: { type: 'string', value: 'ISO', help: 'event time of the start (default: local midnight <days> days ago)' },
    flakiness: { type: 'string', default: '0.3', value: '0..1', help: 'chance per device-day of a link drop' },
    quiet: { type: 'boolean', short: 'q', help: 'no progress line' },
  },
  async run(values) {
    const town = await Town.load(requireStr(values, 'town'))
    const start = time(values, 'start')
    const days = num(values, 'days', { min: 1 / 24, max: 366 })
    const speed = num(values, 'speed', { min: 1 })
    const utcOffsetMin = town.file.utcOffsetMin
    const progress = new Progress(values.quiet === true)
    let commands = 0
    const errors = new Map<string, number>()
    const watch = str(values, 'watch')
    if (watch === undefined && town.elders.some((e) => e.watchProtocol === 'watch')) throw new UsageError('the town has watch-protocol watches: give the gateway\'s watch port as --watch host:port (EG_WATCH_PORT)')
    const sim = new TownSim({
      town, mqttUrl: requireStr(values, 'mqtt'), seed: num(values, 'seed', { integer: true, min: 0 }), speed, days,
      ingestUrl: requireStr(values, 'url'), ...(watch !== undefined ? { watchAddress: watch } : {}),
      flakiness: num(values, 'flakiness', { min: 0, max: 1 }),
      ...(start !== undefined ? { start } : {}),
      onCommand: (deviceId, command) => {
        commands++
        progress.done()
        console.log(`voice prompt → ${deviceId}: ${command.text ?? ''} (${command.id})`)
      },
      onError: (_deviceId, err) => errors.set(err.message, (errors.get(err.message) ?? 0) + 1),
    })
    if (sim.end > Date.now() + 60_000) console.warn(`warning: the run reaches ${localIso(sim.end, utcOffsetMin)}, ahead of now: the gateway refuses readings beyond EG_MAX_FUTURE_SKEW_MS (future_ts)`)
    const protocols = sim.summary().watchProtocols
    console.log(`connecting ${town.elders.length * 2} devices (watches: MQTT ${protocols.mqtt}, watch protocol ${protocols.watch}, HTTP ingest ${protocols.http}; cameras: MQTT) …`)
    await sim.startRun()
    console.log(`running ${localIso(sim.start, utcOffsetMin)} → ${localIso(sim.end, utcOffsetMin)} at ×${speed} (≈ ${((sim.end - sim.start) / speed / 60_000).toFixed(1)} min)`)
    const ticker = setInterval(() => {
      const s = sim.summary()
      const down = sim.links.filter((l) => !l.up).length
      progress.update(`${localIso(sim.now(), utcOffsetMin).slice(0, 16)} ${Math.floor(((sim.now() - sim.start) / (sim.end - sim.start)) * 100)}% · ${formatCount(s.readings)} readings · ${formatCount(s.events)} events · ${down} links down · ${commands} voice prompts`)
    }, 500)
    const outcome = await Promise.race([sim.done().then((s) => ({ s })), interrupted().then((signal) => ({ signal }))])
    clearInterval(ticker)
    progress.done()
    const summary = 's' in outcome ? outcome.s : sim.summary()
    if ('signal' in outcome) console.log(`stopped by ${outcome.signal}`)
    await sim.stop()
    printSummary(summary, utcOffsetMin, errors)
  },
}

function printSummary(s: RunSummary, utcOffsetMin: number, errors: Map<string, number>): void {
  const wallS = s.wallMs / 1000
  console.log(
    [
      `simulated ${localIso(s.eventFrom, utcOffsetMin)} → ${localIso(s.eventTo, utcOffsetMin)} in ${wallS.toFixed(1)} s`,
      `  devices        ${s.devices} (${s.elders} elders)`,
      `  readings       ${formatCount(s.readings)} (${formatCount(s.readings / Math.max(wallS, 0.001))}/s)`,
      `  events         ${formatCount(s.events)}`,
      `  link drops     ${formatCount(s.drops)}; ${formatCount(s.buffered)} messages buffered, uploaded in ${formatCount(s.uploads)} arrays`,
      `  voice prompts  ${formatCount(s.commands)} received, ${formatCount(s.acks)} acks sent`,
      `  not acknowledged ${formatCount(s.publishErrors)} (in flight at a link drop: re-sent in the next upload)`,
      ...Object.entries(s.notInProtocol).map(([what, n]) => `  not in the watch protocol ${formatCount(n)} × ${what} (no frame for it)`),
      ...[...errors].slice(0, 5).map(([message, n]) => `    ${n} × ${message}`),
    ].join('\n'),
  )
}
