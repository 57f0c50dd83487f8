import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends } from '../../../test/support/databases'
import type { VenueCandidate } from '../../src/candidates/candidate-store'
import { fromWgs84 } from '../../src/geo/crs'
import { bearer } from '../http/harness'
import { startReportApi, type ReportApi } from './fixtures'

describe.each(backends)('venue candidate promotion on $name', (backend) => {
  let api: ReportApi

  beforeAll(async () => {
    api = await startReportApi(backend)
  })
  afterAll(async () => {
    await api?.close()
  })

  /** A candidate as crowd detection writes it: a circle where elders gathered on several days. */
  async function candidate(tenantId = api.tenantId): Promise<string> {
    const id = randomUUID()
    await api.opened.db.query(
      `INSERT INTO venue_candidates (id, tenant_id, place_key, lat, lon, radius_m, days, elder_ids, evidence, first_at, last_at)
       VALUES ($1, $2, $3, 31.2301, 121.4702, 120, '["2026-11-02","2026-11-03"]'::jsonb, '["e1","e2","e3"]'::jsonb, '{}'::jsonb, now(), now())`,
      [id, tenantId, `place-${id}`],
    )
    return id
  }

  const post = (url: string, payload?: Record<string, unknown>, token = api.operator) =>
    api.app.inject(payload === undefined ? { method: 'POST', url, headers: bearer(token) } : { method: 'POST', url, headers: bearer(token), payload })

  it('promotes a candidate to a venue in one step, audited, and tells the rule engine', async () => {
    const id = await candidate()
    api.engineCalls.length = 0
    const res = await post(`/api/v1/venue-candidates/${id}/promote`, { name: '保健品讲座点 health talk' })
    expect(res.statusCode, res.body).toBe(201)
    const body = res.json() as { venueId: string; candidate: VenueCandidate }
    expect(body.candidate).toMatchObject({ id, status: 'promoted', venueId: body.venueId })

    const venue = await api.app.inject({ method: 'GET', url: `/api/v1/venues/${body.venueId}`, headers: bearer(api.operator) })
    expect(venue.json()).toMatchObject({ name: '保健品讲座点 health talk', kind: 'sales', risky: true, lat: 31.2301, lon: 121.4702, radiusM: 120 })
    expect(api.engineCalls).toEqual([[api.tenantId, 'venues']])
    const audit = await api.opened.db.query<{ action: string; target: string }>(
      "SELECT action, target FROM audit_log WHERE action IN ('venue.create', 'venue_candidate.promote') AND (target = $1 OR target = $2) ORDER BY id",
      [id, body.venueId],
    )
    expect(audit).toEqual([
      { action: 'venue.create', target: body.venueId },
      { action: 'venue_candidate.promote', target: id },
    ])

    const again = await post(`/api/v1/venue-candidates/${id}/promote`, { name: 'twice' })
    expect(again.statusCode).toBe(409)
    expect((again.json() as { error: { code: string } }).error.code).toBe('CANDIDATE_NOT_OPEN')
  })

  it('takes kind and radius from the request', async () => {
    const id = await candidate()
    const res = await post(`/api/v1/venue-candidates/${id}/promote`, { name: 'Bank branch', kind: 'bank', radiusM: 60 })
    expect(res.statusCode).toBe(201)
    const venue = await api.app.inject({ method: 'GET', url: `/api/v1/venues/${(res.json() as { venueId: string }).venueId}`, headers: bearer(api.admin) })
    expect(venue.json()).toMatchObject({ kind: 'bank', risky: false, radiusM: 60 })
  })

  it('lets only one of two simultaneous decisions win', async () => {
    const id = await candidate()
    const answers = await Promise.all([
      post(`/api/v1/venue-candidates/${id}/promote`, { name: 'first' }),
      post(`/api/v1/venue-candidates/${id}/promote`, { name: 'second' }, api.admin),
      post(`/api/v1/venue-candidates/${id}/dismiss`),
    ])
    const codes = answers.map((a) => a.statusCode)
    expect(codes.filter((c) => c === 409)).toHaveLength(2)
    expect(codes.filter((c) => c === 200 || c === 201)).toHaveLength(1)
    // A losing promotion must not leave its venue behind.
    const venues = await api.opened.db.query<{ n: number }>("SELECT count(*)::int AS n FROM venues WHERE name IN ('first', 'second')")
    expect(venues[0]!.n).toBe(codes.includes(201) ? 1 : 0)
  })

  it('dismisses a candidate, after which it can no longer be promoted', async () => {
    const id = await candidate()
    api.engineCalls.length = 0
    const res = await post(`/api/v1/venue-candidates/${id}/dismiss`, undefined, api.admin)
    expect(res.statusCode).toBe(200)
    expect((res.json() as { candidate: VenueCandidate }).candidate).toMatchObject({ id, status: 'dismissed', venueId: null })
    expect(api.engineCalls).toEqual([[api.tenantId, 'venues']])
    const venuesBefore = await api.opened.db.query<{ n: number }>('SELECT count(*)::int AS n FROM venues')
    expect((await post(`/api/v1/venue-candidates/${id}/promote`, { name: 'late' })).statusCode).toBe(409)
    expect((await post(`/api/v1/venue-candidates/${id}/dismiss`)).statusCode).toBe(409)
    // The refused promotion rolled back: no venue was left behind.
    expect(await api.opened.db.query('SELECT count(*)::int AS n FROM venues')).toEqual(venuesBefore)
  })

  it('answers 404 for unknown candidates and other tenants’ candidates, 400 for a bad body, 403 for police', async () => {
    expect((await post(`/api/v1/venue-candidates/${randomUUID()}/promote`, { name: 'x' })).statusCode).toBe(404)
    await api.opened.db.query("INSERT INTO tenants (id, name) VALUES ('other', 'other')")
    const foreign = await candidate('other')
    expect((await post(`/api/v1/venue-candidates/${foreign}/promote`, { name: 'x' })).statusCode).toBe(404)
    expect((await post(`/api/v1/venue-candidates/${foreign}/dismiss`)).statusCode).toBe(404)

    const id = await candidate()
    const bad = await post(`/api/v1/venue-candidates/${id}/promote`, { name: '', kind: 'casino', radiusM: -1 })
    expect(bad.statusCode).toBe(400)
    expect((bad.json() as { error: { fields: Array<{ path: string }> } }).error.fields.map((f) => f.path).sort()).toEqual(['kind', 'name', 'radiusM'])
    expect((await post(`/api/v1/venue-candidates/${id}/promote`, { name: 'x' }, api.police)).statusCode).toBe(403)
    expect((await post(`/api/v1/venue-candidates/${id}/dismiss`, undefined, api.police)).statusCode).toBe(403)
    const still = await api.opened.db.query<{ status: string }>('SELECT status FROM venue_candidates WHERE id = $1', [id])
    expect(still).toEqual([{ status: 'new' }])
  })

  it('answers the decided candidate in ?crs=: its centre and the positions in its evidence (DESIGN §4)', async () => {
    const first = await candidate()
    const second = await candidate()
    await api.opened.db.query(`UPDATE venue_candidates SET evidence = '{"centre": {"lat": 31.2301, "lon": 121.4702}, "elders": 3}'::jsonb WHERE id IN ($1, $2)`, [first, second])
    const gcj = fromWgs84(31.2301, 121.4702, 'gcj02')
    const promoted = await post(`/api/v1/venue-candidates/${first}/promote?crs=gcj02`, { name: 'talk' })
    expect(promoted.statusCode).toBe(201)
    expect((promoted.json() as { candidate: VenueCandidate }).candidate).toMatchObject({ ...gcj, radiusM: 120, evidence: { centre: gcj, elders: 3 } })
    // The venue itself is stored where the candidate is: WGS-84.
    const venue = await api.app.inject({ method: 'GET', url: `/api/v1/venues/${(promoted.json() as { venueId: string }).venueId}`, headers: bearer(api.operator) })
    expect(venue.json()).toMatchObject({ lat: 31.2301, lon: 121.4702 })
    const dismissed = await post(`/api/v1/venue-candidates/${second}/dismiss?crs=bd09`)
    expect((dismissed.json() as { candidate: VenueCandidate }).candidate).toMatchObject(fromWgs84(31.2301, 121.4702, 'bd09'))
  })
})
