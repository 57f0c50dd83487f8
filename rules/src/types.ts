/**
 * Domain types shared by the rule engine and its callers (DESIGN §5). Plain data only.
 */
import type { RiskLevel } from '../../contract/levels'

// The levels are the contract's (contract/levels.ts): one definition for gateway, rules, simulators and board.
export { levelRank, type RiskLevel } from '../../contract/levels'

export type RuleId =
  | 'venue.repeat'
  | 'absence.long'
  | 'absence.overnight'
  | 'absence.trip'
  | 'home.strangers'
  | 'device.removed'
  | 'money.bank_after_venue'
  | 'safety.sos'
  | 'safety.fall'
  | 'venue.candidate'
  | 'device.battery'
  | 'device.offline'

export const RULE_IDS: readonly RuleId[] = [
  'venue.repeat',
  'absence.long',
  'absence.overnight',
  'absence.trip',
  'home.strangers',
  'device.removed',
  'money.bank_after_venue',
  'safety.sos',
  'safety.fall',
  'venue.candidate',
  'device.battery',
  'device.offline',
]

/** DESIGN §4 venue kinds; sales, investment and travel are risky by default. */
export type VenueKind = 'sales' | 'investment' | 'travel' | 'bank' | 'care' | 'hospital' | 'other'

export interface Venue {
  id: string
  name: string
  kind: VenueKind
  risky: boolean
  circle?: { lat: number; lon: number; radiusM: number }
  /** Vertices as [lat, lon]. */
  polygon?: Array<[number, number]>
}

export interface ElderProfile {
  id: string
  tenantId: string
  name: string
  home: { lat: number; lon: number; radiusM: number }
  /** Planned absences (epoch ms): no absence findings inside them. */
  expectedAway?: Array<{ from: number; to: number }>
}

export interface Finding {
  rule: RuleId
  tenantId: string
  /** null only for venue.candidate, which concerns a place, not an elder. */
  elderId: string | null
  level: RiskLevel
  /** Never emitted twice by one engine state (restored checkpoints included). */
  dedupKey: string
  /** Event time at which the condition became true. */
  ts: number
  /** One English sentence for the alert board. */
  summary: string
  evidence: Record<string, unknown>
  /**
   * The finding already emitted under this dedupKey, with its evidence as it stands now (a
   * visit's dwell while it goes on): it changes nothing but the evidence of the alert it made.
   * Not a new finding — never counted, never opens an alert.
   */
  refresh?: true
}

