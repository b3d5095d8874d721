-- Sessions also end after a quiet spell (ASVS 3.3.2), each at the idle limit its user's role
-- had when it began; they remember the device and address they were opened from, so the
-- account page can list them and its owner end any of them.
ALTER TABLE sessions ADD COLUMN last_seen_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN idle_ms BIGINT NOT NULL DEFAULT 1800000;
ALTER TABLE sessions ADD COLUMN user_agent TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN client TEXT NOT NULL DEFAULT '';
UPDATE sessions SET last_seen_at = created_at;

ALTER TABLE api_tokens ADD COLUMN last_used_at BIGINT;

-- Carriers' tokens expire and can be revoked; a revoked one stays, as its scans point to it.
ALTER TABLE carrier_tokens ADD COLUMN expires_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE carrier_tokens ADD COLUMN revoked_at BIGINT;
UPDATE carrier_tokens SET expires_at = created_at + 31536000000;
