import { roundCoord } from '../map/crs'
import type { VenueShape } from '../map/venue-shape'
import type { Venue, VenueKind } from '../types'

/**
 * The venue being created or edited. Numbers stay text while typed (a half-typed "31." is
 * not a number yet); the gateway validates and its field errors are shown beside the fields.
 * The outline is a circle (lat, lon, radius) or, with lat and lon empty, the polygon.
 */
export interface VenueDraft {
  id: string | null
  name: string
  kind: VenueKind
  address: string
  lat: string
  lon: string
  radiusM: string
  /** A polygon venue keeps its outline until the operator places or draws a circle instead. */
  polygon: Array<[number, number]> | null
}

export const EMPTY_DRAFT: VenueDraft = { id: null, name: '', kind: 'sales', address: '', lat: '', lon: '', radiusM: '100', polygon: null }

export function draftOf(venue: Venue): VenueDraft {
  return {
    id: venue.id,
    name: venue.name,
    kind: venue.kind,
    address: venue.address ?? '',
    lat: venue.lat === null ? '' : String(venue.lat),
    lon: venue.lon === null ? '' : String(venue.lon),
    radiusM: venue.radiusM === null ? '' : String(venue.radiusM),
    polygon: venue.polygon,
  }
}

const isPolygon = (draft: VenueDraft): boolean => draft.polygon !== null && draft.lat === '' && draft.lon === ''

/** A typed number, or the text itself so the gateway names the field as invalid. */
const num = (text: string): number | string | undefined => (text.trim() === '' ? undefined : Number.isFinite(Number(text)) ? Number(text) : text)

/** The POST/PATCH body, WGS-84: the circle, or the polygon when no circle was placed. */
export function bodyOf(draft: VenueDraft): Record<string, unknown> {
  const geometry = isPolygon(draft) ? { polygon: draft.polygon } : { lat: num(draft.lat), lon: num(draft.lon), radiusM: num(draft.radiusM) }
  return { name: draft.name.trim(), kind: draft.kind, address: draft.address.trim() === '' ? null : draft.address.trim(), ...geometry }
}

/** The outline the map shows (and lets the operator edit), or null while there is none yet. */
export function shapeOfDraft(draft: VenueDraft): VenueShape | null {
  if (isPolygon(draft)) return draft.polygon !== null && draft.polygon.length >= 3 ? { kind: 'polygon', vertices: draft.polygon } : null
  if (draft.lat.trim() === '' || draft.lon.trim() === '') return null
  const centre = { lat: Number(draft.lat), lon: Number(draft.lon) }
  if (!Number.isFinite(centre.lat) || !Number.isFinite(centre.lon)) return null
  const radiusM = Number(draft.radiusM)
  return { kind: 'circle', centre, radiusM: Number.isFinite(radiusM) && radiusM > 0 ? radiusM : 0 }
}

/** The draft with an outline drawn, dragged or resized on the map (already WGS-84). */
export function withShape(draft: VenueDraft, shape: VenueShape): VenueDraft {
  const text = (v: number) => roundCoord(v).toFixed(6)
  return shape.kind === 'polygon'
    ? { ...draft, lat: '', lon: '', polygon: shape.vertices.map(([lat, lon]) => [roundCoord(lat), roundCoord(lon)]) }
    : { ...draft, polygon: null, lat: text(shape.centre.lat), lon: text(shape.centre.lon), radiusM: String(Math.round(shape.radiusM)) }
}
