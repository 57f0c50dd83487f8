-- Alerts raised from rule findings, their audit trail, candidate venues from crowd detection,
-- rule-engine checkpoints and the versioned per-tenant rule configuration.

CREATE TABLE alerts (
  id text PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants (id),
  elder_id text NOT NULL REFERENCES elders (id) ON DELETE CASCADE,
  rule text NOT NULL,
  level text NOT NULL CHECK (level IN ('green', 'yellow', 'orange', 'red')),
  status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'acknowledged', 'resolved')),
  count integer NOT NULL DEFAULT 1,
  first_at timestamptz NOT NULL,
  last_at timestamptz NOT NULL,
  summary text NOT NULL,
  evidence jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  resolved_at timestamptz
);
-- DESIGN §5: one open alert per (elder, rule); repeats raise its count and level.
CREATE UNIQUE INDEX alerts_one_open ON alerts (tenant_id, elder_id, rule) WHERE status <> 'resolved';
CREATE INDEX alerts_tenant_last ON alerts (tenant_id, last_at DESC);
CREATE INDEX alerts_elder ON alerts (elder_id, last_at DESC);

-- Every transition of an alert, with actor and time.
CREATE TABLE alert_history (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  alert_id text NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
  at timestamptz NOT NULL DEFAULT now(),
  actor text NOT NULL,
  action text NOT NULL,
  from_level text,
  to_level text,
  from_status text,
  to_status text,
  detail jsonb
);
CREATE INDEX alert_history_alert ON alert_history (alert_id, id);

-- Each finding is applied to alerts exactly once, even when a restarted engine replays the
-- inputs it received after its last checkpoint and derives the same finding again.
CREATE TABLE applied_findings (
  tenant_id text NOT NULL,
  dedup_key text NOT NULL,
  alert_id text,
  applied_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, dedup_key)
);

CREATE TABLE venue_candidates (
  id text PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants (id),
  place_key text NOT NULL,
  lat double precision NOT NULL,
  lon double precision NOT NULL,
  radius_m double precision NOT NULL,
  days jsonb NOT NULL,
  elder_ids jsonb NOT NULL,
  evidence jsonb NOT NULL,
  status text NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'promoted', 'dismissed')),
  venue_id text REFERENCES venues (id) ON DELETE SET NULL,
  first_at timestamptz NOT NULL,
  last_at timestamptz NOT NULL,
  UNIQUE (tenant_id, place_key)
);

-- Rule-engine checkpoints: one row per elder plus one per tenant for cross-elder state.
CREATE TABLE rule_state (
  tenant_id text NOT NULL,
  scope text NOT NULL,
  state jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, scope)
);

CREATE TABLE rule_configs (
  tenant_id text NOT NULL REFERENCES tenants (id),
  version integer NOT NULL,
  config jsonb NOT NULL,
  created_by text NOT NULL,
  note text,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, version)
);
