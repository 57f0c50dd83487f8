/**
 * Micro-bench of the ingest decode step (hot path: tens of thousands of messages/s).
 * `npx tsx gateway/bench/decode.ts` — single-process, one core, numbers are indicative only.
 */
import { decodeMessage, defaultDecodeLimits, type DeviceIdentity } from '../src/ingest/decode'

const device: DeviceIdentity = { deviceId: 'w-bench', tenantId: 't-bench', elderId: 'e-bench', kind: 'watch' }
const now = Date.now()
const reading = (i: number) => ({ ts: now - 60_000 + i, lat: 31.2304, lon: 121.4737, acc: 15, src: 'gps', hr: 72, steps: 1234 + i, bat: 87, worn: true })
const single = Buffer.from(JSON.stringify(reading(0)))
const singleIso = Buffer.from(JSON.stringify({ ...reading(0), ts: new Date(now - 60_000).toISOString() }))
const batch = Buffer.from(JSON.stringify(Array.from({ length: 100 }, (_, i) => reading(i))))

/** Runs `fn` for about `ms` milliseconds after a warm-up; returns calls per second. */
function rate(fn: () => number, ms = 1500): { callsPerSec: number; units: number } {
  for (let i = 0; i < 20_000; i++) fn()
  let calls = 0
  let units = 0
  const start = performance.now()
  let elapsed = 0
  while (elapsed < ms) {
    for (let i = 0; i < 1000; i++) units += fn()
    calls += 1000
    elapsed = performance.now() - start
  }
  return { callsPerSec: (calls / elapsed) * 1000, units: (units / elapsed) * 1000 }
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US')
const one = rate(() => decodeMessage(device, 'telemetry', single, now, defaultDecodeLimits).readings.length)
console.log(`single reading (epoch ts):  ${fmt(one.callsPerSec)} decodes/s`)
const iso = rate(() => decodeMessage(device, 'telemetry', singleIso, now, defaultDecodeLimits).readings.length)
console.log(`single reading (ISO ts):    ${fmt(iso.callsPerSec)} decodes/s`)
const arr = rate(() => decodeMessage(device, 'telemetry', batch, now, defaultDecodeLimits).readings.length, 2000)
console.log(`100-element array:          ${fmt(arr.units)} elements/s (${fmt(arr.callsPerSec)} messages/s)`)
const parseOnly = rate(() => (JSON.parse(batch.toString('utf8')) as unknown[]).length, 1500)
console.log(`  (JSON.parse alone, same array: ${fmt(parseOnly.units)} elements/s)`)
