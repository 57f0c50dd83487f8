-- Issue 4, voice prompts: an alert change that prompts the elder writes one row per device
-- (watch and camera). The per-elder rate limit ("at most N alert prompts per hour") counts
-- those occasions, not rows, so an elder with two devices is not limited twice as fast.
ALTER TABLE voice_prompts ADD COLUMN occasion_id text;
CREATE INDEX voice_prompts_elder_occasions ON voice_prompts (tenant_id, elder_id, created_at) WHERE origin = 'alert';
