import { monitorEventLoopDelay } from 'node:perf_hooks'
import { startBroker } from '../src/broker/index.js'
import { createLogger } from '../src/logger.js'
import { createMetrics } from '../src/metrics.js'
import { runGenerator, verifyFleetDevice } from '../bench/flood.js'
let received = 0
const broker = await startBroker({ port: 0, host: '127.0.0.1', logger: createLogger('warn'), metrics: createMetrics(), authThrottle: { maxFailures: 5, windowMs: 60_000, blockMs: 300_000 } },
  { verifyDevice: verifyFleetDevice, onMessage: () => { received++ } })
const h = monitorEventLoopDelay({ resolution: 10 }); h.enable()
const t0 = Date.now()
const iv = setInterval(() => { console.log(((Date.now()-t0)/1000).toFixed(1), received, 'heapMB', (process.memoryUsage().heapUsed/2**20).toFixed(0), 'eld max ms', (h.max/1e6).toFixed(0)); h.reset(); console.log(JSON.stringify((globalThis as any).stats)) }, 500)
const r = await runGenerator({ port: broker.port, devices: Number(process.argv[2] ?? 1000), seconds: 8 })
console.log(r)
clearInterval(iv); await broker.close()
