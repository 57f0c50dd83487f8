-- TimescaleDB only: readings and events become hypertables (1-day chunks: a county's day of
-- readings is tens of millions of rows at most, which keeps chunks near the recommended
-- 25 % of memory), compressed after 7 days, segmented by elder because every read is per
-- elder. Retention is set at start from EG_RETENTION_DAYS (see storage/retention.ts).
SELECT create_hypertable('readings', 'time', chunk_time_interval => INTERVAL '1 day', migrate_data => true);
SELECT create_hypertable('device_events', 'time', chunk_time_interval => INTERVAL '7 days', migrate_data => true);
SELECT create_hypertable('command_acks', 'time', chunk_time_interval => INTERVAL '7 days', migrate_data => true);
ALTER TABLE readings SET (timescaledb.compress, timescaledb.compress_segmentby = 'elder_id, device_id', timescaledb.compress_orderby = 'time DESC');
SELECT add_compression_policy('readings', INTERVAL '7 days', if_not_exists => true);
ALTER TABLE device_events SET (timescaledb.compress, timescaledb.compress_segmentby = 'elder_id', timescaledb.compress_orderby = 'time DESC');
SELECT add_compression_policy('device_events', INTERVAL '30 days', if_not_exists => true);
