-- The care team's CRM: each customer's tier computed from its own data (with the scores and the
-- rule that decided it), the history of tier changes, the retention queue, agents' notes, the
-- named account manager, and per-shipment facts the KPIs read.

-- The current tier, read by pricing and the SLA table on every quote, booking and complaint.
ALTER TABLE customers ADD COLUMN tier TEXT NOT NULL DEFAULT 'new'
    CHECK (tier IN ('vip', 'key', 'regular', 'at_risk', 'new'));
-- A staff user (agent or manager) that vip and key customers are served by first.
ALTER TABLE customers ADD COLUMN account_manager_id BIGINT REFERENCES users (id) ON DELETE SET NULL;
CREATE INDEX customers_tier ON customers (tier, id);

-- The latest assessment of each customer: scores (JSON) and the rule that decided the tier.
CREATE TABLE tier_assessments (
    customer_id BIGINT PRIMARY KEY REFERENCES customers (id) ON DELETE CASCADE,
    tier TEXT NOT NULL,
    rule TEXT NOT NULL,
    scores TEXT NOT NULL,
    assessed_at BIGINT NOT NULL
);

-- Every change of tier: from, to, when and why (the rule and the scores at that moment).
CREATE TABLE tier_changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id BIGINT NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    from_tier TEXT NOT NULL,
    to_tier TEXT NOT NULL,
    rule TEXT NOT NULL,
    scores TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX tier_changes_customer ON tier_changes (customer_id, id);
CREATE INDEX tier_changes_at ON tier_changes (at);

-- A valuable customer slipping away: an agent reaches out, records what happened, and closes it.
CREATE TABLE retention_items (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id BIGINT NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    from_tier TEXT NOT NULL,
    rule TEXT NOT NULL,
    scores TEXT NOT NULL,
    assignee_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'closed')),
    outcome TEXT,
    note TEXT,
    closed_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    closed_at BIGINT
);
-- One open item per customer, whatever the concurrency.
CREATE UNIQUE INDEX retention_items_open ON retention_items (customer_id) WHERE status = 'open';
CREATE INDEX retention_items_status ON retention_items (status, created_at);

-- An agent's notes on a customer's file.
CREATE TABLE customer_notes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id BIGINT NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    author_id BIGINT NOT NULL REFERENCES users (id),
    body TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX customer_notes_customer ON customer_notes (customer_id, id);

-- Scheduled jobs: a row each, claimed by one instance at a time.
CREATE TABLE job_runs (
    name TEXT PRIMARY KEY,
    last_day BIGINT NOT NULL,
    last_started_at BIGINT NOT NULL
);
INSERT INTO job_runs (name, last_day, last_started_at) VALUES ('tier_recompute', 0, 0);

-- Facts of a shipment's journey, written with the scan that establishes them, so KPIs read one
-- row per shipment instead of its events: when it was delivered, whether that was within the
-- promised window (the slot's end, else the end of the promised day), whether it ever entered
-- an exception status, and whether it was scanned damaged.
ALTER TABLE shipments ADD COLUMN delivered_at BIGINT;
ALTER TABLE shipments ADD COLUMN delivered_on_time BIGINT;
ALTER TABLE shipments ADD COLUMN had_exception BIGINT NOT NULL DEFAULT 0;
ALTER TABLE shipments ADD COLUMN damaged BIGINT NOT NULL DEFAULT 0;

UPDATE shipments SET
    delivered_at = (SELECT MIN(e.occurred_at) FROM tracking_events e
                    WHERE e.shipment_id = shipments.id AND e.status = 'delivered'),
    had_exception = CASE WHEN EXISTS (SELECT 1 FROM tracking_events e
                    WHERE e.shipment_id = shipments.id
                      AND e.status IN ('delayed', 'delivery_failed', 'damaged', 'lost', 'returned_to_sender'))
                    THEN 1 ELSE 0 END,
    damaged = CASE WHEN EXISTS (SELECT 1 FROM tracking_events e
                    WHERE e.shipment_id = shipments.id AND e.status = 'damaged') THEN 1 ELSE 0 END;
UPDATE shipments SET delivered_on_time = CASE WHEN delivered_at <= COALESCE(
        (SELECT sl.ends_at FROM slots sl WHERE sl.id = shipments.delivery_slot_id),
        (CAST(strftime('%s', promised_to) AS INTEGER) + 86400) * 1000) THEN 1 ELSE 0 END
    WHERE delivered_at IS NOT NULL;

CREATE INDEX shipments_created ON shipments (created_at);
CREATE INDEX shipments_delivered ON shipments (delivered_at);
CREATE INDEX complaints_shipment ON complaints (shipment_id, category);
CREATE INDEX complaints_created ON complaints (created_at);
CREATE INDEX complaints_resolved ON complaints (resolved_at);
CREATE INDEX ratings_created ON ratings (created_at);
CREATE INDEX returns_created ON returns (customer_id, created_at);
