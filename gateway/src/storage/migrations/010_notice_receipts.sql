-- Police receipts (POST /api/v1/notices/:id/receipt) say how far the station has taken the
-- case: received, accepted, closed. 007 kept the time, case number and note; this keeps the
-- stage, so the board can show "accepted, case 2024-117" rather than only "receipted".
ALTER TABLE notices ADD COLUMN receipt_status text CHECK (receipt_status IN ('received', 'accepted', 'closed'));
-- Police users list their station's notices.
CREATE INDEX notices_station_created ON notices (police_station_id, created_at DESC) WHERE police_station_id IS NOT NULL;
