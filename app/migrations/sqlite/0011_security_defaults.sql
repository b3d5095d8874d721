-- Demo customers are marked, so the traffic simulator moves their parcels and never a real
-- customer's, even when both share a database. Databases seeded before this migration know
-- their demo accounts by the demo logins (README).
ALTER TABLE customers ADD COLUMN demo BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE customers SET demo = TRUE WHERE id IN (
    SELECT customer_id FROM users WHERE email IN (
        'shipper@acme.example', 'orders@lotus-shop.example', 'li.lei@example.com'
    )
);

-- Tracking serials are drawn at random now (orders::shipments::random_serial): the scrambled
-- counter gave every number away from one.
DROP TABLE counters;
