import type { Logger } from './logger'

/**
 * Shutdown in the composition root (issue 14): each resource registers a named stop right after
 * it is created; stopAll() runs them in reverse order of registration — what was started last
 * (and depends on the earlier) stops first — each bounded by a timeout, so one that hangs (a
 * database that is gone) does not keep the rest from stopping. Failures are logged by name.
 */
export interface StopList {
  onStop(name: string, stop: () => Promise<unknown> | unknown): void
  /** Runs every stop once, newest first; later calls wait for the first. */
  stopAll(): Promise<void>
  /** Names in the order they will stop (tests, logs). */
  order(): string[]
}

export function createStopList(logger: Logger, opts: { timeoutMs?: number } = {}): StopList {
  const timeoutMs = opts.timeoutMs ?? 30_000
  const stops: Array<{ name: string; stop: () => Promise<unknown> | unknown }> = []
  let stopping: Promise<void> | undefined

  async function runOne(name: string, stop: () => Promise<unknown> | unknown): Promise<void> {
    let timer: NodeJS.Timeout | undefined
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs)
      timer.unref()
    })
    try {
      const outcome = await Promise.race([Promise.resolve().then(stop), timedOut])
      if (outcome === 'timeout') logger.warn({ step: name, timeoutMs }, 'shutdown step timed out; going on')
    } catch (err) {
      logger.warn({ step: name, err }, 'shutdown step failed')
    } finally {
      clearTimeout(timer)
    }
  }

  return {
    onStop(name, stop) {
      stops.push({ name, stop })
    },
    stopAll() {
      stopping ??= (async () => {
        for (const { name, stop } of [...stops].reverse()) await runOne(name, stop)
      })()
      return stopping
    },
    order: () => [...stops].reverse().map((s) => s.name),
  }
}
