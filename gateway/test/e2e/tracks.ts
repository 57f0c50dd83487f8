/** Watch readings for end-to-end tests: an elder at home, going out to a place and back. */
export const MIN = 60_000
export const HOUR = 60 * MIN
export const DAY = 24 * HOUR

export interface Place {
  lat: number
  lon: number
}

/** A point `metres` north and `eastMetres` east of a place. */
export function offset(p: Place, metres: number, eastMetres = 0): Place {
  return { lat: p.lat + metres / 111_320, lon: p.lon + eastMetres / (111_320 * Math.cos((p.lat * Math.PI) / 180)) }
}

/** Local midnight in Asia/Shanghai (UTC+8, no DST) `daysAgo` days before now. */
export function shanghaiMidnight(daysAgo: number): number {
  const now = Date.now() + 8 * HOUR
  return now - (now % DAY) - 8 * HOUR - daysAgo * DAY
}

export interface Fix {
  ts: number
  lat: number
  lon: number
  acc: number
  src: 'gps'
  hr: number
  bat: number
}

export function fixes(from: number, to: number, stepMs: number, where: Place): Fix[] {
  const out: Fix[] = []
  for (let ts = from; ts < to; ts += stepMs) out.push({ ts, lat: where.lat, lon: where.lon, acc: 10, src: 'gps', hr: 72, bat: 80 })
  return out
}

/** A day: home, then `dwellMin` at `place` from `startHour`, then home again. */
export function dayWithVisit(midnight: number, home: Place, place: Place, startHour: number, dwellMin: number): Fix[] {
  const start = midnight + startHour * HOUR
  const end = start + dwellMin * MIN
  return [
    ...fixes(midnight + 7 * HOUR, start, 5 * MIN, home),
    ...fixes(start, end, 2 * MIN, place),
    ...fixes(end + 5 * MIN, midnight + 20 * HOUR, 5 * MIN, home),
  ]
}
