-- Evidence as it stands (issue 12): the rule engine refreshes the evidence of a finding it
-- already emitted (a visit's dwell while the visit goes on). The alert takes a refresh only
-- while its evidence is still that finding's: `evidence_key` is the dedup key of the finding
-- whose evidence the alert shows — a later, higher finding is not overwritten by an older one.
ALTER TABLE alerts ADD COLUMN evidence_key text;
