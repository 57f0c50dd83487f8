import { beep } from './cue'
import { applyAlertUpdates, emitStreamChange, loadAlerts } from './data'
import { Store } from './store'
import type { Alert, AlertChangePayload, StreamChange } from './types'

/**
 * The live feed: `GET /api/v1/stream` as Server-Sent Events. EventSource reconnects by itself
 * and sends Last-Event-ID, so the gateway replays what was missed; when the browser gives up
 * (the gateway answered an error, e.g. during a restart) we open a new one with `?since=`.
 * No polling: between changes the board does nothing.
 */
export type StreamStatus = 'connecting' | 'live' | 'lost' | 'caughtUp' | 'missing'
export const streamStatus = new Store<StreamStatus>('connecting')

interface Hello {
  seq: number
  latestSeq: number
  replay: boolean
}

const CAUGHT_UP_SHOWN_MS = 6_000
const MAX_BACKOFF_MS = 15_000
const TOPICS = ['alert', 'notice', 'voice', 'device'] as const

let source: EventSource | null = null
let token = ''
let lastSeq: number | null = null
let wasLost = false
let catchUpTo: number | null = null
let retryTimer: ReturnType<typeof setTimeout> | undefined
let caughtUpTimer: ReturnType<typeof setTimeout> | undefined
let backoffMs = 1_000
let onUnauthorised: () => void = () => undefined

// Stream changes to alerts are applied in small batches: a burst (a replay after a
// reconnect, a flood of findings) re-sorts the board once, not once per change.
let pending: Alert[] = []
let pendingRed = false
let flushTimer: ReturnType<typeof setTimeout> | undefined

function flush(): void {
  flushTimer = undefined
  const batch = pending
  pending = []
  applyAlertUpdates(batch)
  if (pendingRed) beep()
  pendingRed = false
}

function onAlertChange(change: StreamChange): void {
  const payload = change.payload as Partial<AlertChangePayload>
  const alert = payload.alert
  if (alert === undefined || typeof alert.id !== 'string') return
  pending.push(alert)
  // Opened red, raised to red, escalated to red (previousLevel null or lower); repeats and
  // lifecycle steps carry previousLevel 'red' and stay quiet.
  if (alert.level === 'red' && alert.status === 'open' && payload.previousLevel !== 'red') pendingRed = true
  flushTimer ??= setTimeout(flush, 50)
}

function markCaughtUp(): void {
  catchUpTo = null
  if (!wasLost) {
    streamStatus.set('live')
    return
  }
  wasLost = false
  streamStatus.set('caughtUp')
  clearTimeout(caughtUpTimer)
  caughtUpTimer = setTimeout(() => {
    if (streamStatus.value === 'caughtUp') streamStatus.set('live')
  }, CAUGHT_UP_SHOWN_MS)
}

function handleChange(event: MessageEvent<string>): void {
  let change: StreamChange
  try {
    change = JSON.parse(event.data) as StreamChange
  } catch {
    return
  }
  lastSeq = Math.max(lastSeq ?? 0, change.seq)
  if (change.topic === 'alert') onAlertChange(change)
  emitStreamChange(change)
  if (catchUpTo !== null && change.seq >= catchUpTo) markCaughtUp()
}

function handleHello(event: MessageEvent<string>): void {
  backoffMs = 1_000
  const hello = JSON.parse(event.data) as Hello
  lastSeq = Math.max(lastSeq ?? 0, hello.seq)
  if (hello.latestSeq > hello.seq) catchUpTo = hello.latestSeq
  else markCaughtUp()
}

function handleReset(): void {
  // The gateway no longer holds what we missed: read the state again.
  void loadAlerts()
}

async function diagnoseClosed(): Promise<void> {
  // EventSource hides the HTTP status; ask once to tell "no such route" from "try later".
  const controller = new AbortController()
  let status = 0
  try {
    const res = await fetch(streamUrl(), { signal: controller.signal })
    status = res.status
  } catch {
    status = 0
  } finally {
    controller.abort()
  }
  if (status === 401) return onUnauthorised()
  if (status === 404) {
    streamStatus.set('missing')
    retryTimer = setTimeout(open, 30_000)
    return
  }
  streamStatus.set('lost')
  retryTimer = setTimeout(open, backoffMs)
  backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF_MS)
}

function streamUrl(): string {
  const params = new URLSearchParams({ access_token: token })
  if (lastSeq !== null) params.set('since', String(lastSeq))
  return `/api/v1/stream?${params.toString()}`
}

function open(): void {
  source?.close()
  const es = new EventSource(streamUrl())
  source = es
  es.addEventListener('hello', handleHello as EventListener)
  es.addEventListener('reset', handleReset)
  for (const topic of TOPICS) es.addEventListener(topic, handleChange as EventListener)
  es.onerror = () => {
    if (source !== es) return
    if (streamStatus.value !== 'missing') {
      wasLost = wasLost || streamStatus.value !== 'connecting'
      if (wasLost) streamStatus.set('lost')
    }
    if (es.readyState === EventSource.CLOSED) {
      source = null
      void diagnoseClosed()
    }
  }
}

export function startStream(sessionToken: string, unauthorised: () => void): void {
  stopStream()
  token = sessionToken
  onUnauthorised = unauthorised
  streamStatus.set('connecting')
  open()
}

export function stopStream(): void {
  source?.close()
  source = null
  clearTimeout(retryTimer)
  clearTimeout(caughtUpTimer)
  lastSeq = null
  wasLost = false
  catchUpTo = null
}
