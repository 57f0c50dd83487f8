import type { GatewayApi } from '../core/api-client'
import type { RiskLevel } from '../../../contract/levels'

/**
 * Reading the gateway back over HTTP, and knowing when it has finished: the stored row count
 * (eg_rows_persisted_total on /metrics) and the alert list stop changing. Time-based rules
 * fire on the rule clock after the last readings, notices go out after alerts: only polling
 * the outcome says when all of that is over.
 */
export interface AlertRecord {
  id: string
  elderId: string
  rule: string
  level: RiskLevel
  status: string
  count: number
  firstAt: string
  lastAt: string
  summary: string
  evidence: Record<string, unknown>
}

export async function fetchAlerts(api: GatewayApi): Promise<AlertRecord[]> {
  const all: AlertRecord[] = []
  for (let offset = 0; ; offset += 1000) {
    const page = await api.get<{ items: AlertRecord[]; total: number }>(`/api/v1/alerts?limit=1000&offset=${offset}`)
    all.push(...page.items)
    if (page.items.length < 1000 || all.length >= page.total) return all
  }
}

/** Sum of a Prometheus counter or gauge over its label sets (0 when absent). */
export async function metric(baseUrl: string, name: string, labels?: string): Promise<number> {
  const res = await fetch(`${baseUrl.replace(/\/+$/, '')}/metrics`)
  if (!res.ok) throw new Error(`GET /metrics → ${res.status}`)
  let sum = 0
  for (const line of (await res.text()).split('\n')) {
    if (!line.startsWith(name) || (line[name.length] !== ' ' && line[name.length] !== '{')) continue
    if (labels && !line.includes(labels)) continue
    sum += Number(line.slice(line.lastIndexOf(' ') + 1)) || 0
  }
  return sum
}

export interface SettleOptions {
  /** Identical consecutive observations needed. */
  quietPolls?: number
  pollMs?: number
  timeoutMs?: number
  onPoll?: (rows: number, alerts: number) => void
  /** More state that must stop changing (notices received, voice prompt transitions). */
  extra?: () => Promise<string>
}

/** Resolves with the final alerts once rows and alerts have not changed for `quietPolls` polls. */
export async function waitUntilSettled(api: GatewayApi, opts: SettleOptions = {}): Promise<AlertRecord[]> {
  const quiet = opts.quietPolls ?? 4
  const deadline = Date.now() + (opts.timeoutMs ?? 300_000)
  let last = ''
  let same = 0
  for (;;) {
    const [rows, depth, alerts, extra] = await Promise.all([metric(api.baseUrl, 'eg_rows_persisted_total'), metric(api.baseUrl, 'eg_writer_buffer_depth'), fetchAlerts(api), opts.extra?.() ?? ''])
    const signature = `${rows}|${depth}|${extra}|${alerts.map((a) => `${a.id}:${a.level}:${a.count}:${a.lastAt}`).sort().join(',')}`
    opts.onPoll?.(rows, alerts.length)
    same = signature === last && depth === 0 ? same + 1 : 0
    last = signature
    if (same >= quiet - 1) return alerts
    if (Date.now() > deadline) throw new Error(`the gateway did not settle within ${Math.round((opts.timeoutMs ?? 300_000) / 1000)} s (rows ${rows}, writer depth ${depth}, ${alerts.length} alerts)`)
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 1_000))
  }
}
