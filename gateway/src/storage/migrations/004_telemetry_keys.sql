-- Keys the telemetry storage layer needs (storage/telemetry-writer.ts, telemetry-queries.ts).

-- A device re-sending an acknowledgement after a lost PUBACK (QoS 1 is at-least-once), or the
-- batched writer retrying an INSERT whose commit reply was lost, must not store it twice: the
-- writer's ON CONFLICT DO NOTHING needs a unique index to conflict on. Includes time, as
-- TimescaleDB requires of unique indexes on hypertables (003 makes command_acks one).
CREATE UNIQUE INDEX command_acks_device_time ON command_acks (device_id, time, command_id, status);

-- The backtester streams one tenant's readings and events in event-time order, paged by the
-- keyset (time, device_id[, type]): without these every page would scan the whole table.
CREATE INDEX readings_tenant_time ON readings (tenant_id, time, device_id);
CREATE INDEX device_events_tenant_time ON device_events (tenant_id, time, device_id, type);
