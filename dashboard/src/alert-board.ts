import type { Alert, AlertStatus, RiskLevel } from './types'

/**
 * The board's alert collection, pure (unit-tested without a browser): merging REST pages and
 * stream changes in any order, sorting and filtering. An alert is replaced only by a copy
 * that is at least as new (updatedAt), so a REST page read before a stream change cannot undo it.
 */
export const LEVEL_RANK: Record<RiskLevel, number> = { red: 3, orange: 2, yellow: 1, green: 0 }
export const LEVELS: readonly RiskLevel[] = ['red', 'orange', 'yellow', 'green']

export type StatusFilter = AlertStatus | 'active' | 'all'

export interface AlertFilter {
  levels: ReadonlySet<RiskLevel>
  status: StatusFilter
  rule: string
}

export const defaultFilter: AlertFilter = { levels: new Set(LEVELS), status: 'active', rule: '' }

function version(alert: Alert): number {
  const at = Date.parse(alert.updatedAt ?? alert.lastAt)
  return Number.isNaN(at) ? 0 : at
}

/** Returns a new map when anything changed, else the same one. */
export function mergeAlerts(current: ReadonlyMap<string, Alert>, incoming: readonly Alert[]): ReadonlyMap<string, Alert> {
  let next: Map<string, Alert> | null = null
  for (const alert of incoming) {
    const existing = (next ?? current).get(alert.id)
    if (existing !== undefined && version(existing) > version(alert)) continue
    next ??= new Map(current)
    next.set(alert.id, alert)
  }
  return next ?? current
}

const isActive = (a: Alert) => a.status !== 'resolved'

/**
 * Unresolved before resolved; then open (unanswered) before acknowledged; then the most
 * severe; then the newest. A new red SOS lands on top.
 */
export function compareAlerts(a: Alert, b: Alert): number {
  return (
    Number(isActive(b)) - Number(isActive(a)) ||
    Number(b.status === 'open') - Number(a.status === 'open') ||
    LEVEL_RANK[b.level] - LEVEL_RANK[a.level] ||
    Date.parse(b.lastAt) - Date.parse(a.lastAt) ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  )
}

export function matches(alert: Alert, f: AlertFilter): boolean {
  if (!f.levels.has(alert.level)) return false
  if (f.rule !== '' && alert.rule !== f.rule) return false
  if (f.status === 'all') return true
  if (f.status === 'active') return isActive(alert)
  return alert.status === f.status
}

export function visibleAlerts(all: ReadonlyMap<string, Alert>, f: AlertFilter): Alert[] {
  const out: Alert[] = []
  for (const alert of all.values()) if (matches(alert, f)) out.push(alert)
  return out.sort(compareAlerts)
}

/** Red alerts nobody has answered yet: the `(N) ` in the tab title. */
export function unansweredRed(all: ReadonlyMap<string, Alert>): number {
  let n = 0
  for (const alert of all.values()) if (alert.level === 'red' && alert.status === 'open') n++
  return n
}

/** Highest unresolved level per elder (DESIGN §5: the elder's risk level), with those alerts. */
export function riskByElder(all: ReadonlyMap<string, Alert>): Map<string, { level: RiskLevel; alerts: Alert[]; since: string }> {
  const out = new Map<string, { level: RiskLevel; alerts: Alert[]; since: string }>()
  for (const alert of all.values()) {
    if (!isActive(alert)) continue
    const since = alert.levelSince ?? alert.firstAt
    const entry = out.get(alert.elderId)
    if (entry === undefined) {
      out.set(alert.elderId, { level: alert.level, alerts: [alert], since })
      continue
    }
    entry.alerts.push(alert)
    if (LEVEL_RANK[alert.level] > LEVEL_RANK[entry.level]) {
      entry.level = alert.level
      entry.since = since
    } else if (alert.level === entry.level && since < entry.since) {
      entry.since = since
    }
  }
  for (const entry of out.values()) entry.alerts.sort(compareAlerts)
  return out
}

export function levelCounts(all: ReadonlyMap<string, Alert>): Record<RiskLevel, number> {
  const counts: Record<RiskLevel, number> = { red: 0, orange: 0, yellow: 0, green: 0 }
  for (const alert of all.values()) if (isActive(alert)) counts[alert.level]++
  return counts
}
