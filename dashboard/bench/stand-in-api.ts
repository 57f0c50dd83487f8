import type { ServerResponse } from 'node:http'
import type { FastifyInstance } from 'fastify'
import { formatEvent } from '../../gateway/src/stream/stream-connection'
import type { Alert, AlertStatus, Elder, RiskLevel, StreamChange } from '../src/types'

/**
 * A stand-in for the gateway's board API, for the render bench: the routes the board calls at
 * start (login, me, paged alerts, elders) answered from memory, and `GET /api/v1/stream` in the
 * gateway's own SSE framing (formatEvent from gateway/src/stream/stream-connection.ts: `id`,
 * `event: <topic>`, `data: <change>`; `hello` first). The bench controls every change and its
 * timing, which a real gateway under rule evaluation would not give it.
 */
const RULES = ['venue.repeat', 'absence.long', 'absence.overnight', 'home.strangers', 'device.removed', 'device.battery', 'device.offline', 'safety.fall']
const TENANT = 'bench-tenant'
export const BENCH_TOKEN = 'bench-token'

export interface StandInApi {
  alerts: Map<string, Alert>
  /** Registers the routes on the board server (startBoardServer's `extend`). */
  extend(app: FastifyInstance): Promise<() => void>
  /** Opens a new red SOS alert (lands on top of the board). */
  openAlert(): StreamChange
  /** Raises an open alert below red to red (it moves to the top). */
  raiseAlert(): StreamChange | null
  /** Acknowledges the newest open red alert (it leaves the top: the row goes or changes). */
  acknowledgeTop(): StreamChange | null
  /** Sends a change to every open stream. */
  publish(change: StreamChange): void
  openStreams(): number
}

export function createStandInApi(opts: { alerts: number; elders: number; now: number }): StandInApi {
  const elders: Elder[] = Array.from({ length: opts.elders }, (_, i) => ({
    id: `elder-${i}`,
    name: `老人-${i}`,
    home: { lat: 31.23 + (i % 50) * 0.001, lon: 121.47 + Math.floor(i / 50) * 0.001, radiusM: 100 },
    area: `片区-${i % 12}`,
  }))
  const alerts = new Map<string, Alert>()
  const statuses: AlertStatus[] = ['open', 'open', 'open', 'acknowledged', 'resolved']
  const levels: RiskLevel[] = ['yellow', 'yellow', 'orange', 'green', 'red', 'yellow', 'green', 'orange']
  for (let i = 0; i < opts.alerts; i++) {
    const at = new Date(opts.now - (i + 1) * 60_000).toISOString()
    const rule = RULES[i % RULES.length] ?? 'venue.repeat'
    alerts.set(`alert-${i}`, {
      id: `alert-${i}`,
      elderId: elders[i % elders.length]?.id ?? 'elder-0',
      rule,
      level: levels[i % levels.length] ?? 'yellow',
      status: statuses[i % statuses.length] ?? 'open',
      count: 1 + (i % 3),
      firstAt: at,
      lastAt: at,
      updatedAt: at,
      summary: `Bench alert ${i} (${rule}).`,
      evidence: {},
    })
  }

  const streams = new Set<ServerResponse>()
  let seq = 1_000
  let created = 0
  const openedRed: string[] = []

  const change = (alert: Alert, kind: string, previousLevel: RiskLevel | null): StreamChange & { tenantId: string } => {
    alerts.set(alert.id, alert)
    return { seq: ++seq, tenantId: TENANT, topic: 'alert', entityId: alert.id, payload: { change: kind, actor: 'bench', previousLevel, alert }, at: new Date().toISOString() }
  }

  function page(status: string | undefined, limit: number, offset: number) {
    const matching = [...alerts.values()].filter((a) => status === undefined || a.status === status)
    return { items: matching.slice(offset, offset + limit), total: matching.length }
  }

  return {
    alerts,
    async extend(app) {
      app.post('/api/v1/auth/login', async () => ({
        token: BENCH_TOKEN,
        user: { id: 'u-bench', username: 'bench', role: 'operator', tenantId: TENANT },
        expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
      }))
      app.get('/api/v1/auth/me', async () => ({ id: 'u-bench', username: 'bench', role: 'operator', tenantId: TENANT }))
      app.get<{ Querystring: { status?: string; limit?: string; offset?: string } }>('/api/v1/alerts', async (request) =>
        page(request.query.status, Number(request.query.limit ?? 100), Number(request.query.offset ?? 0)),
      )
      app.get<{ Querystring: { limit?: string; offset?: string } }>('/api/v1/elders', async (request) => {
        const offset = Number(request.query.offset ?? 0)
        return { items: elders.slice(offset, offset + Number(request.query.limit ?? 100)), total: elders.length }
      })
      app.get('/api/v1/stream', (request, reply) => {
        reply.hijack()
        const res = reply.raw
        res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform' })
        res.write(`retry: 3000\n\n${formatEvent('hello', seq, { seq, latestSeq: seq, replay: false, role: 'operator' })}`)
        streams.add(res)
        request.raw.socket.once('close', () => streams.delete(res))
      })
      // Everything else the board may ask for (devices, notices…) is "not offered": it degrades.
      app.all('/api/v1/*', async (_request, reply) => reply.code(404).send({ error: { code: 'NOT_FOUND', message: 'no route in the bench' } }))
      return () => {
        for (const res of streams) res.destroy()
      }
    },
    openAlert() {
      const n = created++
      const at = new Date().toISOString()
      const alert: Alert = {
        id: `bench-new-${n}`,
        elderId: elders[n % elders.length]?.id ?? 'elder-0',
        rule: 'safety.sos',
        level: 'red',
        status: 'open',
        count: 1,
        firstAt: at,
        lastAt: at,
        updatedAt: at,
        summary: 'Bench SOS.',
        evidence: { place: 'away' },
      }
      openedRed.push(alert.id)
      return change(alert, 'opened', null)
    },
    raiseAlert() {
      for (const a of alerts.values()) {
        if (a.status !== 'open' || a.level === 'red') continue
        const at = new Date().toISOString()
        openedRed.push(a.id)
        return change({ ...a, level: 'red', lastAt: at, updatedAt: at, levelSince: at }, 'raised', a.level)
      }
      return null
    },
    acknowledgeTop() {
      const id = openedRed.pop()
      const a = id === undefined ? undefined : alerts.get(id)
      if (a === undefined) return null
      const at = new Date().toISOString()
      return change({ ...a, status: 'acknowledged', acknowledgedAt: at, acknowledgedBy: 'bench', updatedAt: at }, 'acknowledged', a.level)
    },
    publish(c) {
      const frame = formatEvent(c.topic, c.seq, c)
      for (const res of streams) res.write(frame)
    },
    openStreams: () => streams.size,
  }
}
