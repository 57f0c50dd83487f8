/**
 * Registry records as the API and other modules see them: camelCase, no secret material
 * (hashes and webhook secrets stay inside the stores, which return them only through the
 * dedicated lookups that need them).
 */
import type { Crs } from '../geo/crs'

export { roles as ROLES, type Role } from '../../../contract/alert-lifecycle'
import type { Role } from '../../../contract/alert-lifecycle'

// The contract's definitions (contract/), re-exported for the registry's records.
import type { DeviceKind } from '../../../contract/device-events'
export type { RiskLevel } from '../../../contract/levels'
export type { DeviceKind }

/** How a device talks to the gateway: the MQTT contract (DESIGN §3), or a 4G watch's TCP protocol (§3b). */
export type DeviceProtocol = 'mqtt' | 'watch'
export const DEVICE_PROTOCOLS = ['mqtt', 'watch'] as const satisfies readonly DeviceProtocol[]

export { RISKY_VENUE_KINDS, VENUE_KINDS, type VenueKind } from '../../../contract/venue-kinds'
import type { VenueKind } from '../../../contract/venue-kinds'

export interface Page<T> {
  items: T[]
  total: number
  limit: number
  offset: number
}

export interface PageRequest {
  limit: number
  offset: number
}

export interface Tenant {
  id: string
  name: string
  createdAt: Date
}

export interface User {
  id: string
  tenantId: string
  username: string
  role: Role
  policeStationId: string | null
  displayName: string | null
  disabled: boolean
  createdAt: Date
}

/**
 * Languages notices are written in (DESIGN §4: "in the recipient's language (police stations and
 * contacts have one; default zh-CN)"). Only languages every notice template has are accepted.
 */
export const NOTICE_LANGUAGES = ['zh-CN', 'en'] as const
export type NoticeLanguage = (typeof NOTICE_LANGUAGES)[number]
export const DEFAULT_NOTICE_LANGUAGE: NoticeLanguage = 'zh-CN'

export interface Contact {
  name: string
  relation?: string | undefined
  phone?: string | undefined
  webhookUrl?: string | undefined
  /** HMAC secret for the contact's webhook; stored, never returned by the API. */
  secret?: string | undefined
  /** The language of this contact's notices; contacts stored before it existed read as zh-CN. */
  language?: NoticeLanguage | undefined
}

/** Planned absence, epoch milliseconds (a weekend at a child's home is not an alert). */
export interface ExpectedAway {
  from: number
  to: number
  note?: string | undefined
}

export interface Elder {
  id: string
  tenantId: string
  name: string
  home: { lat: number; lon: number; radiusM: number }
  language: string
  policeStationId: string | null
  phone: string | null
  address: string | null
  area: string | null
  contacts: Contact[]
  expectedAway: ExpectedAway[]
  createdAt: Date
  updatedAt: Date
}

export interface Device {
  id: string
  tenantId: string
  elderId: string
  kind: DeviceKind
  protocol: DeviceProtocol
  /** The watch's own number (protocol "watch"); null for MQTT devices. */
  imei: string | null
  /** Minutes the watch's clock runs ahead of UTC (its frames carry local time); null = UTC. */
  clockOffsetMinutes: number | null
  /** The coordinate system the device reports positions in; the intake converts them to WGS-84. */
  crs: Crs
  /** The newest protocol frame's command (e.g. "UD2") and when it came; null for MQTT devices. */
  lastFrame: { command: string; at: Date } | null
  online: boolean
  statusAt: Date | null
  lastSeenAt: Date | null
  battery: number | null
  /** Messages dropped by validation (dead-lettered) since the device was created; exact, unlike the bounded dead-letter table. */
  rejected: DeviceRejected
  secretRotatedAt: Date
  createdAt: Date
}

export interface DeviceRejected {
  count: number
  lastAt: Date | null
  /** Stable reason code of the latest rejection (ingest RejectReason). */
  lastReason: string | null
}

export interface Venue {
  id: string
  tenantId: string
  name: string
  kind: VenueKind
  risky: boolean
  lat: number | null
  lon: number | null
  radiusM: number | null
  polygon: Array<[number, number]> | null
  address: string | null
  createdAt: Date
  updatedAt: Date
}

export interface PoliceStation {
  id: string
  tenantId: string
  name: string
  webhookUrl: string
  format: 'json' | 'cap'
  /** The language of the station's notices. */
  language: NoticeLanguage
  createdAt: Date
  updatedAt: Date
}
