-- Issue 4, alert lifecycle. The cool-down after a resolution is measured on the rule clock
-- (event time under EG_CLOCK=event), which resolved_at (wall time) cannot tell, so the
-- resolution is also stamped on the rule clock. Findings swallowed by the cool-down are
-- counted on the resolved alert they would have reopened.
ALTER TABLE alerts ADD COLUMN resolved_rule_at timestamptz;
ALTER TABLE alerts ADD COLUMN suppressed_count integer NOT NULL DEFAULT 0;
UPDATE alerts SET resolved_rule_at = resolved_at WHERE status = 'resolved' AND resolved_rule_at IS NULL;
-- The SLA report selects alerts by the time they reached the board.
CREATE INDEX alerts_created ON alerts (tenant_id, created_at);
CREATE INDEX alerts_assignee ON alerts (tenant_id, assignee) WHERE assignee IS NOT NULL;
