/**
 * The shapes the board reads from the gateway's HTTP API and live stream (README "HTTP
 * contract"; issue 4 lifecycle, notices, voice prompts, stream). Only the fields the board
 * uses; the API may send more.
 */
export type RiskLevel = 'green' | 'yellow' | 'orange' | 'red'
export type AlertStatus = 'open' | 'acknowledged' | 'resolved'
export type Role = 'admin' | 'operator' | 'police'
export const DISPOSITIONS = ['confirmed_fraud', 'false_alarm', 'referred_to_police', 'resolved_other'] as const
export type Disposition = (typeof DISPOSITIONS)[number]

export interface SessionUser {
  id: string
  username: string
  role: Role
  tenantId: string
}

export interface Alert {
  id: string
  elderId: string
  rule: string
  level: RiskLevel
  status: AlertStatus
  count: number
  firstAt: string
  lastAt: string
  summary?: string
  evidence?: Record<string, unknown>
  createdAt?: string
  updatedAt?: string
  levelSince?: string | null
  assignee?: string | null
  acknowledgedAt?: string | null
  acknowledgedBy?: string | null
  resolvedAt?: string | null
  disposition?: Disposition | null
  resolutionNote?: string | null
}

export interface Contact {
  name: string
  relation?: string
  phone?: string
}

export interface Elder {
  id: string
  name: string
  home: { lat: number; lon: number; radiusM: number }
  phone?: string | null
  address?: string | null
  area?: string | null
  language?: string
  contacts?: Contact[]
  riskLevel?: RiskLevel
}

export interface Device {
  id: string
  elderId: string
  kind: 'watch' | 'camera'
  /** How it connects (DESIGN §3/§3b); absent from gateways before issue 15: MQTT. */
  protocol?: 'mqtt' | 'watch'
  /** The watch's own number (protocol "watch"). */
  imei?: string | null
  /** The newest protocol frame's command and time (protocol "watch"). */
  lastFrame?: { command: string; at: string } | null
  online: boolean
  lastSeenAt: string | null
  battery: number | null
  /** Messages the gateway dropped as invalid (exact count; the dead letters keep only the newest). */
  rejected: { count: number; lastAt: string | null; lastReason: string | null }
}

/** GET /dead-letters: one rejected device payload, kept as evidence (bounded, newest first). */
export interface DeadLetter {
  id: number
  receivedAt: number
  deviceId?: string
  channel: string
  reason: string
  message: string
  payload: string
}

export interface Reading {
  kind: 'watch' | 'camera'
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

export type VoiceStatus = 'queued' | 'sent' | 'delivered' | 'played' | 'failed' | 'expired' | 'suppressed'

export interface VoicePrompt {
  id: string
  elderId: string
  deviceId: string
  text: string
  status: VoiceStatus
  origin?: string
  requestedBy?: string | null
  createdAt: string
}

export interface Notice {
  id: string
  alertId: string
  elderId: string
  audience: 'police' | 'family'
  level: RiskLevel
  status: 'pending' | 'delivered' | 'failed' | 'receipted'
  attempts: number
  lastError: string | null
  createdAt: string
  deliveredAt: string | null
  receipt?: { status: string | null; at: string; caseNumber: string | null } | null
  caseNumber?: string | null
}

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
export interface UserAccount {
  id: string
  username: string
  role: Role
  policeStationId: string | null
  displayName: string | null
  disabled: boolean
  createdAt: string
}

export interface PoliceStation {
  id: string
  name: string
}

/* ---- Map and venues (issue 6) ---- */
export const VENUE_KINDS = ['sales', 'investment', 'travel', 'bank', 'care', 'hospital', 'other'] as const
export type VenueKind = (typeof VENUE_KINDS)[number]
/** DESIGN §4: risky by default (the gateway decides; the board emphasises these). */
export const RISKY_VENUE_KINDS: ReadonlySet<VenueKind> = new Set(['sales', 'investment', 'travel'])

/** A venue is a circle (lat, lon, radiusM) or a polygon of [lat, lon] vertices. */
export interface Venue {
  id: string
  name: string
  kind: VenueKind
  risky: boolean
  lat: number | null
  lon: number | null
  radiusM: number | null
  polygon: Array<[number, number]> | null
  address: string | null
}

/** A place several elders gathered at on several days (crowd detection), not yet a venue. */
export interface VenueCandidate {
  id: string
  lat: number
  lon: number
  radiusM: number
  /** The days elders gathered there (only the count is shown). */
  days: unknown[]
  elderIds: string[]
  status: 'new' | 'promoted' | 'dismissed'
  venueId: string | null
  firstAt: string
  lastAt: string
}

/** `GET /api/v1/board-config`: map tiles (null = no tile server, plain background). */
export interface BoardConfig {
  tileUrl: string | null
  attribution: string | null
  tenantName: string
}

/* ---- Reports (issue 6): `GET /api/v1/reports/alerts` ----
 * The gateway's own types: the report is plain JSON (strings and numbers), so the wire shape is
 * the server type; a type-only import is erased from the browser bundle. */
export type { AlertReport } from '../../gateway/src/reports/alert-report'
export type { AlertReportRow } from '../../gateway/src/reports/report-store'
export type { ReportPeriod } from '../../gateway/src/reports/report-period'
