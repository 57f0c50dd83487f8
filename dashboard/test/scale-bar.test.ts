import { describe, expect, it } from 'vitest'
import { formatDistance, roundDistance } from '../src/map/scale-bar'

/** The elder page's location trail keeps its own scale bar (the Leaflet map has Leaflet's). */
describe('the trail scale bar', () => {
  it('chooses round lengths', () => {
    expect(roundDistance(1_234)).toBe(1_000)
    expect(roundDistance(499)).toBe(200)
    expect(roundDistance(3)).toBe(5)
    expect(formatDistance(2_000)).toBe('2 km')
    expect(formatDistance(500)).toBe('500 m')
  })
})
