/**
 * Venue geofences in a flatbush R-tree (DESIGN §5 "Geofencing that survives real GPS").
 * Rebuilt by the caller when venues change; never part of engine state (state refers to venues
 * by id). Queries are allocation-free: a custom traversal over flatbush's packed arrays with a
 * reusable stack, then an exact circle / point-in-polygon check on each candidate.
 */
import Flatbush from 'flatbush'
import type { Venue } from './types'
import { cosLat, distanceM, distanceToRingM, lonDegrees, M_PER_DEG, pointInRing } from './geo'

/** One venue prepared for exact tests. */
export interface VenueShape {
  venue: Venue
  /** Circle centre and radius; radiusM < 0 for polygons. */
  lat: number
  lon: number
  radiusM: number
  /** Polygon ring [lat, lon, ...] closed implicitly; empty for circles. */
  ring: Float64Array
  /** Metres per degree of longitude at the venue (polygon margins). */
  kLon: number
}

export interface VenueIndex {
  readonly size: number
  /** Index of a venue containing the point (risky venues first), or -1. */
  locate(lat: number, lon: number): number
  /** Whether the point is inside venue `slot` or within `marginM` of it. */
  near(slot: number, lat: number, lon: number, marginM: number): boolean
  shape(slot: number): VenueShape
  slotOf(venueId: string): number
}

const EMPTY_RING = new Float64Array(0)

function prepare(venue: Venue): VenueShape {
  if (venue.polygon !== undefined && venue.polygon.length >= 3) {
    const ring = new Float64Array(venue.polygon.length * 2)
    let latSum = 0
    venue.polygon.forEach(([lat, lon], i) => {
      ring[2 * i] = lat
      ring[2 * i + 1] = lon
      latSum += lat
    })
    const lat = latSum / venue.polygon.length
    return { venue, lat, lon: ring[1]!, radiusM: -1, ring, kLon: M_PER_DEG * cosLat(lat) }
  }
  if (venue.circle === undefined) throw new Error(`venue ${venue.id} has neither circle nor polygon`)
  const { lat, lon, radiusM } = venue.circle
  return { venue, lat, lon, radiusM, ring: EMPTY_RING, kLon: M_PER_DEG * cosLat(lat) }
}

function contains(s: VenueShape, lat: number, lon: number, marginM: number): boolean {
  if (s.radiusM >= 0) return distanceM(s.lat, s.lon, lat, lon) <= s.radiusM + marginM
  if (pointInRing(s.ring, lat, lon)) return true
  return marginM > 0 && distanceToRingM(s.ring, lat, lon, s.kLon) <= marginM
}

class FlatbushVenueIndex implements VenueIndex {
  readonly size: number
  private readonly shapes: VenueShape[]
  private readonly ids: Map<string, number>
  private readonly tree: Flatbush | null
  /** Traversal stack, reused by every query: [boxPos, level] pairs. */
  private stack = new Int32Array(256)
  // Bounding box of all venues: the cheap pre-check that skips the tree for most fixes.
  private readonly minLat: number
  private readonly minLon: number
  private readonly maxLat: number
  private readonly maxLon: number

  constructor(venues: readonly Venue[]) {
    this.shapes = venues.map(prepare)
    this.size = venues.length
    this.ids = new Map(venues.map((v, i) => [v.id, i]))
    let minLat = Infinity
    let minLon = Infinity
    let maxLat = -Infinity
    let maxLon = -Infinity
    const boxes: number[] = []
    for (const s of this.shapes) {
      let a = Infinity
      let b = Infinity
      let c = -Infinity
      let d = -Infinity
      if (s.radiusM >= 0) {
        const dLat = s.radiusM / M_PER_DEG
        const dLon = lonDegrees(s.radiusM, s.lat)
        a = s.lon - dLon
        b = s.lat - dLat
        c = s.lon + dLon
        d = s.lat + dLat
      } else {
        for (let i = 0; i < s.ring.length; i += 2) {
          a = Math.min(a, s.ring[i + 1]!)
          b = Math.min(b, s.ring[i]!)
          c = Math.max(c, s.ring[i + 1]!)
          d = Math.max(d, s.ring[i]!)
        }
      }
      boxes.push(a, b, c, d)
      minLon = Math.min(minLon, a)
      minLat = Math.min(minLat, b)
      maxLon = Math.max(maxLon, c)
      maxLat = Math.max(maxLat, d)
    }
    this.minLat = minLat
    this.minLon = minLon
    this.maxLat = maxLat
    this.maxLon = maxLon
    if (this.shapes.length === 0) {
      this.tree = null
      return
    }
    const tree = new Flatbush(this.shapes.length)
    for (let i = 0; i < boxes.length; i += 4) tree.add(boxes[i]!, boxes[i + 1]!, boxes[i + 2]!, boxes[i + 3]!)
    tree.finish()
    this.tree = tree
  }

  locate(lat: number, lon: number): number {
    const tree = this.tree
    if (tree === null || lat < this.minLat || lat > this.maxLat || lon < this.minLon || lon > this.maxLon) return -1
    const boxes = tree._boxes
    const indices = tree._indices
    const levelBounds = tree._levelBounds
    const nodeSize = tree.nodeSize
    const numItems4 = tree.numItems * 4
    let stack = this.stack
    let top = 0
    let best = -1
    let nodePos = boxes.length - 4
    let level = levelBounds.length - 1
    for (;;) {
      const end = Math.min(nodePos + nodeSize * 4, levelBounds[level]!)
      const isNode = nodePos >= numItems4
      for (let pos = nodePos; pos < end; pos += 4) {
        if (lon < boxes[pos]! || lat < boxes[pos + 1]! || lon > boxes[pos + 2]! || lat > boxes[pos + 3]!) continue
        const index = indices[pos >> 2]!
        if (isNode) {
          if (top + 2 > stack.length) {
            const grown = new Int32Array(stack.length * 2)
            grown.set(stack)
            this.stack = stack = grown
          }
          stack[top++] = index
          stack[top++] = level - 1
        } else if (contains(this.shapes[index]!, lat, lon, 0)) {
          // Overlapping geofences: a risky venue wins, since that is what the rules look for.
          if (best < 0 || (!this.shapes[best]!.venue.risky && this.shapes[index]!.venue.risky)) best = index
        }
      }
      if (top === 0) return best
      level = stack[--top]!
      nodePos = stack[--top]!
    }
  }

  near(slot: number, lat: number, lon: number, marginM: number): boolean {
    const s = this.shapes[slot]
    return s !== undefined && contains(s, lat, lon, marginM)
  }

  shape(slot: number): VenueShape {
    const s = this.shapes[slot]
    if (s === undefined) throw new Error(`no venue in slot ${slot}`)
    return s
  }

  slotOf(venueId: string): number {
    return this.ids.get(venueId) ?? -1
  }
}

export function buildVenueIndex(venues: Venue[]): VenueIndex {
  return new FlatbushVenueIndex(venues)
}
