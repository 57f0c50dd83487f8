import { distanceMetres, offsetMetres, round6, type LatLon } from '../core/geo'
import type { Place, TownElder, TownFile, TownVenue, VenueCategory } from '../town/town'

/**
 * Place references in scenario files, resolved per elder so one file fits any elder:
 * - `home`; the elder's habitual `market`, `park`, `hospital`, `bank`, and `child_home`;
 * - a venue category (`lecture_hall`, `pension_office`, `tour_pickup`, `care_home`): the one
 *   of that category nearest the elder's home — scammers recruit in the neighbourhood;
 * - a venue key (`lecture_hall-2`);
 * - a name from the scenario's own `places`.
 */
const HABITS = ['market', 'park', 'hospital', 'bank'] as const
const CATEGORIES: readonly VenueCategory[] = ['lecture_hall', 'pension_office', 'tour_pickup', 'bank', 'market', 'park', 'hospital', 'care_home']
const NEAREST = ['lecture_hall', 'pension_office', 'tour_pickup', 'care_home'] as const
const VENUE_KEY = new RegExp(`^(${CATEGORIES.join('|')})-\\d+$`)

/** Whether `ref` can be resolved at all (checked when a file loads, before any town exists). */
export function knownPlaceRef(ref: string, scenarioPlaces: readonly string[]): boolean {
  return ref === 'home' || ref === 'child_home' || (HABITS as readonly string[]).includes(ref) || (NEAREST as readonly string[]).includes(ref) || VENUE_KEY.test(ref) || scenarioPlaces.includes(ref)
}

export function scenarioPlaceKey(elderKey: string, name: string): string {
  return `scn-${elderKey}-${name}`
}

/** Position and size of a reference, from the town file alone (used before the Town object exists). */
export function locate(file: TownFile, elder: TownElder, ref: string): LatLon & { radiusM: number } {
  if (ref === 'home') return elder.home
  const byKey = (key: string | undefined) => (key === undefined ? undefined : file.venues.find((v) => v.key === key) ?? file.places.find((p) => p.key === key))
  let found: (LatLon & { radiusM: number }) | undefined
  if ((HABITS as readonly string[]).includes(ref)) found = byKey(elder.habits[ref as (typeof HABITS)[number]])
  else if (ref === 'child_home') found = byKey(elder.habits.childHome)
  else if ((NEAREST as readonly string[]).includes(ref)) found = nearestVenue(file.venues, ref as VenueCategory, elder.home)
  else found = byKey(ref) ?? byKey(scenarioPlaceKey(elder.key, ref))
  if (!found) throw new Error(`${elder.key}: no place '${ref}' in the town`)
  return found
}

export function nearestVenue(venues: readonly TownVenue[], category: VenueCategory, from: LatLon): TownVenue | undefined {
  return venues.filter((v) => v.category === category).sort((a, b) => distanceMetres(from, a) - distanceMetres(from, b))[0]
}

/** The point `distanceM` from `from` on a compass bearing (0 = north, 90 = east). */
export function pointFrom(from: LatLon, distanceM: number, bearingDeg: number): LatLon {
  const rad = (bearingDeg * Math.PI) / 180
  const p = offsetMetres(from, distanceM * Math.cos(rad), distanceM * Math.sin(rad))
  return { lat: round6(p.lat), lon: round6(p.lon) }
}

/** A Place for a reference, once the Town exists (town.place / town.home index it). */
export function resolvePlace(town: { place(key: string): Place; home(elderKey: string): Place; file: TownFile }, elder: TownElder, ref: string): Place {
  if (ref === 'home') return town.home(elder.key)
  if ((HABITS as readonly string[]).includes(ref)) return town.place(elder.habits[ref as (typeof HABITS)[number]])
  if (ref === 'child_home') {
    if (!elder.habits.childHome) throw new Error(`${elder.key} has no child's home in town`)
    return town.place(elder.habits.childHome)
  }
  if ((NEAREST as readonly string[]).includes(ref)) {
    const venue = nearestVenue(town.file.venues, ref as VenueCategory, elder.home)
    if (!venue) throw new Error(`the town has no ${ref}`)
    return town.place(venue.key)
  }
  if (VENUE_KEY.test(ref)) return town.place(ref)
  return town.place(scenarioPlaceKey(elder.key, ref))
}
