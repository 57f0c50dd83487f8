import { formatCount, Progress } from '../core/progress'
import { localIso } from '../core/clock'
import { evaluate } from '../evaluate/evaluation'
import { failingRules } from '../evaluate/score'
import { formatScorecard } from '../evaluate/scorecard'
import { startSelfGateway, type SelfGateway } from '../evaluate/self-gateway'
import { daysNeeded, loadSet } from '../scenarios/load'
import { stopOnSignal } from '../core/stop-signal'
import { num, protocolMix, requireStr, str, UsageError, type Command } from './args'

export const evaluateCommand: Command = {
  name: 'evaluate',
  summary: 'Detection evaluator: plants a scenario set (scams and benign look-alikes) among background elders, runs\nthe week, waits for the gateway to settle and prints a scorecard per rule (precision, recall, time to detect).',
  notes: [
    'Scenario sets are folders of JSON files under simulators/scenarios/ (or a path). Against a running gateway,',
    'use a FRESH one started with EG_CLOCK=event (its rule clock only moves forward). --self starts its own',
    'gateway in-process on embedded in-memory storage with EG_CLOCK=event.',
    '',
    'Examples:',
    '  npm run sim -- evaluate --self --set standard --seed 42 --assert',
    '  npm run sim -- evaluate --self --set standard --seed 42 --protocols mqtt:60,watch:30,http:10 --assert',
    '  npm run sim -- evaluate --set standard --seed 42 --url http://127.0.0.1:8080 --mqtt mqtt://127.0.0.1:1884 --password "$EG_ADMIN_PASSWORD"',
    '',
    'Protocols (--protocols): what each elder\'s WATCH speaks, percent of elders, assigned by a seeded shuffle:',
    'mqtt (DESIGN §3), watch = the 4G watch protocol on the gateway\'s EG_WATCH_PORT (§3b; registered by a',
    'number derived from the seed; give --watch host:port without --self), http = HTTP ingest as from a',
    'vendor\'s cloud (§3c; gets no voice prompts). Cameras always speak MQTT.',
  ].join('\n'),
  options: {
    set: { type: 'string', default: 'standard', value: 'name|dir', help: 'scenario set' },
    only: { type: 'string', value: 'a,b', help: 'only these scenarios of the set' },
    seed: { type: 'string', default: '42', value: 'n', help: 'seed of the town, routines and devices' },
    self: { type: 'boolean', help: 'start an in-process gateway (embedded storage, EG_CLOCK=event)' },
    url: { type: 'string', default: 'http://127.0.0.1:8080', value: 'url', help: 'gateway HTTP URL (without --self)' },
    mqtt: { type: 'string', default: 'mqtt://127.0.0.1:1883', value: 'url', help: 'gateway MQTT URL (without --self)' },
    watch: { type: 'string', value: 'host:port', help: 'gateway watch port, EG_WATCH_PORT (without --self; needed when --protocols has watch)' },
    protocols: { type: 'string', default: 'mqtt:100', value: 'mqtt:P,watch:P,http:P', help: "what the elders' watches speak, percent of elders" },
    user: { type: 'string', default: 'admin', value: 'name', help: 'admin user (police stations need admin)' },
    password: { type: 'string', value: 'secret', help: 'password (or EG_ADMIN_PASSWORD); not needed with --self' },
    days: { type: 'string', value: 'n', help: 'days to simulate (default: the last scenario day, at least 7)' },
    speed: { type: 'string', default: '2000', value: 'x', help: 'event seconds per wall second (see README: faster runs see device lag as silence)' },
    copies: { type: 'string', default: '2', value: 'n', help: 'elders per scenario (recall over more than one elder)' },
    background: { type: 'string', default: '20', value: 'n', help: 'elders with ordinary weeks (false alerts count against precision)' },
    flakiness: { type: 'string', default: '0.3', value: '0..1', help: 'chance per device-day of a link drop' },
    'police-port': { type: 'string', default: '0', value: 'port', help: 'port of the police/family receiver (0: any free port)' },
    assert: { type: 'boolean', help: 'exit 1 when a rule is under recall 0.95 or precision 0.90, or a police notice is false' },
    json: { type: 'string', value: 'file', help: 'also write the scorecard as JSON' },
  },
  async run(values) {
    const set = requireStr(values, 'set')
    const only = str(values, 'only')?.split(',').map((s) => s.trim()).filter(Boolean)
    const scenarios = await loadSet(set, only ? { only } : {})
    if (scenarios.length === 0) throw new UsageError(`set '${set}' has no scenarios`)
    const days = str(values, 'days') !== undefined ? num(values, 'days', { integer: true, min: 1, max: 60 }) : Math.max(7, daysNeeded(scenarios))
    if (days < daysNeeded(scenarios)) throw new UsageError(`--days ${days} is shorter than the scenarios need (${daysNeeded(scenarios)})`)
    const seed = num(values, 'seed', { integer: true, min: 0 })
    const protocols = protocolMix(values, 'protocols')
    if (num(values, 'speed', { min: 1 }) > 5000) console.warn('warning: above ×5000 the wall-clock lag of a busy gateway becomes event minutes; expect "went silent" device alerts and late data')
    let self: SelfGateway | undefined
    let target: { httpUrl: string; mqttUrl: string; watchAddress?: string; password: string }
    if (values.self === true) {
      self = await startSelfGateway()
      target = self
      console.log(`gateway in-process: ${self.httpUrl}, ${self.mqttUrl}, watch port ${self.watchAddress} (embedded storage, EG_CLOCK=event)`)
    } else {
      const password = str(values, 'password') ?? process.env.EG_ADMIN_PASSWORD
      if (!password) throw new UsageError('--password is required (or set EG_ADMIN_PASSWORD, or use --self)')
      const watch = str(values, 'watch')
      if (protocols.watch > 0 && watch === undefined) throw new UsageError('--protocols has watch: give the gateway\'s watch port as --watch host:port (EG_WATCH_PORT)')
      target = { httpUrl: requireStr(values, 'url'), mqttUrl: requireStr(values, 'mqtt'), password, ...(watch !== undefined ? { watchAddress: watch } : {}) }
    }
    const progress = new Progress()
    try {
      const result = await evaluate({
        scenarios, ...target, user: requireStr(values, 'user'), seed, days, protocols,
        speed: num(values, 'speed', { min: 1 }),
        copies: num(values, 'copies', { integer: true, min: 1, max: 20 }),
        background: num(values, 'background', { integer: true, min: 0, max: 10_000 }),
        flakiness: num(values, 'flakiness', { min: 0, max: 1 }),
        policePort: num(values, 'police-port', { integer: true, min: 0, max: 65_535 }),
        stopSignal: stopOnSignal(() => console.log('\nstopping: scoring what has run so far (Ctrl-C again to force) …')).promise,
        onPhase: (p) => {
          progress.done()
          console.log(p)
        },
        onTick: (sim) => {
          const s = sim.summary()
          progress.update(`${localIso(sim.now()).slice(0, 16)} ${Math.floor(((sim.now() - sim.start) / (sim.end - sim.start)) * 100)}% · ${formatCount(s.readings)} readings · ${formatCount(s.events)} events · ${s.commands} voice prompts`)
        },
      })
      progress.done()
      console.log(`\n${formatScorecard(result, { set, seed })}`)
      const jsonPath = str(values, 'json')
      if (jsonPath) {
        const { writeFile } = await import('node:fs/promises')
        await writeFile(jsonPath, `${JSON.stringify({ set, seed, days, rules: result.card.rules, misses: result.card.misses, falseAlerts: result.card.falseAlerts, notices: result.notices, voice: result.voice }, null, 2)}\n`)
      }
      const failing = failingRules(result.card)
      if (values.assert === true && failing.length > 0) throw new Error(`${failing.length} rule target(s) missed: ${failing.map((f) => `${f.rule} ${f.reason}`).join('; ')}`)
      if (values.assert === true && result.notices.falsePolice > 0) throw new Error(`${result.notices.falsePolice} police notice(s) for rules the elders must not raise`)
      if (values.assert === true && result.interrupted) throw new Error('interrupted: a partial week proves nothing')
    } finally {
      progress.done()
      await self?.stop()
    }
  },
}

