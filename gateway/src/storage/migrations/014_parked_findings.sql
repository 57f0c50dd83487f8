-- Parked findings (detection/finding-delivery.ts): a finding the database refuses for a data
-- reason (evidence that cannot be serialised, a value a column rejects), or one that could not
-- be stored for longer than the deferral allows, is kept here instead of being retried in front
-- of every other alert. Admins see them, retry them once fixed, or dismiss them
-- (GET /api/v1/parked-findings, POST …/:id/retry, POST …/:id/dismiss).
--
-- Deliberately loose: no foreign keys and no CHECK on rule or level, because the row must be
-- writable for exactly the findings that broke those rules elsewhere. `finding` is the finding
-- itself, or {unserialisable, reason, description} when it could not be stored whole.
CREATE TABLE parked_findings (
  id text PRIMARY KEY,
  tenant_id text NOT NULL,
  elder_id text,
  rule text NOT NULL,
  level text NOT NULL,
  dedup_key text NOT NULL,
  finding jsonb NOT NULL,
  error_code text NOT NULL,
  error_message text NOT NULL,
  attempts integer NOT NULL,
  first_failed_at timestamptz NOT NULL,
  parked_at timestamptz NOT NULL DEFAULT now(),
  status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'retried', 'dismissed')),
  alert_id text,
  decided_by text,
  decided_at timestamptz,
  -- One row per finding: a replay after a restart that fails the same way adds attempts.
  UNIQUE (tenant_id, dedup_key)
);
CREATE INDEX parked_findings_tenant_status ON parked_findings (tenant_id, status, parked_at DESC);
