-- The coordinate system a device reports its positions in (DESIGN §4 "Positions and coordinate
-- systems"): GPS watches give WGS-84, but some trackers sold in China give GCJ-02 (AMap) or
-- BD-09 (Baidu) because their vendor's app draws them on those maps. The intake converts such
-- a device's fixes to WGS-84 before storage and the rules (ingest/device-crs.ts, in decode):
-- readings are stored in WGS-84 only, so this column is read at login, never per row.
-- A constant default rewrites nothing (PostgreSQL 11+, PGlite); the CHECK reads the table once,
-- a registry of thousands of rows.
ALTER TABLE devices ADD COLUMN crs text NOT NULL DEFAULT 'wgs84' CHECK (crs IN ('wgs84', 'gcj02', 'bd09'));
