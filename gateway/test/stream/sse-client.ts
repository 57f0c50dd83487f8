import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http'
import { waitFor } from '../../../test/support/gateway'

/**
 * A real SSE client for tests: an HTTP GET whose body is read as it streams, parsed as the EventSource spec
 * does (id / event / data lines, blank line ends an event, ':' lines are comments).
 */
export interface SseEvent {
  id: string | null
  event: string
  data: string
}

export interface SseStream {
  status: number
  headers: IncomingHttpHeaders
  events: SseEvent[]
  comments: number
  /** Resolves when the server ends the stream or the connection fails. */
  ended: Promise<void>
  /** Waits until at least `n` events (matching `event` names, if given) arrived; returns them. */
  waitForEvents(n: number, opts?: { topics?: string[]; timeoutMs?: number }): Promise<SseEvent[]>
  close(): void
}

export async function openStream(baseUrl: string, opts: { token?: string; query?: Record<string, string>; lastEventId?: string } = {}): Promise<SseStream> {
  const url = new URL('/api/v1/stream', baseUrl)
  for (const [key, value] of Object.entries(opts.query ?? {})) url.searchParams.set(key, value)
  const headers: Record<string, string> = { accept: 'text/event-stream' }
  if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`
  if (opts.lastEventId !== undefined) headers['last-event-id'] = opts.lastEventId
  // node:http with its own socket (agent: false), not fetch: Node's fetch pool opens a spare
  // socket when a streaming response is aborted, which then holds up the server's close().
  const res = await new Promise<IncomingMessage>((resolve, reject) => {
    const req = http.get(url, { headers, agent: false }, resolve)
    req.on('error', reject)
  })
  const events: SseEvent[] = []
  let endStream: () => void = () => undefined
  const stream: SseStream = {
    status: res.statusCode ?? 0,
    headers: res.headers,
    events,
    comments: 0,
    ended: new Promise<void>((resolve) => {
      endStream = resolve
    }),
    async waitForEvents(n, o = {}) {
      const pick = () => (o.topics === undefined ? events : events.filter((e) => o.topics!.includes(e.event)))
      await waitFor(async () => pick().length >= n, { timeoutMs: o.timeoutMs ?? 15_000, what: `${n} SSE events (have ${JSON.stringify(pick().map((e) => e.event))})` })
      return pick()
    },
    close: () => res.destroy(),
  }
  res.on('close', () => endStream())
  res.on('error', () => endStream())
  if (stream.status !== 200) {
    res.resume()
    return stream
  }
  res.setEncoding('utf8')
  let buffer = ''
  res.on('data', (chunk: string) => {
    buffer += chunk
    let end: number
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end)
      buffer = buffer.slice(end + 2)
      const event: SseEvent = { id: null, event: 'message', data: '' }
      let isEvent = false
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) {
          stream.comments++
          continue
        }
        const colon = line.indexOf(':')
        const field = colon < 0 ? line : line.slice(0, colon)
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '')
        if (field === 'id') event.id = value
        else if (field === 'event') event.event = value
        else if (field === 'data') event.data = event.data === '' ? value : `${event.data}\n${value}`
        else continue
        isEvent = true
      }
      if (isEvent) events.push(event)
    }
  })
  return stream
}

/** The parsed `data` of an event. */
export const dataOf = <T = Record<string, unknown>>(event: SseEvent): T => JSON.parse(event.data) as T
