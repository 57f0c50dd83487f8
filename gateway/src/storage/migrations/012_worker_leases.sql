-- External-broker mode (issue 7, item 3): several gateway workers share one database.

-- Rule evaluation of a tenant runs on exactly one worker: the holder of that tenant's lease.
-- A lease lives until expires_at (database clock, so worker clocks may drift); its holder
-- renews it every few seconds, and a dead worker's leases simply run out.
CREATE TABLE worker_leases (
  scope text PRIMARY KEY,
  holder text NOT NULL,
  expires_at timestamptz NOT NULL,
  acquired_at timestamptz NOT NULL DEFAULT now()
);

-- The lease holder reads what every worker stored, in the order it was stored: without these
-- each poll would scan the tenant's whole history.
CREATE INDEX readings_tenant_received ON readings (tenant_id, received_at);
CREATE INDEX device_events_tenant_received ON device_events (tenant_id, received_at);
