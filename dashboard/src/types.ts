/**
 * The shapes the board reads from the gateway's HTTP API and live stream (README "HTTP
 * contract"). The records are the gateway's own answer types (gateway/src/http/api-types.ts,
 * inferred from the response schemas its handlers answer with), imported type-only — erased
 * from the bundle — and the vocabularies are the contract's (contract/). What is declared here
 * is the board's own: narrower views of answers it reads in part.
 */
import type { RiskLevel } from '../../contract/levels'
import type { DeviceKind } from '../../contract/device-events'
import type { Role } from '../../contract/alert-lifecycle'
export type { RiskLevel } from '../../contract/levels'
export { dispositions as DISPOSITIONS, type AlertStatus, type Disposition, type Role } from '../../contract/alert-lifecycle'
export type { Crs as MapCrs } from '../../contract/crs'
import type {
  AlertView,
  BoardConfigView,
  DeadLetterView,
  DeviceView,
  ElderView,
  NoticeView,
  PoliceStationView,
  UserView,
  VenueCandidateView,
  VenueView,
  VoicePromptView,
} from '../../gateway/src/http/api-types'

/**
 * An answer as the board reads it: the fields it relies on (K) as the gateway types them, the
 * rest possibly absent — a stand-in API in the benches, fixtures in the tests, or an older
 * gateway during an upgrade.
 */
type Read<T, K extends keyof T> = Pick<T, K> & Partial<Omit<T, K>>

export type Alert = Read<AlertView, 'id' | 'elderId' | 'rule' | 'level' | 'status' | 'count' | 'firstAt' | 'lastAt'>
export type Elder = Read<ElderView, 'id' | 'name' | 'home'>
export type Device = Read<DeviceView, 'id' | 'elderId' | 'kind' | 'online' | 'lastSeenAt' | 'battery' | 'rejected'>
export type DeadLetter = DeadLetterView
export type VoicePrompt = Read<VoicePromptView, 'id' | 'elderId' | 'deviceId' | 'text' | 'status' | 'createdAt'>
export type Notice = Read<NoticeView, 'id' | 'alertId' | 'elderId' | 'audience' | 'level' | 'status' | 'attempts' | 'lastError' | 'createdAt' | 'deliveredAt'>
export type UserAccount = UserView
export type PoliceStation = Read<PoliceStationView, 'id' | 'name'>
/** A venue: a circle (lat, lon, radiusM) or a polygon of [lat, lon] vertices (the API's pairs, as tuples). */
export type Venue = Read<Omit<VenueView, 'polygon'>, 'id' | 'name' | 'kind' | 'risky' | 'lat' | 'lon' | 'radiusM' | 'address'> & { polygon: Array<[number, number]> | null }
/** A place several elders gathered at on several days (crowd detection), not yet a venue. */
export type VenueCandidate = Read<VenueCandidateView, 'id' | 'lat' | 'lon' | 'radiusM' | 'status' | 'venueId' | 'firstAt' | 'lastAt'> & { days: unknown[]; elderIds: string[] }
export type BoardConfig = BoardConfigView

export interface SessionUser {
  id: string
  username: string
  role: Role
  tenantId: string
}

export interface Contact {
  name: string
  relation?: string
  phone?: string
}

/** GET /dead-letters: one rejected device payload, kept as evidence (bounded, newest first). */
export interface Reading {
  kind: DeviceKind
  deviceId: string
  ts: number
  lat?: number
  lon?: number
  hr?: number
  bat?: number
  presence?: boolean
  strangers?: number
}

export interface DeviceEvent {
  deviceId: string
  ts: number
  type: string
}

export interface Telemetry {
  items: Reading[]
  events: DeviceEvent[]
}

/** GET /elders/:id/activity: one elder's readings summed per hour (hours without readings absent). */
export interface ActivityHour {
  at: string
  readings: number
  steps: number | null
  hrMean: number | null
  hrMin: number | null
  hrMax: number | null
  fixes: number
}

export interface ElderActivity {
  elderId: string
  from: string
  to: string
  hours: ActivityHour[]
}

/* The gateway's own type (plain strings; type-only, erased from the bundle). */
export type { VoicePromptStatus as VoiceStatus } from '../../gateway/src/voice/status'
import type { VoicePromptStatus as VoiceStatus } from '../../gateway/src/voice/status'

export interface Page<T> {
  items: T[]
  total?: number
}

/** One change on `GET /api/v1/stream` (the SSE `data`). */
export interface StreamChange {
  seq: number
  topic: 'alert' | 'notice' | 'voice' | 'device'
  entityId: string
  payload: Record<string, unknown>
  at: string
}

export interface AlertChangePayload {
  change: string
  actor?: string | null
  previousLevel?: RiskLevel | null
  alert: Alert
}

/* ---- Rules and users (admin pages, issue 6) ---- */

/** `GET /api/v1/rules`: the effective config (defaults filled in) and the stored overrides. */
export interface RulesState {
  version: number
  updatedBy: string | null
  updatedAt: string | null
  note: string | null
  stored: Record<string, unknown>
  config: RuleConfigShape
  defaults: RuleConfigShape
}

/** The parts of rules/src/config.ts the board edits: per-rule parameters by rule id. */
export interface RuleConfigShape {
  rules: Record<string, Record<string, unknown>>
  [section: string]: unknown
}

export interface RuleVersion {
  version: number
  config: unknown
  createdBy: string
  note: string | null
  createdAt: string
}

/* `POST /api/v1/rules/backtest`: the gateway's own types (plain JSON; type-only, erased from the bundle). */
export type { Finding as BacktestFinding } from '../../rules/src/types'
export type { BacktestResult } from '../../gateway/src/detection/backtest'

/** `GET /api/v1/users`: never a password or its hash. */
/* ---- Map and venues (issue 6) ---- */
export { RISKY_VENUE_KINDS, VENUE_KINDS, type VenueKind } from '../../contract/venue-kinds'

/** The base map's datum (EG_MAP_CRS); everything the API answers is WGS-84. */
/** `GET /api/v1/board-config`: the base map and its datum (gateway http/routes/board-config-routes.ts). */
/* ---- Reports (issue 6): `GET /api/v1/reports/alerts` ----
 * The gateway's own types: the report is plain JSON (strings and numbers), so the wire shape is
 * the server type; a type-only import is erased from the browser bundle. */
export type { AlertReport } from '../../gateway/src/reports/alert-report'
export type { AlertReportRow } from '../../gateway/src/reports/report-store'
export type { ReportPeriod } from '../../gateway/src/reports/report-period'
