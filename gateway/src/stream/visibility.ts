import type { Change } from './change-log-store'
import { riskLevels, type RiskLevel } from '../../../contract/levels'
import type { AuthUser } from '../http/auth'
import type { Queryable } from '../storage/db'
import { alertPlacement, type AlertPlacement } from './stream-store'

/**
 * Who sees which change on the stream — the same rule as the REST routes: staff (admin,
 * operator) see everything of their tenant; police see only alert and notice changes of alerts
 * at red whose elder is assigned to their station (DESIGN §4 roles). The level is the one the
 * change carries (the alert as it was at that change), so a police user never receives the
 * yellow history of an alert that later turned red; the station is the elder's current one.
 */
export type ChangeFilter = (change: Change) => boolean | Promise<boolean>

/** Looks up where an alert belongs, once per change object however many police streams ask. */
export type PlacementLookup = (change: Change, alertId: string) => Promise<AlertPlacement | null>

export function createPlacementLookup(db: Queryable): PlacementLookup {
  // Live changes are one object shared by every subscriber: memoising by identity turns N police
  // streams into one query per red change. Replayed changes are fresh objects and look up alone.
  const memo = new WeakMap<Change, Promise<AlertPlacement | null>>()
  return (change, alertId) => {
    let found = memo.get(change)
    if (found === undefined) {
      found = alertPlacement(db, change.tenantId, alertId)
      memo.set(change, found)
      // A failed lookup is not remembered: the stream fails and the next one asks again.
      found.catch(() => memo.delete(change))
    }
    return found
  }
}

const seeEverything: ChangeFilter = () => true
const seeNothing: ChangeFilter = () => false

export function changeFilterFor(user: AuthUser, lookup: PlacementLookup): ChangeFilter {
  if (user.role === 'admin' || user.role === 'operator') return seeEverything
  const station = user.policeStationId
  if (user.role !== 'police' || station === null) return seeNothing
  return async (change) => {
    if (change.topic !== 'alert' && change.topic !== 'notice') return false
    const ref = alertReference(change)
    if (ref === null) return false
    // Most changes are not red: those are dropped without a query.
    if (ref.level !== undefined && ref.level !== 'red') return false
    const placement = await lookup(change, ref.alertId)
    if (placement === null) return false
    return placement.policeStationId === station && (ref.level ?? placement.level) === 'red'
  }
}

/**
 * The alert a change is about, and the level it carries if it says. Alert changes carry the
 * alert (`payload.alert`, effects.ts); notice changes name it (`payload.alertId`, or a nested
 * `payload.notice`) and usually the level the notice was sent for.
 */
export function alertReference(change: Change): { alertId: string; level?: RiskLevel } | null {
  const p = change.payload
  if (change.topic === 'alert') {
    const alert = record(p.alert)
    const level = levelOf(alert?.level)
    return { alertId: change.entityId, ...(level ? { level } : {}) }
  }
  const notice = record(p.notice) ?? p
  const alertId = typeof notice.alertId === 'string' ? notice.alertId : typeof p.alertId === 'string' ? p.alertId : null
  if (alertId === null) return null
  const level = levelOf(notice.level) ?? levelOf(p.level)
  return { alertId, ...(level ? { level } : {}) }
}

function record(value: unknown): Record<string, unknown> | null {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null
}

function levelOf(value: unknown): RiskLevel | undefined {
  return (riskLevels as readonly unknown[]).includes(value) ? (value as RiskLevel) : undefined
}
