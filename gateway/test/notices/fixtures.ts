import { randomUUID } from 'node:crypto'
import type { Finding } from '../../../rules/src/index'
import { applyFindings, type Alert } from '../../src/alerts/alert-store'
import { noAlertEffects, type AlertEffects, type AlertEvent } from '../../src/alerts/effects'
import type { RiskLevel } from '../../../contract/levels'
import { insertElder } from '../../src/registry/elder-store'
import { insertPoliceStation } from '../../src/registry/police-station-store'
import { insertTenant } from '../../src/registry/tenant-store'
import type { Contact } from '../../src/registry/types'
import type { Db } from '../../src/storage/db'

/** Registry rows and alerts for notice tests, made through the real stores. */
export const STATION_SECRET = 'station-secret-0123456789'
export const CONTACT_SECRET = 'contact-secret-0123456789'
export const HOME = { lat: 31.2304, lon: 121.4737 }

export async function seedTenant(db: Db): Promise<string> {
  const id = randomUUID()
  await insertTenant(db, { id, name: `county-${id.slice(0, 8)}` })
  return id
}

export async function seedStation(db: Db, tenantId: string, webhookUrl: string, format: 'json' | 'cap' = 'json'): Promise<string> {
  const id = randomUUID()
  await insertPoliceStation(db, tenantId, id, { name: '城关派出所', webhookUrl, secret: STATION_SECRET, format })
  return id
}

export async function seedElder(db: Db, tenantId: string, opts: { policeStationId?: string | null; contacts?: Contact[] } = {}): Promise<string> {
  const id = randomUUID()
  await insertElder(db, tenantId, id, {
    name: '王秀英',
    home: HOME,
    phone: '+86 138 0000 0000',
    address: '城关镇幸福路 12 号',
    policeStationId: opts.policeStationId ?? null,
    contacts: opts.contacts ?? [],
  })
  return id
}

let seq = 0
/** A finding through the real alert store; `effects` runs the planners in its transaction. */
export async function openAlert(db: Db, tenantId: string, elderId: string, rule: string, level: RiskLevel, effects: AlertEffects = noAlertEffects): Promise<Alert> {
  const finding: Finding = {
    rule: rule as Finding['rule'],
    tenantId,
    elderId,
    level,
    dedupKey: `${rule}:${elderId}:${++seq}`,
    ts: Date.UTC(2026, 2, 1, 9, 0, 0) + seq,
    summary: `${rule} at ${level}`,
    evidence: { visits: 3, venue: 'free lecture hall' },
  }
  const [change] = await applyFindings(db, [finding], effects)
  if (!change) throw new Error('finding not applied')
  return change.alert
}

export function event(alert: Alert, change: AlertEvent['change'], previousLevel: RiskLevel | null): AlertEvent {
  return { alert, change, previousLevel, actor: 'rule-engine' }
}
