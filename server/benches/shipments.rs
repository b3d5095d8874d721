//! Prints how long importing 10,000 CSV rows takes and how long the shipment list takes with
//! 100,000 shipments for one customer. Not a test: it asserts nothing and prints figures.
//!
//! `cargo bench -p server --bench shipments` (SQLite in a temporary file), or with
//! `BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/parcelport_bench` on PostgreSQL
//! (the database is created if missing and must be disposable: it is emptied first).

use std::time::{Duration, Instant};

use app::i18n::Locale;
use app::orders::{import, shipments, ShipmentQuery};
use common::{bench_customer, database, shipments_csv};

mod common;

const ROWS: usize = 10_000;
const TARGET: i64 = 100_000;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

#[tokio::main]
async fn main() {
    let db = database().await;
    println!("backend: {}", db.kind.as_str());
    let customer = bench_customer(&db).await;

    let file = shipments_csv(ROWS);
    let started = Instant::now();
    let preview = import::preview(file.as_bytes(), "new", Locale::En).unwrap();
    let checked = started.elapsed();
    assert_eq!(preview.valid, ROWS);
    let started = Instant::now();
    let result = import::import(&db, customer, file.as_bytes(), "bench", Locale::En)
        .await
        .unwrap();
    let took = started.elapsed();
    println!(
        "import {ROWS} rows: check and price {:.2} s; check, price and book {:.2} s ({:.0} rows/s), {} booked",
        checked.as_secs_f64(),
        took.as_secs_f64(),
        ROWS as f64 / took.as_secs_f64(),
        result.booked
    );

    // Grow to 100,000 by copying the booked rows under fresh numbers (booking them one by one
    // would measure the import ten times over).
    let columns = "customer_id, service, status, reference, sender_name, sender_company, \
        sender_phone, sender_line1, sender_line2, sender_city, sender_postcode, sender_country, \
        sender_lat, sender_lon, recipient_name, recipient_company, recipient_phone, \
        recipient_line1, recipient_line2, recipient_city, recipient_postcode, recipient_country, \
        recipient_lat, recipient_lon, parcels, parcel_count, weight_g, insured, price_lines, \
        total, currency, promised_from, promised_to, search_text, created_at, updated_at";
    let mut copy = 1;
    loop {
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM shipments")
            .fetch_one(&db.pool)
            .await
            .unwrap();
        if count >= TARGET {
            break;
        }
        sqlx::query(&format!(
            "INSERT INTO shipments (tracking_number, {columns}) SELECT 'X' || '{copy}' || tracking_number, \
             {columns} FROM shipments WHERE customer_id = $1 AND tracking_number NOT LIKE 'X%' LIMIT $2"
        ))
        .bind(customer)
        .bind(TARGET - count)
        .execute(&db.pool)
        .await
        .unwrap();
        copy += 1;
    }
    // Statistics and the visibility map as autovacuum would leave them on a live database.
    let maintenance = match db.kind {
        app::platform::db::DbKind::Postgres => "VACUUM ANALYZE shipments",
        app::platform::db::DbKind::Sqlite => "ANALYZE",
    };
    sqlx::query(maintenance).execute(&db.pool).await.unwrap();
    println!("shipments of one customer: {TARGET}");

    let cases: Vec<(&str, ShipmentQuery)> = vec![
        ("first page", ShipmentQuery::default()),
        (
            "page after 99,000 rows (cursor)",
            ShipmentQuery {
                cursor: Some("1000".into()),
                ..Default::default()
            },
        ),
        (
            "search a reference",
            ShipmentQuery {
                q: Some("order-04242".into()),
                ..Default::default()
            },
        ),
        (
            "search a tracking number",
            ShipmentQuery {
                q: Some(result.rows[7].tracking_number.clone().unwrap()),
                ..Default::default()
            },
        ),
        (
            "filter status + service",
            ShipmentQuery {
                status: Some("created".into()),
                service: Some("express".into()),
                ..Default::default()
            },
        ),
        (
            "filter a date range, oldest first",
            ShipmentQuery {
                from: Some("2000-01-01".into()),
                to: Some("2100-01-01".into()),
                sort: Some(app::orders::ShipmentSort::Oldest),
                ..Default::default()
            },
        ),
    ];
    for (name, query) in cases {
        let mut samples = Vec::new();
        for _ in 0..15 {
            let started = Instant::now();
            let page = shipments::list(&db, customer, &query).await.unwrap();
            samples.push(started.elapsed());
            std::hint::black_box(page);
        }
        println!(
            "list, {name}: median {:.2} ms over {} runs",
            median(samples).as_secs_f64() * 1000.0,
            15
        );
    }
}
