-- Issue 11, item 7 (durable ingest throughput): readings lose their (elder_id, time) index.
-- Every reading paid for four B-tree insertions; measured on PostgreSQL 15 here, the elder one
-- was about a fifth of the database's work per reading (21.5 → 17.3 µs/row for statements of
-- 380 rows; bench:ingest's PostgreSQL CPU per message 23–24 → 14–16 µs, same hour). What it served — one
-- elder's readings (the elder page, the board's last positions, a notice's newest fix, the
-- hourly view on plain PostgreSQL) — now goes through the elder's devices: the unique
-- (device_id, time) index that every reading needs anyway, one probe per device.
--
-- The elder's devices are those that ever reported for the elder: the telemetry writer records
-- each (elder, device) pair in the statement that stores its first readings (telemetry-sql.ts
-- newDevicePairs), so a pair is there exactly when readings are. It is a history, never pruned
-- (rows are tiny: one per device and elder): a device deleted, or its id registered again for
-- someone else, keeps its past readings under the elder it had then, and queries still filter
-- readings on elder_id, so each elder sees only their own.
CREATE TABLE elder_devices (
  tenant_id text NOT NULL,
  elder_id text NOT NULL,
  device_id text NOT NULL,
  kind text NOT NULL,
  PRIMARY KEY (tenant_id, elder_id, device_id)
);
-- The pairs of the readings stored so far: one pass over the table, once.
INSERT INTO elder_devices (tenant_id, elder_id, device_id, kind)
SELECT DISTINCT tenant_id, elder_id, device_id, kind FROM readings
ON CONFLICT DO NOTHING;
DROP INDEX readings_elder_time;
