-- The address book: saved sender and recipient addresses of a customer account, each resolved
-- to a gazetteer city so quotes, ETAs and maps have coordinates.
CREATE TABLE addresses (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id BIGINT NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    company TEXT,
    phone TEXT NOT NULL,
    line1 TEXT NOT NULL,
    line2 TEXT,
    city TEXT NOT NULL,
    postcode TEXT NOT NULL,
    country TEXT NOT NULL,
    geonames_id BIGINT NOT NULL,
    lat REAL NOT NULL,
    lon REAL NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX addresses_customer ON addresses (customer_id, name);
