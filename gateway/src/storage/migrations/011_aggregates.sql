-- Issue 6, reports: alerts per tenant, day, rule and level.
--
-- A plain view on every backend, TimescaleDB included. A continuous aggregate needs a
-- hypertable partitioned on the bucketed column, and alerts are not one: they are few (tens a
-- day per county), they are updated in place (level, status, disposition change for weeks),
-- and alerts_one_open is a partial unique index without a time column, which a hypertable
-- cannot have. The existing indexes make the day-range scan cheap, so a view is enough.
-- Buckets are UTC days; the reports API buckets by EG_TZ local day itself.
CREATE OR REPLACE VIEW alert_daily_counts AS
SELECT tenant_id,
  (first_at AT TIME ZONE 'UTC')::date AS day,
  rule,
  level,
  count(*)::int AS alerts
FROM alerts
GROUP BY tenant_id, (first_at AT TIME ZONE 'UTC')::date, rule, level;
CREATE INDEX IF NOT EXISTS alerts_tenant_first ON alerts (tenant_id, first_at);
