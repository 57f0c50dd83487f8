/**
 * Ctrl-C for long runs: the first SIGINT/SIGTERM asks for a clean stop (the promise
 * resolves), a second one a second or more later forces the exit. Signals within a second of
 * the first are the same Ctrl-C: the terminal signals the whole process group and tsx relays
 * it to its child as well, so one keypress arrives twice.
 */
export interface StopSignal {
  readonly promise: Promise<string>
  readonly requested: boolean
}

export function stopOnSignal(onFirst?: (signal: string) => void): StopSignal {
  let firstAt = 0
  let resolve: (signal: string) => void = () => undefined
  const promise = new Promise<string>((r) => {
    resolve = r
  })
  const handler = (signal: string) => {
    if (firstAt === 0) {
      firstAt = Date.now()
      onFirst?.(signal)
      resolve(signal)
      return
    }
    if (Date.now() - firstAt < 1_000) return
    console.error('\nforced exit')
    process.exit(130)
  }
  process.on('SIGINT', handler)
  process.on('SIGTERM', handler)
  return {
    promise,
    get requested() {
      return firstAt !== 0
    },
  }
}
