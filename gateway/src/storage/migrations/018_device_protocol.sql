-- Devices that speak a maker's protocol instead of the MQTT contract (DESIGN §3b, issue 15).
-- A 4G watch on the TCP "watch" protocol presents only its own number (imei): no secret, no
-- client id. The number identifies it across tenants, as an MQTT client id does, so it is
-- unique wherever it is set. Its clock may run in local time: clock_offset_minutes.
-- last_frame_at / last_frame: what the board's device page shows (the command of the newest
-- frame, e.g. "UD2"), written with the device's other activity, coalesced.
ALTER TABLE devices ADD COLUMN protocol text NOT NULL DEFAULT 'mqtt' CHECK (protocol IN ('mqtt', 'watch'));
ALTER TABLE devices ADD COLUMN imei text;
ALTER TABLE devices ADD COLUMN clock_offset_minutes integer;
ALTER TABLE devices ADD COLUMN last_frame_at timestamptz;
ALTER TABLE devices ADD COLUMN last_frame text;
ALTER TABLE devices ADD CONSTRAINT devices_protocol_imei CHECK ((protocol = 'watch') = (imei IS NOT NULL));
CREATE UNIQUE INDEX devices_imei ON devices (imei) WHERE imei IS NOT NULL;
