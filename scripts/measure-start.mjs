#!/usr/bin/env node
// @ts-check
/**
 * Start → healthy `/healthz`, and idle RSS, of a gateway start command (the README's
 * "Production build" table). Plain node, no dependencies beside the repository's `pg`.
 *
 *   node scripts/measure-start.mjs [--runs 5] [--idle 30] [--storage pglite,postgres] \
 *     --variant 'label|/path/to/checkout|npm start' [--variant ...]
 *
 * Each run starts the command as its own process group on free ports, with a fresh PGlite folder
 * (EG_DATA_DIR) or a fresh PostgreSQL database on 127.0.0.1:5432 (user postgres, trust auth;
 * dropped afterwards), polls /healthz every 50 ms from the moment of spawn until it answers 200,
 * waits --idle seconds and reads VmRSS from /proc of the gateway process (the one running
 * main.js/main.ts) and of the whole process tree (npm, sh, tsx's relay process included).
 * Variants take turns run by run, so load from other work on the machine spreads over all of them.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { createServer } from 'node:net'
import { loadavg, tmpdir } from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    idle: { type: 'string', default: '30' },
    storage: { type: 'string', default: 'pglite,postgres' },
    variant: { type: 'string', multiple: true, default: [] },
    'pg-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
  },
})
const runs = Number(values.runs)
const idleMs = Number(values.idle) * 1000
const storages = (values.storage ?? '').split(',').filter(Boolean)
const variants = (values.variant ?? []).map((v) => {
  const [label, cwd, command] = v.split('|')
  if (!label || !cwd || !command) throw new Error(`--variant 'label|cwd|command', not ${v}`)
  return { label, cwd, argv: command.trim().split(/\s+/) }
})
if (variants.length === 0) throw new Error('no --variant given')
const pg = createRequire(import.meta.url)('pg')

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {import('node:net').AddressInfo} */ (server.address())
      server.close(() => resolve(port))
    })
  })
}

async function admin(/** @type {string} */ sql) {
  const client = new pg.Client({ connectionString: values['pg-url'] })
  await client.connect()
  try {
    await client.query(sql)
  } finally {
    await client.end()
  }
}

/** @returns {Array<{ pid: number, argv: string[], rssKb: number }>} the process and its descendants */
function tree(/** @type {number} */ root) {
  const all = readdirSync('/proc').filter((d) => /^\d+$/.test(d)).flatMap((d) => {
    try {
      const status = readFileSync(`/proc/${d}/status`, 'utf8')
      const ppid = Number(/^PPid:\s+(\d+)/m.exec(status)?.[1])
      const rssKb = Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0)
      const argv = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0').filter(Boolean)
      return [{ pid: Number(d), ppid, argv, rssKb }]
    } catch {
      return []
    }
  })
  const out = all.filter((p) => p.pid === root)
  for (let i = 0; i < out.length; i++) out.push(...all.filter((p) => p.ppid === out[i]?.pid))
  return out
}

async function healthy(/** @type {number} */ port) {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(1000) })
    return res.status === 200
  } catch {
    return false
  }
}

