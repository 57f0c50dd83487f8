-- Telemetry: readings (watch and camera in one wide table), device events, command acks,
-- and the bounded dead-letter store for rejected payloads.

CREATE TABLE readings (
  time timestamptz NOT NULL,
  tenant_id text NOT NULL,
  elder_id text NOT NULL,
  device_id text NOT NULL,
  kind text NOT NULL,
  lat double precision,
  lon double precision,
  acc real,
  src text,
  hr smallint,
  steps integer,
  bat smallint,
  worn boolean,
  presence boolean,
  persons smallint,
  strangers smallint,
  motion boolean,
  received_at timestamptz NOT NULL DEFAULT now()
);
-- One reading per device per millisecond: a device re-sending a buffered upload after a lost
-- PUBACK (QoS 1 is at-least-once) must not double its readings. Includes time, as
-- TimescaleDB requires of unique indexes on hypertables.
CREATE UNIQUE INDEX readings_device_time ON readings (device_id, time);
CREATE INDEX readings_elder_time ON readings (elder_id, time DESC);

CREATE TABLE device_events (
  time timestamptz NOT NULL,
  tenant_id text NOT NULL,
  elder_id text NOT NULL,
  device_id text NOT NULL,
  device_kind text NOT NULL,
  type text NOT NULL,
  detail jsonb,
  received_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX device_events_device_time ON device_events (device_id, time, type);
CREATE INDEX device_events_elder_time ON device_events (elder_id, time DESC);

CREATE TABLE command_acks (
  time timestamptz NOT NULL,
  tenant_id text NOT NULL,
  elder_id text NOT NULL,
  device_id text NOT NULL,
  command_id text NOT NULL,
  status text NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX command_acks_command ON command_acks (command_id);

CREATE TABLE dead_letters (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  received_at timestamptz NOT NULL DEFAULT now(),
  tenant_id text,
  device_id text,
  channel text NOT NULL,
  reason text NOT NULL,
  message text NOT NULL,
  -- truncated to EG_DEADLETTER_PAYLOAD_BYTES
  payload text NOT NULL
);
CREATE INDEX dead_letters_received ON dead_letters (received_at);
