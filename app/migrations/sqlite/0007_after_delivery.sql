-- After delivery: returns with their items, photos and steps; ratings; complaints with their
-- messages and attachments; and the key that signs rating links.

-- One row per deployment: the HMAC key of signed links, made on first use, shared by every
-- instance on the database.
CREATE TABLE link_keys (
    name TEXT PRIMARY KEY,
    secret TEXT NOT NULL
);

CREATE TABLE returns (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    -- The shipper who owns the shipment (and pays for and is refunded on the return).
    customer_id BIGINT NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    shipment_id BIGINT NOT NULL REFERENCES shipments (id) ON DELETE CASCADE,
    requested_by TEXT NOT NULL CHECK (requested_by IN ('shipper', 'recipient')),
    -- JSON: the indexes of the shipment's parcels going back.
    items TEXT NOT NULL,
    reason TEXT NOT NULL,
    note TEXT,
    method TEXT NOT NULL CHECK (method IN ('pickup', 'drop_off')),
    pickup_slot_id BIGINT REFERENCES slots (id),
    drop_off_point TEXT,
    status TEXT NOT NULL,
    decision_note TEXT,
    -- Minor units: the declared value of the items, set when the refund is marked.
    refund_amount BIGINT,
    currency TEXT NOT NULL,
    return_shipment_id BIGINT REFERENCES shipments (id),
    -- SHA-256 of the recipient's access token (recipient returns only).
    access_hash TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX returns_customer ON returns (customer_id, id);
CREATE INDEX returns_status ON returns (status, created_at);
CREATE UNIQUE INDEX returns_return_shipment ON returns (return_shipment_id);

-- An item can be in one open return at a time: the primary key refuses a second, whatever the
-- concurrency. A rejected return gives its items back.
CREATE TABLE return_items (
    shipment_id BIGINT NOT NULL REFERENCES shipments (id) ON DELETE CASCADE,
    parcel_index BIGINT NOT NULL,
    return_id BIGINT NOT NULL REFERENCES returns (id) ON DELETE CASCADE,
    PRIMARY KEY (shipment_id, parcel_index)
);

-- Every step, timestamped, with who took it.
CREATE TABLE return_steps (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    return_id BIGINT NOT NULL REFERENCES returns (id) ON DELETE CASCADE,
    status TEXT NOT NULL,
    user_id BIGINT REFERENCES users (id),
    note TEXT,
    at BIGINT NOT NULL
);
CREATE INDEX return_steps_return ON return_steps (return_id, id);

-- Photos and complaint attachments: the bytes live in the upload folder under `stored_name`.
CREATE TABLE uploads (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    owner_kind TEXT NOT NULL CHECK (owner_kind IN ('return', 'complaint')),
    owner_id BIGINT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    stored_name TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);
CREATE INDEX uploads_owner ON uploads (owner_kind, owner_id, id);

CREATE TABLE ratings (
    shipment_id BIGINT PRIMARY KEY REFERENCES shipments (id) ON DELETE CASCADE,
    customer_id BIGINT NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    csat BIGINT NOT NULL CHECK (csat BETWEEN 1 AND 5),
    -- The NPS question may be skipped.
    nps BIGINT CHECK (nps BETWEEN 0 AND 10),
    -- Comma-separated tag codes.
    tags TEXT NOT NULL,
    comment TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX ratings_customer ON ratings (customer_id, created_at);

CREATE TABLE complaints (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id BIGINT NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    shipment_id BIGINT REFERENCES shipments (id) ON DELETE CASCADE,
    category TEXT NOT NULL,
    description TEXT NOT NULL,
    tier TEXT NOT NULL,
    priority TEXT NOT NULL,
    status TEXT NOT NULL,
    assignee_id BIGINT REFERENCES users (id),
    first_response_due BIGINT NOT NULL,
    resolution_due BIGINT NOT NULL,
    first_response_at BIGINT,
    resolved_at BIGINT,
    closed_at BIGINT,
    -- 'customer' (confirmed) or 'auto' (no answer within 7 days).
    closed_by TEXT,
    resolution_note TEXT,
    reopen_count BIGINT NOT NULL DEFAULT 0,
    -- The follow-up answer after closing: satisfied with the resolution, 1-5.
    follow_up BIGINT CHECK (follow_up BETWEEN 1 AND 5),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX complaints_customer ON complaints (customer_id, id);
CREATE INDEX complaints_status ON complaints (status, resolution_due);

CREATE TABLE complaint_messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    complaint_id BIGINT NOT NULL REFERENCES complaints (id) ON DELETE CASCADE,
    author TEXT NOT NULL CHECK (author IN ('customer', 'agent', 'system')),
    user_id BIGINT REFERENCES users (id),
    body TEXT NOT NULL,
    -- The status the complaint moved to with this message, if any.
    status TEXT,
    at BIGINT NOT NULL
);
CREATE INDEX complaint_messages_complaint ON complaint_messages (complaint_id, id);

