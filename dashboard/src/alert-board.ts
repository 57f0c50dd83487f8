import { levelRank, riskLevelsHighestFirst } from '../../contract/levels'
import type { Alert, AlertStatus, RiskLevel } from './types'

/**
 * The board's alert collection, pure (unit-tested without a browser): merging REST pages and
 * stream changes in any order, sorting and filtering. An alert is replaced only by a copy
 * that is at least as new (updatedAt), so a REST page read before a stream change cannot undo it.
 */
/** Highest first: the board lists levels as operators read them (contract/levels.ts). */
export const LEVELS: readonly RiskLevel[] = riskLevelsHighestFirst

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
 *
 * The order is one number per alert (rank × 10^13 + lastAt ms; lastAt stays below 10^13 until
 * the year 2286), computed once per alert object: with 10,000 alerts a sort that parsed dates
 * in every comparison took ~60 ms per stream update (npm run bench:board).
 */
const sortKeys = new WeakMap<Alert, number>()

function sortKey(alert: Alert): number {
  let key = sortKeys.get(alert)
  if (key === undefined) {
    const last = Date.parse(alert.lastAt)
    const rank = (isActive(alert) ? 8 : 0) + (alert.status === 'open' ? 4 : 0) + levelRank(alert.level)
    key = rank * 1e13 + (Number.isNaN(last) ? 0 : last)
    sortKeys.set(alert, key)
  }
  return key
}

export function compareAlerts(a: Alert, b: Alert): number {
  return sortKey(b) - sortKey(a) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
}

export function matches(alert: Alert, f: AlertFilter): boolean {
  if (!f.levels.has(alert.level)) return false
  if (f.rule !== '' && alert.rule !== f.rule) return false
  if (f.status === 'all') return true
  if (f.status === 'active') return isActive(alert)
  return alert.status === f.status
}

/**
 * The alerts the filter lets through, in board order. Given the previous result, it starts
 * from that order (current copies of its alerts, then the alerts it did not hold), so a stream
 * update of a few alerts re-sorts an almost sorted array: V8's TimSort does that in about n
 * comparisons instead of n log n.
 */
export function visibleAlerts(all: ReadonlyMap<string, Alert>, f: AlertFilter, previous?: readonly Alert[]): Alert[] {
  const out: Alert[] = []
  if (previous === undefined) {
    for (const alert of all.values()) if (matches(alert, f)) out.push(alert)
    return out.sort(compareAlerts)
  }
  const held = new Set<string>()
  for (const old of previous) {
    held.add(old.id)
    const current = all.get(old.id)
    if (current !== undefined && matches(current, f)) out.push(current)
  }
  for (const alert of all.values()) if (!held.has(alert.id) && matches(alert, f)) out.push(alert)
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
    if (levelRank(alert.level) > levelRank(entry.level)) {
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
