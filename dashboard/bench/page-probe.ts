/**
 * Runs inside the board page (Playwright `addInitScript`, before the app's own code), so the
 * board needs no bench hooks. It wraps EventSource listeners to note when each alert change
 * arrives, watches the DOM for the moment the change shows (a MutationObserver), and then
 * waits for the next paint: requestAnimationFrame runs just before the frame is painted, and a
 * message posted from it is handled right after. Long tasks are counted by a
 * PerformanceObserver. Self-contained: Playwright serialises this function's source.
 */
export interface ProbeSample {
  id: string
  kind: string
  /** SSE message arrival → DOM shows the change. */
  domMs: number
  /** SSE message arrival → the first paint after that. */
  paintMs: number
}

export interface ProbeResult {
  samples: ProbeSample[]
  pending: number
  /** Changes overtaken by a newer change to the same alert before the DOM showed them (the board coalesces). */
  superseded: number
  /** What the never-shown changes were (change kind: count). */
  pendingKinds: Record<string, number>
  longTasks: number
  longTaskMs: number
}

declare global {
  interface Window {
    __egProbe?: { result(): ProbeResult; resetLongTasks(): void }
  }
}

export function installProbe(): void {
  interface Pending {
    id: string
    kind: string
    level: string
    status: string
    /** The row stays in view (a new or raised red); an acknowledged top row may leave it. */
    visible: boolean
    arrived: number
  }
  const pending: Pending[] = []
  const samples: ProbeSample[] = []
  let superseded = 0
  let longTasks = 0
  let longTaskMs = 0

  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      longTasks++
      longTaskMs += entry.duration
    }
  }).observe({ type: 'longtask', buffered: true })

  const afterNextPaint = (done: () => void) => {
    requestAnimationFrame(() => {
      const channel = new MessageChannel()
      channel.port1.onmessage = () => done()
      channel.port2.postMessage(null)
    })
  }

  const shows = (p: Pending): boolean => {
    const rows = document.querySelectorAll(`[data-testid="alert-row"][data-alert-id="${CSS.escape(p.id)}"]`)
    for (const row of rows) {
      const el = row as HTMLElement
      if (el.dataset.level !== p.level || el.dataset.status !== p.status) return false
    }
    return p.visible ? rows.length > 0 : true
  }

  const check = () => {
    if (pending.length === 0) return
    const now = performance.now()
    for (let i = pending.length - 1; i >= 0; i--) {
      const p = pending[i]
      if (p === undefined || !shows(p)) continue
      pending.splice(i, 1)
      const domMs = now - p.arrived
      afterNextPaint(() => samples.push({ id: p.id, kind: p.kind, domMs, paintMs: performance.now() - p.arrived }))
    }
  }

  const startObserving = () => new MutationObserver(check).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-level', 'data-status'] })
  if (document.body === null) addEventListener('DOMContentLoaded', startObserving)
  else startObserving()

  const original = EventSource.prototype.addEventListener
  EventSource.prototype.addEventListener = function (this: EventSource, type: string, listener: EventListenerOrEventListenerObject, options?: boolean | AddEventListenerOptions) {
    if (type !== 'alert') return original.call(this, type, listener, options)
    const wrapped = (event: Event) => {
      const arrived = performance.now()
      try {
        const change = JSON.parse((event as MessageEvent<string>).data) as { payload: { change: string; alert: { id: string; level: string; status: string } } }
        const a = change.payload.alert
        for (let i = pending.length - 1; i >= 0; i--) {
          if (pending[i]?.id !== a.id) continue
          pending.splice(i, 1)
          superseded++
        }
        pending.push({ id: a.id, kind: change.payload.change, level: a.level, status: a.status, visible: a.status === 'open', arrived })
      } catch {
        // Not a change the bench sent: not measured.
      }
      if (typeof listener === 'function') listener.call(this, event)
      else listener.handleEvent(event)
    }
    return original.call(this, type, wrapped, options)
  } as typeof EventSource.prototype.addEventListener

  window.__egProbe = {
    result: () => {
      const pendingKinds: Record<string, number> = {}
      for (const p of pending) pendingKinds[p.kind] = (pendingKinds[p.kind] ?? 0) + 1
      return { samples: [...samples], pending: pending.length, superseded, pendingKinds, longTasks, longTaskMs }
    },
    resetLongTasks: () => {
      longTasks = 0
      longTaskMs = 0
    },
  }
}
