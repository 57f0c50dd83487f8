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
  online: boolean
  lastSeenAt: string | null
  battery: number | null
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
