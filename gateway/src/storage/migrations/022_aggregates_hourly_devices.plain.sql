-- The hourly view of 011 without readings_elder_time (dropped by 021): an elder's hours are
-- read through the elder's devices (elder_devices) and the (device_id, time) index. Same
-- columns, same hours; TimescaleDB keeps its continuous aggregate (011_aggregates_hourly.timescale.sql).
CREATE OR REPLACE VIEW elder_activity_hourly AS
SELECT r.tenant_id,
  r.elder_id,
  date_trunc('hour', r.time AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS bucket,
  count(*)::int AS readings,
  (max(r.steps) - min(r.steps))::int AS steps,
  max(r.steps) AS steps_max,
  avg(r.hr)::double precision AS hr_mean,
  min(r.hr) AS hr_min,
  max(r.hr) AS hr_max,
  count(r.lat)::int AS fixes
FROM elder_devices d
JOIN readings r ON r.device_id = d.device_id AND r.elder_id = d.elder_id AND r.tenant_id = d.tenant_id
GROUP BY r.tenant_id, r.elder_id, date_trunc('hour', r.time AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
