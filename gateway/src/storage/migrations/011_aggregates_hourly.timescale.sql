-- eg:no-transaction
-- Issue 6, reports: each elder's activity per hour as a TimescaleDB continuous aggregate
-- (same columns as 011_aggregates_hourly.plain.sql, which explains steps). Continuous
-- aggregates cannot be created inside a transaction block, hence the mark above; every
-- statement is idempotent because this file is not rolled back on a crash.
--
-- Compression of readings (segment by elder and device, order by time, after 7 days) is
-- already set in 003 and retention in storage/retention.ts (EG_RETENTION_DAYS): not repeated.
--
-- WITH NO DATA: materialising months of readings would stall start-up; the policy below fills
-- the aggregate in the background. materialized_only = false (real-time aggregation, no
-- longer the default since 2.13) answers the not-yet-materialised recent hours from the raw
-- hypertable, so the view is never behind and matches the plain view's answers.
CREATE MATERIALIZED VIEW IF NOT EXISTS elder_activity_hourly
WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
SELECT tenant_id,
  elder_id,
  time_bucket(INTERVAL '1 hour', time) AS bucket,
  count(*)::int AS readings,
  (max(steps) - min(steps))::int AS steps,
  max(steps) AS steps_max,
  avg(hr)::double precision AS hr_mean,
  min(hr) AS hr_min,
  max(hr) AS hr_max,
  count(lat)::int AS fixes
FROM readings
GROUP BY tenant_id, elder_id, time_bucket(INTERVAL '1 hour', time)
WITH NO DATA;

-- Refreshes the last 3 days every 30 minutes, leaving the current hour (still being written)
-- to real-time aggregation. 3 days covers watches uploading their buffer after a weekend
-- offline and stays inside the 7 days after which 003 compresses the chunks, so refreshes
-- never touch compressed data. A reading arriving more than 3 days late is missed until
-- `CALL refresh_continuous_aggregate('elder_activity_hourly', <from>, <to>)` is run by hand.
-- Rows older than the window stay materialised even after retention drops the raw chunks:
-- hourly summaries are small.
SELECT add_continuous_aggregate_policy('elder_activity_hourly',
  start_offset => INTERVAL '3 days',
  end_offset => INTERVAL '1 hour',
  schedule_interval => INTERVAL '30 minutes',
  if_not_exists => true);
