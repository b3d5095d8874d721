-- Sending notifications: the channels each customer wants per message kind, their webhook
-- endpoints, one delivery row per message and channel (written with the message, in the same
-- transaction), every attempt's outcome, and the delay alerts already raised per cause.
CREATE TABLE notification_preferences (
    customer_id BIGINT NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    email BIGINT NOT NULL,
    webhook BIGINT NOT NULL,
    in_app BIGINT NOT NULL,
    PRIMARY KEY (customer_id, kind)
);

-- The language of a customer's email ('en' or 'zh-CN').
ALTER TABLE customers ADD COLUMN notification_locale TEXT NOT NULL DEFAULT 'en';

CREATE TABLE webhooks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id BIGINT NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    -- The signing key: needed to sign, so kept, and shown to the customer once.
    secret TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    deleted_at BIGINT
);
CREATE INDEX webhooks_customer ON webhooks (customer_id);

-- status: pending -> sent | failed | skipped. A claim sets locked_until; a worker that dies
-- mid-send leaves the row to be retried when the lock lapses (at least once; webhook receivers
-- de-duplicate by the event id, which a retry keeps).
CREATE TABLE notification_deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    notification_id BIGINT NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
    channel TEXT NOT NULL CHECK (channel IN ('email', 'webhook')),
    webhook_id BIGINT REFERENCES webhooks (id) ON DELETE CASCADE,
    target TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    locked_until BIGINT NOT NULL DEFAULT 0,
    last_error TEXT,
    sent_at BIGINT,
    created_at BIGINT NOT NULL,
    UNIQUE (notification_id, channel, target)
);
CREATE INDEX notification_deliveries_due ON notification_deliveries (status, next_attempt_at);
CREATE INDEX notification_deliveries_webhook ON notification_deliveries (webhook_id, id);

CREATE TABLE delivery_attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id BIGINT NOT NULL REFERENCES notification_deliveries (id) ON DELETE CASCADE,
    attempt BIGINT NOT NULL,
    started_at BIGINT NOT NULL,
    duration_ms BIGINT NOT NULL,
    ok BIGINT NOT NULL,
    status_code BIGINT,
    error TEXT
);
CREATE INDEX delivery_attempts_delivery ON delivery_attempts (delivery_id, id);

-- One alert per shipment and cause ('eta', 'delayed', 'delivery_failed'); recovered_at is set
-- when the recovery notice went out.
CREATE TABLE delay_alerts (
    shipment_id BIGINT NOT NULL REFERENCES shipments (id) ON DELETE CASCADE,
    cause TEXT NOT NULL,
    raised_at BIGINT NOT NULL,
    recovered_at BIGINT,
    PRIMARY KEY (shipment_id, cause)
);

-- The delay sweep reads parcels still on their way whose promised window is near or past.
CREATE INDEX shipments_status_window ON shipments (status, promised_to);

-- A courier's latest position for a parcel out for delivery (only the latest is kept; the
-- recipient sees it after proving who they are).
CREATE TABLE courier_positions (
    shipment_id BIGINT PRIMARY KEY REFERENCES shipments (id) ON DELETE CASCADE,
    lat REAL NOT NULL,
    lon REAL NOT NULL,
    recorded_at BIGINT NOT NULL,
    carrier_id BIGINT NOT NULL REFERENCES carrier_tokens (id)
);
