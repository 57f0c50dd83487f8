-- Voice prompts on the rule clock (issue 12, DESIGN §5 "levels and actions"): the per-elder
-- hourly limit and a prompt's expiry count on the rule clock, like escalation. Under
-- EG_CLOCK=event a replayed week runs in minutes: counting wall time let one hour of wall clock
-- hold back prompts of a whole day, and kept red alerts' prompts quiet. `rule_at` is the
-- moment on the rule clock the prompt was planned; created_at stays the wall-clock row time.
ALTER TABLE voice_prompts ADD COLUMN rule_at timestamptz;
UPDATE voice_prompts SET rule_at = created_at WHERE rule_at IS NULL;
ALTER TABLE voice_prompts ALTER COLUMN rule_at SET NOT NULL;
DROP INDEX IF EXISTS voice_prompts_elder_occasions;
CREATE INDEX voice_prompts_elder_occasions ON voice_prompts (tenant_id, elder_id, rule_at) WHERE origin = 'alert';
