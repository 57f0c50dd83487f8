/**
 * Loaded into the gateway process by bench:watch (node --expose-gc --import tsx --import this):
 * on SIGUSR2 it runs a full garbage collection and writes the process's memory to stderr as
 * one JSON line. Without a forced GC a heap figure says as much about when V8 last collected
 * as about what the connections hold; with it, before/after differences are live memory.
 * Nothing else in the gateway changes; SIGUSR2 is otherwise unused by it.
 */
const gc = (globalThis as { gc?: () => void }).gc

// A module, not a script: its names stay out of the global scope (where @types/node declares gc).
export {}

process.on('SIGUSR2', () => {
  if (gc === undefined) {
    process.stderr.write(`${JSON.stringify({ egBenchMemory: { error: 'gc is not exposed (--expose-gc missing)' } })}\n`)
    return
  }
  // Twice: the first pass runs finalizers and weak callbacks whose garbage only the second frees.
  gc()
  gc()
  const m = process.memoryUsage()
  process.stderr.write(`${JSON.stringify({ egBenchMemory: { rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers } })}\n`)
})
