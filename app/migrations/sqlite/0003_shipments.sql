-- Shipments, their tracking events, the idempotency keys of booking requests, and the counter
-- tracking-number serials are drawn from.

-- Serials are drawn from a counter and scrambled (see orders::service::serial_for), so every
-- number is unique by construction and numbers do not reveal how many shipments were booked.
CREATE TABLE counters (
    name TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO counters (name, value) VALUES ('shipment_serial', 0);

CREATE TABLE shipments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id BIGINT NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    tracking_number TEXT NOT NULL UNIQUE,
    service TEXT NOT NULL CHECK (service IN ('standard', 'express', 'scheduled', 'pickup_point')),
    status TEXT NOT NULL,
    reference TEXT,
    sender_name TEXT NOT NULL,
    sender_company TEXT,
    sender_phone TEXT NOT NULL,
    sender_line1 TEXT NOT NULL,
    sender_line2 TEXT,
    sender_city TEXT NOT NULL,
    sender_postcode TEXT NOT NULL,
    sender_country TEXT NOT NULL,
    sender_lat REAL NOT NULL,
    sender_lon REAL NOT NULL,
    recipient_name TEXT NOT NULL,
    recipient_company TEXT,
    recipient_phone TEXT NOT NULL,
    recipient_line1 TEXT NOT NULL,
    recipient_line2 TEXT,
    recipient_city TEXT NOT NULL,
    recipient_postcode TEXT NOT NULL,
    recipient_country TEXT NOT NULL,
    recipient_lat REAL NOT NULL,
    recipient_lon REAL NOT NULL,
    -- JSON: the parcels as booked and the price breakdown as quoted at booking time.
    parcels TEXT NOT NULL,
    parcel_count BIGINT NOT NULL,
    weight_g BIGINT NOT NULL,
    insured BIGINT NOT NULL,
    price_lines TEXT NOT NULL,
    total BIGINT NOT NULL,
    currency TEXT NOT NULL,
    promised_from TEXT NOT NULL,
    promised_to TEXT NOT NULL,
    -- Lower-cased recipient, company, city and reference: what the list's search box matches.
    search_text TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
-- The list pages by (customer, id) newest first; filters narrow within the same index range.
CREATE INDEX shipments_customer ON shipments (customer_id, id);
CREATE INDEX shipments_customer_status ON shipments (customer_id, status, id);
-- The search box matches anywhere in search_text; this index holds it beside the list order,
-- so a search reads narrow index entries instead of whole shipment rows.
CREATE INDEX shipments_customer_search ON shipments (customer_id, id, search_text);

CREATE TABLE tracking_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    shipment_id BIGINT NOT NULL REFERENCES shipments (id) ON DELETE CASCADE,
    status TEXT NOT NULL,
    occurred_at BIGINT NOT NULL,
    place TEXT,
    lat REAL,
    lon REAL,
    note TEXT,
    source TEXT NOT NULL CHECK (source IN ('scan', 'courier', 'system', 'customer')),
    created_at BIGINT NOT NULL
);
CREATE INDEX tracking_events_shipment ON tracking_events (shipment_id, occurred_at);

-- A booking request's key: claimed before the booking runs (shipment_id NULL while it runs),
-- so a retry can tell "still running" (409) from "done" (the same shipment) and a different
-- body under the same key (422).
CREATE TABLE idempotency_keys (
    customer_id BIGINT NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    idempotency_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    shipment_id BIGINT REFERENCES shipments (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (customer_id, idempotency_key)
);
