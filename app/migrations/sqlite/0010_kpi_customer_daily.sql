-- The KPI roll-ups per customer (app/src/kpi_rollup.rs), kept by the same transactions as
-- kpi_daily, so a customer's own figures on its 360 read a few hundred rows however many
-- shipments it sends (the busiest benchmark account took 140 ms over the raw tables).
CREATE TABLE kpi_customer_daily (
    customer_id BIGINT NOT NULL,
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
    PRIMARY KEY (customer_id, day, tier, industry, service)
);

-- The new table is empty: mark the roll-ups unbuilt so the next start counts both from the raw
-- tables.
UPDATE kpi_calendar SET time_zone = '' WHERE id = 1;

-- The on-time drill-down lists the rows where the on-time fact fails, in those words.
DROP INDEX shipments_late;
CREATE INDEX shipments_late ON shipments (delivered_at) WHERE NOT (delivered_on_time = 1);

-- When a shipment last entered an exception status, kept by the scan: a customer's 360 reads the
-- events of its shipments with the newest exceptions only, however many shipments it sends.
ALTER TABLE shipments ADD COLUMN last_exception_at BIGINT;
UPDATE shipments SET last_exception_at = (SELECT MAX(e.occurred_at) FROM tracking_events e
    WHERE e.shipment_id = shipments.id
      AND e.status IN ('delayed', 'delivery_failed', 'damaged', 'lost', 'returned_to_sender'))
    WHERE had_exception = 1;
DROP INDEX shipments_customer_exception;
CREATE INDEX shipments_customer_exception ON shipments (customer_id, last_exception_at)
    WHERE had_exception = 1;
