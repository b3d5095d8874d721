-- Daily roll-ups of what the KPIs count, kept by each event's own transaction (app/src/kpi_rollup.rs),
-- so a year's dashboard reads a few thousand rows instead of a million shipments.

-- The customer's tier and industry when the shipment was booked (the tier that priced it) and
-- when the complaint was filed (the tier that set its SLA). KPI filters read these, so a customer
-- changing tier does not rewrite last quarter's figures, and each roll-up row keeps its key.
ALTER TABLE shipments ADD COLUMN tier TEXT NOT NULL DEFAULT 'new';
ALTER TABLE shipments ADD COLUMN industry TEXT NOT NULL DEFAULT 'other';
ALTER TABLE complaints ADD COLUMN industry TEXT NOT NULL DEFAULT 'other';
UPDATE shipments SET tier = (SELECT c.tier FROM customers c WHERE c.id = shipments.customer_id),
    industry = (SELECT c.industry FROM customers c WHERE c.id = shipments.customer_id);
UPDATE complaints SET industry = (SELECT c.industry FROM customers c WHERE c.id = complaints.customer_id);

-- What a shipment's complaints say of it (any complaint, a wrong delivery, damage), written by
-- the complaint's transaction, so a KPI reads one row per shipment and never its complaints.
ALTER TABLE shipments ADD COLUMN complained BIGINT NOT NULL DEFAULT 0;
ALTER TABLE shipments ADD COLUMN wrong_delivery BIGINT NOT NULL DEFAULT 0;
ALTER TABLE shipments ADD COLUMN damage_complaint BIGINT NOT NULL DEFAULT 0;
UPDATE shipments SET
    complained = CASE WHEN EXISTS (SELECT 1 FROM complaints k WHERE k.shipment_id = shipments.id)
        THEN 1 ELSE 0 END,
    wrong_delivery = CASE WHEN EXISTS (SELECT 1 FROM complaints k
        WHERE k.shipment_id = shipments.id AND k.category = 'wrong_delivery') THEN 1 ELSE 0 END,
    damage_complaint = CASE WHEN EXISTS (SELECT 1 FROM complaints k
        WHERE k.shipment_id = shipments.id AND k.category = 'damage') THEN 1 ELSE 0 END;

-- One row per local day (days since 1970-01-01 in the calendar's time zone) and key. A complaint
-- without a shipment has service ''.
CREATE TABLE kpi_daily (
    day BIGINT NOT NULL,
    tier TEXT NOT NULL,
    industry TEXT NOT NULL,
    service TEXT NOT NULL,
    shipments BIGINT NOT NULL,
    wrong_delivery BIGINT NOT NULL,
    complained BIGINT NOT NULL,
    exceptions BIGINT NOT NULL,
    delivered BIGINT NOT NULL,
    on_time BIGINT NOT NULL,
    damaged BIGINT NOT NULL,
    ratings BIGINT NOT NULL,
    csat_good BIGINT NOT NULL,
    csat_sum BIGINT NOT NULL,
    nps_answers BIGINT NOT NULL,
    promoters BIGINT NOT NULL,
    detractors BIGINT NOT NULL,
    resolved BIGINT NOT NULL,
    resolution_minutes BIGINT NOT NULL,
    resolved_in_sla BIGINT NOT NULL,
    PRIMARY KEY (day, tier, industry, service)
);

-- The time zone whose days the roll-ups count; '' until the server first builds them (at start,
-- and again whenever REPORT_TIME_ZONE changes).
CREATE TABLE kpi_calendar (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    time_zone TEXT NOT NULL
);
INSERT INTO kpi_calendar (id, time_zone) VALUES (1, '');

-- Drill-downs and a customer's own figures: the rows behind a number, found without scanning
-- the period.
CREATE INDEX shipments_late ON shipments (delivered_at) WHERE delivered_on_time = 0;
CREATE INDEX shipments_exception ON shipments (created_at) WHERE had_exception = 1;
CREATE INDEX shipments_customer_created ON shipments (customer_id, created_at);
CREATE INDEX shipments_customer_delivered ON shipments (customer_id, delivered_at);
CREATE INDEX shipments_customer_exception ON shipments (customer_id, id) WHERE had_exception = 1;
CREATE INDEX complaints_customer_resolved ON complaints (customer_id, resolved_at);
