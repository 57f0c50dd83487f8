-- Issue 6, reports: each elder's activity per hour (see 011_aggregates_hourly.timescale.sql
-- for the TimescaleDB continuous aggregate with the same columns). PostgreSQL and PGlite
-- have no incremental materialisation, so here it is an ordinary view over readings, fast
-- enough per elder thanks to readings_elder_time (until 021; 022 reads through the devices).
--
-- steps: watches report a cumulative step counter (DESIGN §3, simulators/devices), so the
-- steps of an hour are its max minus its min; steps_max is kept so a consumer can difference
-- consecutive hours exactly. A counter reset inside an hour (local midnight, which for whole-
-- hour offsets such as Asia/Shanghai is an hour boundary) is not corrected for.
CREATE OR REPLACE VIEW elder_activity_hourly AS
SELECT tenant_id,
  elder_id,
  -- UTC hours whatever the session's time zone (a +05:30 zone would cut hours elsewhere),
  -- as time_bucket does on TimescaleDB.
  date_trunc('hour', time AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS bucket,
  count(*)::int AS readings,
  (max(steps) - min(steps))::int AS steps,
  max(steps) AS steps_max,
  avg(hr)::double precision AS hr_mean,
  min(hr) AS hr_min,
  max(hr) AS hr_max,
  count(lat)::int AS fixes
FROM readings
GROUP BY tenant_id, elder_id, date_trunc('hour', time AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
