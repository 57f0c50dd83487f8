-- Health readings of 4G watches (DESIGN §3): blood oxygen (spo2, %), blood pressure (sys, dia,
-- mmHg) and body temperature (temp, °C), stored like hr. Whole numbers fit smallint; a
-- temperature to one decimal fits real.
--
-- One file for every backend, kept to nullable columns without a default: then ADD COLUMN
-- changes only the catalog on PostgreSQL and PGlite (no table rewrite, however many readings;
-- the brief ACCESS EXCLUSIVE lock only queues the writer's next INSERT), and on TimescaleDB it
-- is a change a hypertable with compressed chunks accepts — checked on 2.17 with compressed
-- chunks and the continuous aggregate of 011 in place (migrate-timescale.test.ts): old rows read
-- the new columns as NULL, late rows that carry them go into compressed chunks. The aggregate
-- names its columns, so it needs nothing.
ALTER TABLE readings
  ADD COLUMN spo2 smallint,
  ADD COLUMN sys smallint,
  ADD COLUMN dia smallint,
  ADD COLUMN temp real;
