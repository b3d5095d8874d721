-- Delivery slots: templates per service area (a manager's weekly pattern), the slots generated
-- from them, the windows shipments hold, and an outbox of notifications for the shipper.

CREATE TABLE slot_templates (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    -- The service area: a short code, its name, and what resolves to it.
    area TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    country TEXT NOT NULL,
    time_zone TEXT NOT NULL,
    -- JSON arrays: city names, postcode prefixes, ISO weekdays (1 = Monday), windows
    -- [{"start": "09:00", "end": "11:00"}], closed dates (YYYY-MM-DD), pickup points.
    cities TEXT NOT NULL,
    postcode_prefixes TEXT NOT NULL,
    weekdays TEXT NOT NULL,
    windows TEXT NOT NULL,
    holidays TEXT NOT NULL,
    pickup_points TEXT NOT NULL,
    capacity BIGINT NOT NULL,
    cutoff_days_before BIGINT NOT NULL,
    cutoff_time TEXT NOT NULL,
    days_ahead BIGINT NOT NULL,
    -- Slots exist up to this local date (YYYY-MM-DD); generation only adds the days after it.
    generated_until TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Times are UTC milliseconds; `day` is the local date in the area's time zone.
CREATE TABLE slots (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    template_id BIGINT NOT NULL REFERENCES slot_templates (id) ON DELETE CASCADE,
    day TEXT NOT NULL,
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    cutoff_at BIGINT NOT NULL,
    capacity BIGINT NOT NULL CHECK (capacity >= 0),
    -- Never above capacity: the booking UPDATE checks and increments in one statement, and the
    -- CHECK is the last line of defence.
    booked BIGINT NOT NULL DEFAULT 0 CHECK (booked >= 0 AND booked <= capacity),
    closed BIGINT NOT NULL DEFAULT 0,
    -- A manager changed this day by hand: template edits leave it alone.
    overridden BIGINT NOT NULL DEFAULT 0,
    UNIQUE (template_id, starts_at)
);
CREATE INDEX slots_template_day ON slots (template_id, day, starts_at);

ALTER TABLE shipments ADD COLUMN delivery_slot_id BIGINT REFERENCES slots (id);
ALTER TABLE shipments ADD COLUMN pickup_slot_id BIGINT REFERENCES slots (id);
ALTER TABLE shipments ADD COLUMN pickup_point TEXT;

-- Messages for customers, written in the same transaction as what causes them; the senders
-- (email, webhooks, the in-app centre) read from here.
CREATE TABLE notifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id BIGINT NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    shipment_id BIGINT REFERENCES shipments (id) ON DELETE CASCADE,
    payload TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    read_at BIGINT
);
CREATE INDEX notifications_customer ON notifications (customer_id, id);
