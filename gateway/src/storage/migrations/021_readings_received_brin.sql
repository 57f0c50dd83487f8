-- Durable acknowledgement waits for every index of readings (issue 11, bench:ingest): each
-- b-tree costs every stored reading an insertion. The lease holder's feed (cluster/feed-store.ts)
-- reads readings by arrival, `received_at > $since`, and arrival is the order rows are written
-- in, so a BRIN index (one summary per block range, near-free to maintain) finds the recent
-- blocks as well as the (tenant_id, received_at) b-tree did; the tenant filter runs on those.
-- device_events keeps its b-tree: events are few.
DROP INDEX IF EXISTS readings_tenant_received;
CREATE INDEX IF NOT EXISTS readings_received_brin ON readings USING brin (received_at);
