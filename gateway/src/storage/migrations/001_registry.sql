-- Registry: tenants (a county or district cloud), users, elders, devices, venues, police stations.
-- Every record belongs to one tenant; ids are text (UUIDs made by the gateway, or a device
-- maker's own id for devices).

CREATE TABLE tenants (
  id text PRIMARY KEY,
  name text NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE police_stations (
  id text PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants (id),
  name text NOT NULL,
  webhook_url text NOT NULL,
  -- Kept readable: it signs outgoing notices (HMAC). Never returned by the API.
  secret text NOT NULL,
  format text NOT NULL CHECK (format IN ('json', 'cap')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX police_stations_tenant ON police_stations (tenant_id);

CREATE TABLE users (
  id text PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants (id),
  username text NOT NULL UNIQUE,
  -- scrypt$<salt hex>$<hash hex>
  password_hash text NOT NULL,
  role text NOT NULL CHECK (role IN ('admin', 'operator', 'police')),
  police_station_id text REFERENCES police_stations (id),
  display_name text,
  disabled boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK (role <> 'police' OR police_station_id IS NOT NULL)
);

CREATE TABLE auth_tokens (
  -- sha256 of the bearer token: a leaked table does not leak sessions.
  token_hash text PRIMARY KEY,
  user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);
CREATE INDEX auth_tokens_expiry ON auth_tokens (expires_at);

CREATE TABLE elders (
  id text PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants (id),
  name text NOT NULL,
  home_lat double precision NOT NULL,
  home_lon double precision NOT NULL,
  home_radius_m double precision NOT NULL DEFAULT 150,
  language text NOT NULL DEFAULT 'zh-CN',
  police_station_id text REFERENCES police_stations (id),
  phone text,
  address text,
  area text,
  contacts jsonb NOT NULL DEFAULT '[]',
  -- Planned absences [{from, to, note}] (epoch ms): a weekend at a child's home is not an alert.
  expected_away jsonb NOT NULL DEFAULT '[]',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX elders_tenant ON elders (tenant_id, created_at);

CREATE TABLE devices (
  id text PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants (id),
  elder_id text NOT NULL REFERENCES elders (id) ON DELETE CASCADE,
  kind text NOT NULL CHECK (kind IN ('watch', 'camera')),
  -- sha256$<salt>$<hash> (see registry/secrets.ts for why not scrypt); the secret itself is
  -- shown once, at issue or rotation.
  secret_hash text NOT NULL,
  secret_rotated_at timestamptz NOT NULL DEFAULT now(),
  online boolean NOT NULL DEFAULT false,
  status_at timestamptz,
  last_seen_at timestamptz,
  battery smallint,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX devices_elder ON devices (elder_id);
CREATE INDEX devices_tenant ON devices (tenant_id, created_at);

CREATE TABLE venues (
  id text PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants (id),
  name text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('sales', 'investment', 'travel', 'bank', 'care', 'hospital', 'other')),
  risky boolean NOT NULL,
  lat double precision,
  lon double precision,
  radius_m double precision,
  -- [[lat, lon], ...] for polygon venues
  polygon jsonb,
  address text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CHECK ((lat IS NOT NULL AND lon IS NOT NULL AND radius_m IS NOT NULL) OR polygon IS NOT NULL)
);
CREATE INDEX venues_tenant ON venues (tenant_id, created_at);

CREATE TABLE audit_log (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant_id text,
  actor text NOT NULL,
  action text NOT NULL,
  target text,
  detail jsonb,
  at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_tenant ON audit_log (tenant_id, at);
