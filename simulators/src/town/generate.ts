import { randomBytes } from 'node:crypto'
import { DEFAULT_UTC_OFFSET_MIN } from '../core/clock'
import { distanceMetres, offsetMetres, round6, type LatLon } from '../core/geo'
import { Rng } from '../core/prng'
import { childName, elderName, mobile, streetAddress, VENUE_NAMES } from './names'
import { TOWN_FILE_NOTE, type ElderProfile, type TownElder, type TownFile, type TownPlace, type TownVenue, type VenueCategory, type VenueKind } from './town'

/**
 * Builds a town from a seed, before any gateway call: the layout, elders, habits and
 * profiles are a pure function of the seed and counts (secrets are random: they are not
 * event content and must not be guessable from a seed printed in a log).
 */
export interface TownOptions {
  seed: number
  elders: number
  /** Base URL of the simulated police / family receiver (`police` command). */
  receiverUrl: string
  centre?: LatLon
  radiusKm?: number
  policeFormat?: 'json' | 'cap'
  /**
   * One signing secret for the station and every contact, instead of a random one each: for a
   * deployment (docker-compose's sim profile) where the receiver runs before the town file exists
   * and is told the secret through the environment.
   */
  receiverSecret?: string
}

/** A county town in the Yangtze delta: the numbers are only a plausible backdrop. */
export const DEFAULT_CENTRE: LatLon = { lat: 30.7522, lon: 120.7585 }

const CATEGORY_KIND: Record<VenueCategory, VenueKind> = {
  lecture_hall: 'sales', pension_office: 'investment', tour_pickup: 'travel', bank: 'bank',
  market: 'other', park: 'other', hospital: 'hospital', care_home: 'care',
}

/** Venues per category for a town of `elders`: everyday places scale, scam venues stay few. */
function venueCounts(elders: number): Record<VenueCategory, number> {
  const scaled = (per: number, min: number, max: number) => Math.max(min, Math.min(max, Math.ceil(elders / per)))
  return {
    market: scaled(12, 2, 5), park: scaled(15, 2, 4), hospital: scaled(25, 1, 3), bank: scaled(15, 2, 4),
    lecture_hall: 2, pension_office: 1, tour_pickup: 1, care_home: 1,
  }
}

/** A point in the town disc, area-uniform (sqrt) so the outskirts are not empty. */
function pointInTown(rng: Rng, centre: LatLon, radiusM: number): LatLon {
  const r = radiusM * Math.sqrt(rng.float())
  const angle = rng.range(0, 2 * Math.PI)
  const p = offsetMetres(centre, r * Math.cos(angle), r * Math.sin(angle))
  return { lat: round6(p.lat), lon: round6(p.lon) }
}

export const secret = (): string => randomBytes(24).toString('base64url')

function nearest(venues: TownVenue[], category: VenueCategory, from: LatLon, rng: Rng): string {
  const candidates = venues.filter((v) => v.category === category).sort((a, b) => distanceMetres(from, a) - distanceMetres(from, b))
  // Mostly the nearest, sometimes the second: not everyone shops at the closest market.
  const choice = candidates.length > 1 && rng.chance(0.25) ? candidates[1] : candidates[0]
  if (!choice) throw new Error(`town has no ${category}`)
  return choice.key
}

function profile(rng: Rng, age: number): ElderProfile {
  return {
    restingHr: Math.round(rng.range(60, 76)),
    wakeHour: rng.range(5.5, 7.25),
    bedHour: rng.range(20.75, 22.5),
    marketDays: rng.range(0.6, 0.95),
    parkDays: age > 82 ? rng.range(0.2, 0.5) : rng.range(0.5, 0.9),
    clinicDays: rng.range(0.04, 0.15),
    bankDays: rng.range(0.02, 0.06),
    visitDays: rng.range(0.05, 0.2),
    forgetsCharging: rng.range(0.02, 0.12),
  }
}

export function generateTown(opts: TownOptions): TownFile {
  const centre = opts.centre ?? DEFAULT_CENTRE
  const radiusM = (opts.radiusKm ?? 5) * 1000
  const rng = Rng.for(opts.seed, 'town')
  const receiver = opts.receiverUrl.replace(/\/+$/, '')

  const venues: TownVenue[] = []
  for (const [category, count] of Object.entries(venueCounts(opts.elders)) as Array<[VenueCategory, number]>) {
    const names = VENUE_NAMES[category]
    for (let i = 0; i < count; i++) {
      const kind = CATEGORY_KIND[category]
      // Big open places get bigger geofences; an office is a doorway on a street.
      const radius = category === 'park' || category === 'hospital' ? 150 : category === 'market' ? 100 : 60
      venues.push({
        key: `${category}-${i + 1}`, name: names[i % names.length] + (i >= names.length ? `${Math.floor(i / names.length) + 1}` : ''),
        kind, category, radiusM: radius, indoor: category !== 'park' && category !== 'tour_pickup', ...pointInTown(rng, centre, radiusM * 0.8),
      })
    }
  }

  const elders: TownElder[] = []
  const places: TownPlace[] = []
  for (let i = 0; i < opts.elders; i++) {
    const key = `e${String(i + 1).padStart(3, '0')}`
    const er = Rng.for(opts.seed, 'elder', key)
    // Women outlive men: most elders living alone are widows.
    const gender = er.chance(0.65) ? 'f' : 'm'
    const name = elderName(er, gender)
    const home = pointInTown(er, centre, radiusM)
    const age = er.int(68, 92)
    const { address, area } = streetAddress(er)
    let childHome: string | undefined
    if (er.chance(0.7)) {
      // Across town: far enough that a visit is clearly away from home.
      const angle = er.range(0, 2 * Math.PI)
      const far = er.range(3000, 8000)
      const p = offsetMetres(home, far * Math.cos(angle), far * Math.sin(angle))
      childHome = `child-home-${key}`
      places.push({ key: childHome, name: `${name}女儿家`, kind: 'child_home', elderKey: key, lat: round6(p.lat), lon: round6(p.lon), radiusM: 80, indoor: true })
    }
    const child = childName(er, name.slice(0, 1))
    elders.push({
      key, name, gender, age, phone: mobile(er), address, area,
      home: { ...home, radiusM: 80 },
      habits: {
        market: nearest(venues, 'market', home, er), park: nearest(venues, 'park', home, er),
        hospital: nearest(venues, 'hospital', home, er), bank: nearest(venues, 'bank', home, er),
        ...(childHome ? { childHome } : {}),
      },
      profile: profile(er, age),
      contacts: [{ name: child, relation: '女儿', phone: mobile(er), webhookUrl: `${receiver}/family/${key}`, secret: opts.receiverSecret ?? secret() }],
    })
  }

  return {
    version: 1, note: TOWN_FILE_NOTE, seed: opts.seed, centre, radiusKm: radiusM / 1000, utcOffsetMin: DEFAULT_UTC_OFFSET_MIN,
    policeStation: { name: '城关派出所', webhookUrl: `${receiver}/police`, secret: opts.receiverSecret ?? secret(), format: opts.policeFormat ?? 'json' },
    elders, venues, places,
  }
}
