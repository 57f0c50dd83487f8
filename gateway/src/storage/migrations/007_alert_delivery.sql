-- Issue 4: the alert lifecycle, voice prompts, police and family notices, and the change log
-- that feeds the live stream. Everything an alert change causes is written in the same
-- transaction as the change (a transactional outbox), so a crash never loses a notice.

ALTER TABLE alerts ADD COLUMN assignee text;
ALTER TABLE alerts ADD COLUMN acknowledged_at timestamptz;
ALTER TABLE alerts ADD COLUMN acknowledged_by text;
ALTER TABLE alerts ADD COLUMN disposition text
  CHECK (disposition IN ('confirmed_fraud', 'false_alarm', 'referred_to_police', 'resolved_other'));
ALTER TABLE alerts ADD COLUMN resolution_note text;
ALTER TABLE alerts ADD COLUMN resolved_by text;
-- Rule-clock time at which the alert reached its current level (escalation counts from it).
ALTER TABLE alerts ADD COLUMN level_since timestamptz;
ALTER TABLE alerts ADD COLUMN escalated_at timestamptz;
UPDATE alerts SET level_since = last_at WHERE level_since IS NULL;
CREATE INDEX alerts_open_level ON alerts (tenant_id, status, level, level_since);
CREATE INDEX alerts_resolved ON alerts (tenant_id, elder_id, rule, resolved_at DESC) WHERE status = 'resolved';

-- Voice prompts (喊话): one row per prompt per device, driven by the device's acks.
CREATE TABLE voice_prompts (
  id text PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants (id),
  elder_id text NOT NULL REFERENCES elders (id) ON DELETE CASCADE,
  device_id text NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
  alert_id text REFERENCES alerts (id) ON DELETE SET NULL,
  -- 'alert' (from a rule) or 'operator' (manual 喊话)
  origin text NOT NULL CHECK (origin IN ('alert', 'operator')),
  requested_by text,
  text text NOT NULL,
  lang text NOT NULL,
  priority text NOT NULL CHECK (priority IN ('normal', 'high')),
  status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'delivered', 'played', 'failed', 'expired', 'suppressed')),
  expires_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  sent_at timestamptz,
  send_count integer NOT NULL DEFAULT 0,
  acked_at timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX voice_prompts_device_pending ON voice_prompts (device_id, created_at) WHERE status IN ('queued', 'sent');
CREATE INDEX voice_prompts_elder ON voice_prompts (elder_id, created_at DESC);
CREATE INDEX voice_prompts_alert ON voice_prompts (alert_id);

-- Police and family notices: the outbox. Delivery retries with backoff until delivered or
-- until the deadline, then 'failed' (shown loudly on the board).
CREATE TABLE notices (
  id text PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants (id),
  alert_id text NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
  elder_id text NOT NULL,
  -- 'police' (to the elder's station) or 'family' (a contact or grid worker's webhook)
  audience text NOT NULL CHECK (audience IN ('police', 'family')),
  police_station_id text REFERENCES police_stations (id),
  -- family contacts live in elders.contacts; the index and a snapshot of name/url are kept here
  contact_index integer,
  target_url text NOT NULL,
  format text NOT NULL CHECK (format IN ('json', 'cap')),
  level text NOT NULL,
  body text NOT NULL,
  content_type text NOT NULL,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed', 'receipted')),
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  deadline_at timestamptz NOT NULL,
  last_error text,
  last_status integer,
  created_at timestamptz NOT NULL DEFAULT now(),
  delivered_at timestamptz,
  receipt_at timestamptz,
  case_number text,
  receipt_note text
);
CREATE INDEX notices_due ON notices (next_attempt_at) WHERE status = 'pending';
CREATE INDEX notices_alert ON notices (alert_id);
CREATE INDEX notices_tenant_created ON notices (tenant_id, created_at DESC);

-- Every change the board must see (alerts, notices, voice prompts, device status), numbered
-- per tenant in COMMIT order: the sequence comes from a per-tenant head row that the writing
-- transaction locks until it commits, so a reader that has seen seq N has seen every change
-- before it. The live stream pushes new rows and replays from a sequence number on reconnect.
CREATE TABLE change_heads (
  tenant_id text PRIMARY KEY,
  seq bigint NOT NULL
);

CREATE TABLE change_log (
  tenant_id text NOT NULL,
  seq bigint NOT NULL,
  topic text NOT NULL,
  entity_id text NOT NULL,
  payload jsonb NOT NULL,
  at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, seq)
);
CREATE INDEX change_log_at ON change_log (at);
