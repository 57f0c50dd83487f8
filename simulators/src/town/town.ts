import { readFile, writeFile } from 'node:fs/promises'
import { DEFAULT_UTC_OFFSET_MIN } from '../core/clock'
import type { LatLon } from '../core/geo'
import type { WatchNumberCredentials } from '../devices/transport'
/** What an elder's watch speaks (protocols.ts assigns them): MQTT, the 4G watch protocol, or HTTP ingest. */
export const WATCH_PROTOCOLS = ['mqtt', 'watch', 'http'] as const
export type WatchProtocol = (typeof WATCH_PROTOCOLS)[number]

/**
 * The simulated town: elders, their homes and devices, venues of every kind, private places
 * (a daughter's home is a place, never a venue) and the police station. It is plain JSON so a
 * scenario can be written by hand; after `seed` it also holds the gateway ids and the device,
 * station and contact SECRETS — a simulator file, to be kept like one.
 */
export const VENUE_KINDS = ['sales', 'investment', 'travel', 'bank', 'care', 'hospital', 'other'] as const
export type VenueKind = (typeof VENUE_KINDS)[number]

/** What a place is in daily life; `kind` is what the gateway registry knows. */
export type VenueCategory = 'lecture_hall' | 'pension_office' | 'tour_pickup' | 'bank' | 'market' | 'park' | 'hospital' | 'care_home'

export type PlaceKind = 'home' | 'child_home' | 'friend_home' | 'unregistered' | VenueKind

export interface Place extends LatLon {
  key: string
  name: string
  kind: PlaceKind
  radiusM: number
  /** Indoors the watch falls back to wifi fixes more often. */
  indoor: boolean
}

export interface TownVenue extends Place {
  kind: VenueKind
  category: VenueCategory
  /** Gateway venue id, after seeding. */
  id?: string
}

/** A private place: not registered with the gateway. */
export interface TownPlace extends Place {
  kind: 'child_home' | 'friend_home' | 'unregistered'
  elderKey?: string
}

export interface DeviceCredentials {
  id: string
  secret: string
}

/** A watch on the 4G watch protocol (DESIGN §3b): registered by its number, no secret. */
export type WatchNumberDevice = WatchNumberCredentials

export interface TownContact {
  name: string
  relation: string
  phone: string
  webhookUrl: string
  secret: string
}

/** Habitual places of an elder, by place key: routines pick from these. */
export interface ElderHabits {
  market: string
  park: string
  hospital: string
  bank: string
  childHome?: string
}

/** Per-elder physiology and temperament that routines and devices draw on. */
export interface ElderProfile {
  restingHr: number
  /** Local hour of waking, fractional. */
  wakeHour: number
  bedHour: number
  /** Chance per day of each habit. */
  marketDays: number
  parkDays: number
  clinicDays: number
  bankDays: number
  visitDays: number
  /** Chance per night of forgetting to charge the watch. */
  forgetsCharging: number
}

export interface TownElder {
  key: string
  name: string
  gender: 'f' | 'm'
  age: number
  phone: string
  address: string
  area: string
  home: LatLon & { radiusM: number }
  habits: ElderHabits
  profile: ElderProfile
  contacts: TownContact[]
  /**
   * What the watch speaks (protocols.ts; absent: MQTT). Decided before seeding: a watch on the
   * watch protocol is registered by its number; an HTTP one like an MQTT one, but `run` posts
   * its messages to HTTP ingest instead of publishing them.
   */
  watchProtocol?: WatchProtocol
  /** Gateway ids and device credentials, after seeding. */
  id?: string
  watch?: DeviceCredentials | WatchNumberDevice
  camera?: DeviceCredentials
}

export interface TownPoliceStation {
  name: string
  webhookUrl: string
  secret: string
  format: 'json' | 'cap'
  id?: string
}

export interface TownFile {
  version: 1
  note: string
  seed: number
  centre: LatLon
  radiusKm: number
  utcOffsetMin: number
  gatewayUrl?: string
  seededAt?: string
  policeStation: TownPoliceStation
  elders: TownElder[]
  venues: TownVenue[]
  places: TownPlace[]
}

export const TOWN_FILE_NOTE = 'eldergate simulator town. CONTAINS SECRETS (device, police station and contact webhook secrets): keep it private.'

export class Town {
  private readonly placeIndex = new Map<string, Place>()

  constructor(readonly file: TownFile) {
    for (const venue of file.venues) this.placeIndex.set(venue.key, venue)
    for (const place of file.places) this.placeIndex.set(place.key, place)
    for (const elder of file.elders) this.placeIndex.set(homeKey(elder.key), homeOf(elder))
  }

  static async load(path: string): Promise<Town> {
    const file = JSON.parse(await readFile(path, 'utf8')) as TownFile
    if (file.version !== 1 || !Array.isArray(file.elders)) throw new Error(`${path} is not an eldergate town file (version 1)`)
    file.utcOffsetMin ??= DEFAULT_UTC_OFFSET_MIN
    return new Town(file)
  }

  async save(path: string): Promise<void> {
    // 0600: the file holds device and webhook secrets.
    await writeFile(path, `${JSON.stringify(this.file, null, 2)}\n`, { mode: 0o600 })
  }

  get elders(): readonly TownElder[] {
    return this.file.elders
  }

  elder(key: string): TownElder {
    const elder = this.file.elders.find((e) => e.key === key || e.id === key)
    if (!elder) throw new Error(`no elder ${key} in the town`)
    return elder
  }

  place(key: string): Place {
    const place = this.placeIndex.get(key)
    if (!place) throw new Error(`no place ${key} in the town`)
    return place
  }

  home(elderKey: string): Place {
    return this.place(homeKey(elderKey))
  }

  venuesOf(kind: VenueKind): TownVenue[] {
    return this.file.venues.filter((v) => v.kind === kind)
  }

  /** Scenarios add places (a pop-up lecture hall, a tour destination 80 km away). */
  addPlace(place: TownPlace): void {
    this.file.places.push(place)
    this.placeIndex.set(place.key, place)
  }

  addVenue(venue: TownVenue): void {
    this.file.venues.push(venue)
    this.placeIndex.set(venue.key, venue)
  }

  /** Throws unless every elder has gateway ids and device credentials. */
  requireSeeded(): void {
    const missing = this.file.elders.filter((e) => !e.id || !e.watch || !e.camera)
    if (missing.length > 0) throw new Error(`town not seeded: ${missing.length} elders lack ids or devices (run \`npm run sim -- seed\`)`)
  }
}

export function homeKey(elderKey: string): string {
  return `home:${elderKey}`
}

function homeOf(elder: TownElder): Place {
  return { key: homeKey(elder.key), name: `${elder.name}的家`, kind: 'home', lat: elder.home.lat, lon: elder.home.lon, radiusM: elder.home.radiusM, indoor: true }
}
