/**
 * Venue kinds (DESIGN §4): `sales` (health-product shops, free lectures, gift events),
 * `investment` ("pension project" and wealth offices), `travel` (tour operators, pick-up
 * points), `bank`, `care` (registered eldercare homes), `hospital`, `other`.
 */
export const VENUE_KINDS = ['sales', 'investment', 'travel', 'bank', 'care', 'hospital', 'other'] as const
export type VenueKind = (typeof VENUE_KINDS)[number]

/** DESIGN §4: "Risky by default: sales, investment, travel." */
export const RISKY_VENUE_KINDS: ReadonlySet<VenueKind> = new Set(['sales', 'investment', 'travel'])
