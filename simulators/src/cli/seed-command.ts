import { GatewayApi } from '../core/api-client'
import { Progress } from '../core/progress'
import { generateTown } from '../town/generate'
import { assignProtocols } from '../town/protocols'
import { seedTown } from '../town/seed'
import { Town } from '../town/town'
import { num, protocolMix, requireStr, str, UsageError, type Command } from './args'

export const seedCommand: Command = {
  name: 'seed',
  summary: 'Build a simulated town (elders, homes, a watch and a camera each, venues of every kind, a police\nstation and family contacts pointing at the simulated receiver) through the HTTP API.',
  notes: [
    'The town file is a SIMULATOR file that HOLDS SECRETS: device secrets, the police station\'s signing',
    'secret and the contacts\' webhook secrets (written with mode 0600). `run`, `police` and `load` read it.',
    '',
    '--protocols decides what each elder\'s watch speaks (percent of elders, a seeded shuffle): mqtt, watch (the',
    '4G watch protocol, DESIGN §3b: registered by a number derived from --seed, with the town\'s clock offset) or',
    'http (HTTP ingest from a vendor cloud, §3c). The town file records it; `run` speaks it. Cameras: MQTT.',
    '',
    'Example:',
    '  npm run sim -- seed --password "$EG_ADMIN_PASSWORD" --elders 50 --seed 42 --out town.json',
    '  npm run sim -- seed --password "$EG_ADMIN_PASSWORD" --elders 50 --seed 42 --protocols mqtt:60,watch:30,http:10',
  ].join('\n'),
  options: {
    url: { type: 'string', default: 'http://127.0.0.1:8080', value: 'url', help: 'gateway HTTP base URL' },
    user: { type: 'string', default: 'admin', value: 'name', help: 'operator or admin user (police stations need admin)' },
    password: { type: 'string', value: 'secret', help: 'password (or EG_ADMIN_PASSWORD)' },
    elders: { type: 'string', default: '50', value: 'n', help: 'elders to create' },
    seed: { type: 'string', default: '42', value: 'n', help: 'seed of the town layout, names and habits' },
    out: { type: 'string', default: 'town.json', value: 'file', help: 'town file to write' },
    'police-url': { type: 'string', default: 'http://127.0.0.1:9090', value: 'url', help: 'base URL of the simulated police/family receiver (`police` command)' },
    'receiver-secret': { type: 'string', value: 'secret', help: 'one signing secret for the station and all contacts (or EG_SIM_RECEIVER_SECRET; default: random per receiver)' },
    format: { type: 'string', default: 'json', value: 'json|cap', help: 'police notice format' },
    protocols: { type: 'string', default: 'mqtt:100', value: 'mqtt:P,watch:P,http:P', help: "what the elders' watches speak, percent of elders" },
    centre: { type: 'string', value: 'lat,lon', help: 'town centre (default: a county town at 30.7522,120.7585)' },
    'radius-km': { type: 'string', default: '5', value: 'km', help: 'town radius' },
  },
  async run(values) {
    const password = str(values, 'password') ?? process.env.EG_ADMIN_PASSWORD
    if (!password) throw new UsageError('--password is required (or set EG_ADMIN_PASSWORD)')
    const format = requireStr(values, 'format')
    if (format !== 'json' && format !== 'cap') throw new UsageError(`--format must be json or cap, got '${format}'`)
    const centreRaw = str(values, 'centre')
    let centre: { lat: number; lon: number } | undefined
    if (centreRaw !== undefined) {
      const [lat, lon] = centreRaw.split(',').map(Number)
      if (lat === undefined || lon === undefined || !Number.isFinite(lat) || !Number.isFinite(lon)) throw new UsageError(`--centre must be lat,lon, got '${centreRaw}'`)
      centre = { lat, lon }
    }
    const url = requireStr(values, 'url')
    const seed = num(values, 'seed', { integer: true, min: 0 })
    const protocols = protocolMix(values, 'protocols')
    const town = new Town(
      generateTown({
        seed,
        elders: num(values, 'elders', { integer: true, min: 1, max: 100_000 }),
        receiverUrl: requireStr(values, 'police-url'),
        radiusKm: num(values, 'radius-km', { min: 0.5, max: 50 }),
        policeFormat: format,
        ...receiverSecret(str(values, 'receiver-secret') ?? process.env.EG_SIM_RECEIVER_SECRET),
        ...(centre ? { centre } : {}),
      }),
    )
    assignProtocols(town.file, protocols, seed)
    const api = new GatewayApi(url)
    await api.login(requireStr(values, 'user'), password)
    const progress = new Progress()
    const started = Date.now()
    const summary = await seedTown(api, town, { progress: (done, total, what) => progress.update(`seeding ${done}/${total} ${what}`) })
    progress.done()
    town.file.gatewayUrl = url
    town.file.seededAt = new Date().toISOString()
    const out = requireStr(values, 'out')
    await town.save(out)
    const kinds = town.file.venues.reduce<Record<string, number>>((m, v) => ({ ...m, [v.category]: (m[v.category] ?? 0) + 1 }), {})
    console.log(
      [
        `seeded ${url} in ${((Date.now() - started) / 1000).toFixed(1)} s → ${out} (holds secrets)`,
        `  elders       ${summary.elders} (a watch and a camera each: ${summary.devices} devices)`,
        `  watches      MQTT ${summary.watches.mqtt}, watch protocol ${summary.watches.watch}, HTTP ingest ${summary.watches.http} (cameras: MQTT)`,
        `  venues       ${summary.venues}: ${Object.entries(kinds).map(([k, n]) => `${k} ${n}`).join(', ')}`,
        `  places       ${town.file.places.length} private (children's homes; not venues)`,
        `  police       ${town.file.policeStation.name} ${summary.policeStationId} → ${town.file.policeStation.webhookUrl} (${town.file.policeStation.format})`,
        `  contacts     ${town.elders.reduce((n, e) => n + e.contacts.length, 0)} family webhooks → ${str(values, 'police-url')}/family/<elder>`,
      ].join('\n'),
    )
  },
}

function receiverSecret(value: string | undefined): { receiverSecret?: string } {
  if (value === undefined || value === '') return {}
  // The gateway refuses short webhook secrets; say so here rather than after seeding half a town.
  if (value.length < 16) throw new UsageError('--receiver-secret must be at least 16 characters')
  return { receiverSecret: value }
}
