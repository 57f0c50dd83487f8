import { GatewayApi } from '../core/api-client'
import { formatCount, Progress } from '../core/progress'
import { connectFleet, type FleetDevice } from '../load/connections'
import { createFleet, readDevices, writeFleet } from '../load/fleet'
import { latencyLine, runLoad } from '../load/load-gen'
import { num, requireStr, str, UsageError, type Command } from './args'

export const loadCommand: Command = {
  name: 'load',
  summary: 'Load generator: many devices publishing watch readings at a set rate (or flat out); latency end to\nend = publish → PUBACK (QoS 1) in an HDR histogram; throughput and connection counts.',
  notes: [
    'Devices come from --town (a town or fleet file) or are created through the API (one elder and watch',
    'each; written to --out for reuse — the file holds device secrets). On loopback, connections are spread',
    'over source addresses 127.0.0.1, 127.0.0.2, … (--per-address each) past the ephemeral-port limit.',
    'Raise the open-file limit first for big fleets: ulimit -n 200000.',
    '',
    'Examples:',
    '  npm run sim -- load --password "$EG_ADMIN_PASSWORD" --devices 5000 --rate 5000 --seconds 60 --qos 1',
    '  npm run sim -- load --town fleet.json --rate 0 --seconds 30',
  ].join('\n'),
  options: {
    mqtt: { type: 'string', default: 'mqtt://127.0.0.1:1883', value: 'url', help: 'gateway MQTT URL' },
    url: { type: 'string', default: 'http://127.0.0.1:8080', value: 'url', help: 'gateway HTTP URL (to create devices)' },
    user: { type: 'string', default: 'admin', value: 'name', help: 'operator or admin user' },
    password: { type: 'string', value: 'secret', help: 'password (or EG_ADMIN_PASSWORD)' },
    town: { type: 'string', value: 'file', help: 'use the devices of a town or fleet file instead of creating them' },
    out: { type: 'string', default: 'fleet.json', value: 'file', help: 'where created devices are saved' },
    devices: { type: 'string', default: '1000', value: 'n', help: 'devices to connect' },
    rate: { type: 'string', default: '1000', value: 'msg/s', help: 'offered messages per second over the fleet; 0 = as fast as acknowledged' },
    seconds: { type: 'string', default: '60', value: 's', help: 'publishing time' },
    qos: { type: 'string', default: '1', value: '0|1', help: 'QoS (latency is measured at QoS 1 only)' },
    window: { type: 'string', default: '1', value: 'n', help: 'with --rate 0: messages each device keeps in flight' },
    'connect-rate': { type: 'string', default: '500', value: 'conn/s', help: 'connection ramp-up pace' },
    'per-address': { type: 'string', default: '25000', value: 'n', help: 'connections per loopback source address' },
  },
  async run(values) {
    const qos = num(values, 'qos', { integer: true, min: 0, max: 1 }) as 0 | 1
    const want = num(values, 'devices', { integer: true, min: 1, max: 1_000_000 })
    const rate = num(values, 'rate', { min: 0 })
    const seconds = num(values, 'seconds', { min: 1 })
    const mqttUrl = new URL(requireStr(values, 'mqtt'))
    const progress = new Progress()

    let devices: FleetDevice[]
    const fleetPath = str(values, 'town')
    if (fleetPath) {
      devices = (await readDevices(fleetPath)).slice(0, want)
      if (devices.length < want) console.warn(`${fleetPath} has only ${devices.length} devices`)
    } else {
      const password = str(values, 'password') ?? process.env.EG_ADMIN_PASSWORD
      if (!password) throw new UsageError('--password is required to create devices (or give --town)')
      const url = requireStr(values, 'url')
      const api = new GatewayApi(url)
      await api.login(requireStr(values, 'user'), password)
      const created = await createFleet(api, want, { onProgress: (done) => progress.update(`creating devices ${done}/${want}`) })
      progress.done()
      await writeFleet(requireStr(values, 'out'), url, created)
      console.log(`created ${created.length} devices → ${requireStr(values, 'out')} (holds secrets; reuse with --town)`)
      devices = created
    }

    const connectStarted = performance.now()
    const { clients, stats: conn } = await connectFleet(mqttUrl, devices, {
      ratePerS: num(values, 'connect-rate', { min: 1 }),
      perAddress: num(values, 'per-address', { integer: true, min: 1, max: 28_000 }),
      onProgress: (s) => progress.update(`connecting ${s.connected}/${devices.length} (failed ${s.failed})`),
    })
    progress.done()
    const connectS = (performance.now() - connectStarted) / 1000
    console.log(`connected ${conn.connected}/${conn.attempted} in ${connectS.toFixed(1)} s from ${conn.sourceAddresses} source address(es); failed ${conn.failed}`)
    for (const [reason, n] of conn.failures) console.log(`  ${n} × ${reason}${reason === 'EMFILE' ? ' (raise ulimit -n)' : reason === 'EADDRNOTAVAIL' ? ' (lower --per-address)' : ''}`)
    if (clients.length === 0) throw new Error('no device connected')

    const stats = await runLoad(clients, {
      rate, seconds, qos, window: num(values, 'window', { integer: true, min: 1 }),
      onTick: (s) => progress.update(`${(s.elapsedMs / 1000).toFixed(0)}/${seconds} s · sent ${formatCount(s.sent)} · acked ${formatCount(s.acked)} · ${formatCount(s.acked / Math.max(s.elapsedMs / 1000, 0.001))}/s${qos === 1 && s.latencyUs.totalCount > 0 ? ` · p99 ${(s.latencyUs.getValueAtPercentile(99) / 1000).toFixed(1)} ms` : ''}`),
    })
    progress.done()
    await Promise.allSettled(clients.map(({ client }) => client.endAsync()))
    const elapsedS = stats.elapsedMs / 1000
    console.log(
      [
        `load: ${clients.length} devices, QoS ${qos}, ${seconds} s, offered ${rate === 0 ? 'as fast as acknowledged' : `${formatCount(rate)}/s`}`,
        `  connections  attempted ${formatCount(conn.attempted)}, connected ${formatCount(conn.connected)}, failed ${formatCount(conn.failed)} (${conn.sourceAddresses} source address(es), ${connectS.toFixed(1)} s ramp)`,
        `  messages     sent ${formatCount(stats.sent)}, acknowledged ${formatCount(stats.acked)}, failed ${formatCount(stats.failed)}, unacknowledged ${formatCount(stats.sent - stats.acked - stats.failed)}, not sent (devices behind) ${formatCount(stats.behind)}`,
        `  throughput   ${formatCount(stats.acked / elapsedS)} msg/s ${qos === 1 ? 'acknowledged' : 'written'}`,
        qos === 1 ? `  latency ms   ${latencyLine(stats.latencyUs)}  (publish → PUBACK, ${formatCount(stats.latencyUs.totalCount)} samples)` : '  latency      not measured at QoS 0 (no PUBACK)',
      ].join('\n'),
    )
  },
}
