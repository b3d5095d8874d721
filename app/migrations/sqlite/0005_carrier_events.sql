-- Carriers post scans through the API with their own tokens (only a hash is kept); a carrier's
-- event id is stored once, so a resent batch records nothing twice.
CREATE TABLE carrier_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);

ALTER TABLE tracking_events ADD COLUMN carrier_id BIGINT REFERENCES carrier_tokens (id);
ALTER TABLE tracking_events ADD COLUMN event_id TEXT;
CREATE UNIQUE INDEX tracking_events_carrier_event ON tracking_events (carrier_id, event_id);
