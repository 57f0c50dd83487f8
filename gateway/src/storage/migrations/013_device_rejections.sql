-- Devices page (issue 6): rejected messages per device. The dead-letter table keeps only the
-- newest EG_DEADLETTER_MAX rows across all devices, so it cannot answer "how many has this
-- watch sent that we dropped?"; these columns are the exact running count, added to by the
-- gateway's batched flush (storage/device-rejections.ts). Plain columns: same on PostgreSQL,
-- TimescaleDB and PGlite.
ALTER TABLE devices ADD COLUMN rejected_count bigint NOT NULL DEFAULT 0;
ALTER TABLE devices ADD COLUMN last_rejected_at timestamptz;
ALTER TABLE devices ADD COLUMN last_rejected_reason text;
