/**
 * venue.candidate (DESIGN §5): ≥ 5 monitored elders dwell ≥ 30 min within 150 m of each other
 * at a place that is neither a registered venue nor their home, on ≥ 2 days in 14 — a likely
 * unregistered sales venue (free lectures move often). Each elder's stays are found in its own
 * replayable state; recorded stays go to a tenant-wide grid pool shared by all elders. Pool
 * inserts are idempotent per (elder, stay start), so a replay does not double-count a stay.
 */
import type { Env } from './emit'
import type { CandidatePool, ElderState, PooledStay } from './state'
import { cosLat, distanceM, M_PER_DEG } from './geo'
import { dayLabel, isoTime, localDay } from './local-time'
import { FIX_HOME, FIX_PRECISE } from './presence'

const DAY = 86_400_000

function cellKey(tenantId: string, lat: number, lon: number, cellM: number, dx: number, dy: number): string {
  const cy = Math.floor((lat * M_PER_DEG) / cellM) + dy
  // Longitude cells are sized at the row's latitude, so neighbours line up within a row.
  const rowLat = ((cy + 0.5) * cellM) / M_PER_DEG
  const cx = Math.floor((lon * M_PER_DEG * cosLat(rowLat)) / cellM) + dx
  return `${tenantId}|${cx}|${cy}`
}

export function stayFix(env: Env, s: ElderState, ts: number, lat: number, lon: number, flags: number): void {
  const rule = env.config.rules['venue.candidate']
  if (!rule.enabled || (flags & FIX_PRECISE) === 0) return
  const st = s.stay
  if ((flags & FIX_HOME) !== 0) {
    s.stay = null
    return
  }
  if (st !== null && distanceM(st.sumLat / st.n, st.sumLon / st.n, lat, lon) <= rule.stayRadiusM) {
    st.n++
    st.sumLat += lat
    st.sumLon += lon
    st.lastTs = ts
    if (!st.recorded && ts - st.start >= rule.minDwellMs) {
      st.recorded = true
      recordStay(env, s, st.start, st.sumLat / st.n, st.sumLon / st.n, ts)
    }
    return
  }
  if (st === null) s.stay = { start: ts, lastTs: ts, sumLat: lat, sumLon: lon, n: 1, recorded: false }
  else {
    // Reuse the object: elders on the move start a new stay on every fix.
    st.start = ts
    st.lastTs = ts
    st.sumLat = lat
    st.sumLon = lon
    st.n = 1
    st.recorded = false
  }
}

function recordStay(env: Env, s: ElderState, start: number, lat: number, lon: number, ts: number): void {
  const rule = env.config.rules['venue.candidate']
  const home = env.profile?.home
  if (home !== undefined && distanceM(home.lat, home.lon, lat, lon) <= home.radiusM + env.config.location.awayMarginM) return
  if (env.venues.size > 0 && env.venues.locate(lat, lon) >= 0) return
  const pool = env.pool
  const key = cellKey(s.tenantId, lat, lon, rule.radiusM, 0, 0)
  const cell = (pool.cells[key] ??= [])
  const stay: PooledStay = { elderId: s.elderId, start, day: localDay(start, env.timeZone), lat, lon }
  const same = cell.findIndex((p) => p.elderId === s.elderId && p.start === start)
  if (same >= 0) cell[same] = stay
  else cell.push(stay)
  evaluate(env, s.tenantId, stay, ts)
}

function evaluate(env: Env, tenantId: string, stay: PooledStay, ts: number): void {
  const rule = env.config.rules['venue.candidate']
  const pool = env.pool
  const near: PooledStay[] = []
  for (let dy = -1; dy <= 1; dy++) {
    for (let dx = -1; dx <= 1; dx++) {
      for (const p of pool.cells[cellKey(tenantId, stay.lat, stay.lon, rule.radiusM, dx, dy)] ?? []) {
        if (p.day > stay.day - rule.windowDays && p.day <= stay.day && distanceM(stay.lat, stay.lon, p.lat, p.lon) <= rule.radiusM) near.push(p)
      }
    }
  }
  const eldersByDay = new Map<number, Set<string>>()
  for (const p of near) {
    let set = eldersByDay.get(p.day)
    if (set === undefined) eldersByDay.set(p.day, (set = new Set()))
    set.add(p.elderId)
  }
  const days = [...eldersByDay].filter(([, elders]) => elders.size >= rule.minElders).map(([day]) => day).sort((a, b) => a - b)
  if (days.length < rule.minDays) return
  const members = near.filter((p) => days.includes(p.day))
  const lat = members.reduce((sum, p) => sum + p.lat, 0) / members.length
  const lon = members.reduce((sum, p) => sum + p.lon, 0) / members.length
  if (alreadyProposed(pool, tenantId, lat, lon, rule.radiusM * 2, ts)) return
  const radiusM = Math.max(50, Math.round(Math.max(...members.map((p) => distanceM(lat, lon, p.lat, p.lon)))))
  const elderIds = [...new Set(members.map((p) => p.elderId))].sort()
  const dedupKey = `venue.candidate|${cellKey(tenantId, lat, lon, rule.radiusM, 0, 0)}`
  const expires = ts + env.config.dedupRetentionMs
  pool.proposed.push({ tenantId, lat, lon, dedupKey, expires })
  // Emitted at once: the pool spans elders and is not replayed; `proposed` is its dedup memory.
  env.out.push({
    rule: 'venue.candidate',
    tenantId,
    elderId: null,
    level: rule.level,
    dedupKey,
    ts,
    summary: `${elderIds.length} elders gathered for 30+ min at an unregistered place on ${days.length} days: a candidate venue to review.`,
    evidence: {
      centre: { lat, lon },
      radiusM,
      days: days.map(dayLabel),
      elderIds,
      stays: members.map((p) => ({ elderId: p.elderId, start: isoTime(p.start) })),
    },
  })
}

function alreadyProposed(pool: CandidatePool, tenantId: string, lat: number, lon: number, withinM: number, ts: number): boolean {
  return pool.proposed.some((p) => p.tenantId === tenantId && p.expires > ts && distanceM(lat, lon, p.lat, p.lon) <= withinM)
}

/** Drop stays and proposals that no window can use any more (called from advance). */
export function prunePool(pool: CandidatePool, now: number, windowDays: number): void {
  const horizon = now - (windowDays + 2) * DAY
  for (const key of Object.keys(pool.cells)) {
    const kept = pool.cells[key]!.filter((p) => p.start >= horizon)
    if (kept.length === 0) delete pool.cells[key]
    else pool.cells[key] = kept
  }
  pool.proposed = pool.proposed.filter((p) => p.expires > now)
}