async function runOnce(/** @type {typeof variants[number]} */ variant, /** @type {string} */ storage) {
  const [httpPort, mqttPort] = [await freePort(), await freePort()]
  const dataDir = storage === 'pglite' ? mkdtempSync(path.join(tmpdir(), 'eg-measure-')) : undefined
  const database = `eg_measure_${process.pid}_${Date.now()}`
  if (storage === 'postgres') await admin(`CREATE DATABASE ${database}`)
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? tmpdir(),
    EG_HOST: '127.0.0.1',
    EG_HTTP_PORT: String(httpPort),
    EG_MQTT_PORT: String(mqttPort),
    EG_ADMIN_PASSWORD: 'measure-start-Password-81',
    ...(dataDir ? { EG_DATA_DIR: dataDir } : { DATABASE_URL: values['pg-url'].replace(/\/[^/]*$/, `/${database}`) }),
  }
  const started = performance.now()
  const child = spawn(/** @type {string} */ (variant.argv[0]), variant.argv.slice(1), { cwd: variant.cwd, env, stdio: ['ignore', 'ignore', 'pipe'], detached: true })
  let stderr = ''
  child.stderr?.on('data', (c) => (stderr += c))
  let exited = false
  const exit = new Promise((resolve) => child.once('exit', () => resolve((exited = true))))
  try {
    while (!(await healthy(httpPort))) {
      if (exited) throw new Error(`${variant.label} exited before healthy:\n${stderr}`)
      if (performance.now() - started > 180_000) throw new Error(`${variant.label}: not healthy after 180 s`)
      await new Promise((r) => setTimeout(r, 50))
    }
    const healthyMs = performance.now() - started
    await new Promise((r) => setTimeout(r, idleMs))
    const procs = tree(/** @type {number} */ (child.pid))
    const gateway = procs.filter((p) => p.argv.some((a) => /main\.(js|ts)$/.test(a)) && p.argv[0] !== 'sh' && !p.argv[0]?.endsWith('/sh')).at(-1)
    return { healthyMs, gatewayRssMb: (gateway?.rssKb ?? NaN) / 1024, treeRssMb: procs.reduce((s, p) => s + p.rssKb, 0) / 1024, processes: procs.length }
  } finally {
    try {
      process.kill(-(/** @type {number} */ (child.pid)), 'SIGTERM')
    } catch {}
    const killer = setTimeout(() => {
      try {
        process.kill(-(/** @type {number} */ (child.pid)), 'SIGKILL')
      } catch {}
    }, 15_000)
    await exit
    clearTimeout(killer)
    if (dataDir) rmSync(dataDir, { recursive: true, force: true })
    if (storage === 'postgres') await admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)
  }
}

const median = (/** @type {number[]} */ xs) => {
  const s = [...xs].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 ? (s[m] ?? NaN) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2
}

/** @type {Map<string, Array<Awaited<ReturnType<typeof runOnce>>>>} */
const results = new Map()
const loads = []
for (let run = 1; run <= runs; run++) {
  for (const storage of storages) {
    for (const variant of variants) {
      loads.push(loadavg()[0] ?? 0)
      const r = await runOnce(variant, storage)
      const key = `${variant.label}\t${storage}`
      results.set(key, [...(results.get(key) ?? []), r])
      console.error(`run ${run}/${runs} ${variant.label} ${storage}: healthy ${(r.healthyMs / 1000).toFixed(2)} s, gateway RSS ${r.gatewayRssMb.toFixed(0)} MB, tree RSS ${r.treeRssMb.toFixed(0)} MB (${r.processes} processes), load ${loadavg()[0]?.toFixed(1)}`)
    }
  }
}

const rows = [...results].map(([key, rs]) => {
  const [label, storage] = key.split('\t')
  const h = rs.map((r) => r.healthyMs / 1000)
  return [
    label ?? '',
    storage ?? '',
    `${median(h).toFixed(2)} s (${Math.min(...h).toFixed(2)}–${Math.max(...h).toFixed(2)})`,
    `${median(rs.map((r) => r.gatewayRssMb)).toFixed(0)} MB`,
    `${median(rs.map((r) => r.treeRssMb)).toFixed(0)} MB (${median(rs.map((r) => r.processes))} proc)`,
  ]
})
const header = ['start command', 'storage', `start → healthy /healthz, median of ${runs} (min–max)`, `gateway RSS, idle ${values.idle} s`, 'process tree RSS']
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
const line = (/** @type {string[]} */ cells) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`
console.log(line(header))
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`)
for (const r of rows) console.log(line(r))
console.log(`\n${runs} runs per row, taking turns; 1-minute load average ${median(loads).toFixed(1)} median (${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}) on ${readFileSync('/proc/cpuinfo', 'utf8').match(/^processor/gm)?.length} shared cores.`)
