import type { Logger } from '../logger'

/**
 * The write loop the batched stores share (dead letters, device activity, rejection counts):
 * one write at a time — a flush during a write waits for it, then writes what came after — and
 * a timer that writes when there is work and no write is running. The timer is unref'd: this
 * bookkeeping never keeps the process alive; the store's close() stops it and flushes the rest.
 */
export interface FlushLoop {
  flush(): Promise<void>
  stop(): void
}

export function startFlushLoop(opts: { write: () => Promise<void>; hasWork: () => boolean; flushMs: number; logger: Logger; what: string }): FlushLoop {
  let writing: Promise<void> | undefined

  function flush(): Promise<void> {
    const next = (writing ?? Promise.resolve()).then(opts.write)
    writing = next
    return next.finally(() => {
      if (writing === next) writing = undefined
    })
  }

  const timer = setInterval(() => {
    if (opts.hasWork() && writing === undefined) {
      flush().catch((err: unknown) => opts.logger.error({ err: (err as Error).message }, `${opts.what} flush failed`))
    }
  }, opts.flushMs)
  timer.unref()

  return { flush, stop: () => clearInterval(timer) }
}
