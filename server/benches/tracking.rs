//! Prints tracking lookups per second and their latency (p50, p99) for the JSON route and the
//! server-rendered tracking page, with `BENCH_SHIPMENTS` shipments (default 1,000,000) of ten
//! scans each (10,000,000 events), beside a bare axum route served by the same process in the
//! same run; then the time from a carrier event posted to its arrival on an open stream.
//! Client and server share the machine's cores. Not a test: it prints figures.
//!
//! `cargo bench -p server --bench tracking` (SQLite), or with
//! `BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/parcelport_bench` on PostgreSQL.

use std::sync::Arc;
use std::time::{Duration, Instant};

use app::domain::TrackingNumber;
use app::i18n::Locale;
use app::orders::import;
use app::platform::{Db, Settings};
use common::{bench_customer, database_url, shipments_csv};

mod common;

/// Shipments booked through the import; the rest are copies of them under new numbers.
const BOOKED: usize = 100;
const SCANS_PER_SHIPMENT: i64 = 10;
const CLONES_PER_STATEMENT: usize = 1_000;
const CONCURRENCY: usize = 16;
const RUN_FOR: Duration = Duration::from_secs(10);
const STREAM_SAMPLES: usize = 200;

const COLUMNS: &str = "customer_id, service, status, reference, sender_name, sender_company, \
    sender_phone, sender_line1, sender_line2, sender_city, sender_postcode, sender_country, \
    sender_lat, sender_lon, recipient_name, recipient_company, recipient_phone, \
    recipient_line1, recipient_line2, recipient_city, recipient_postcode, recipient_country, \
    recipient_lat, recipient_lon, parcels, parcel_count, weight_g, insured, price_lines, \
    total, currency, promised_from, promised_to, search_text, created_at, updated_at";

fn clone_number(serial: u32) -> String {
    TrackingNumber::from_parts("BZ", serial, "CN")
        .expect("a serial below 10^8")
        .as_str()
        .to_string()
}

/// Copies the booked shipments under fresh numbers until there are `total`, then gives each
/// ten scans along its route.
async fn seed(db: &Db, total: u32) {
    let booked: Vec<i64> = sqlx::query_scalar("SELECT id FROM shipments ORDER BY id")
        .fetch_all(&db.pool)
        .await
        .unwrap();
    let copies = total.saturating_sub(booked.len() as u32);
    let started = Instant::now();
    let select: String = COLUMNS
        .split(", ")
        .map(|c| format!("s.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let mut serial = 0_u32;
    let mut statement = 0_usize;
    while serial < copies {
        let n = (copies - serial).min(CLONES_PER_STATEMENT as u32);
        let values: Vec<String> = (1..=n).map(|i| format!("(${i})")).collect();
        let sql = format!(
            "INSERT INTO shipments (tracking_number, {COLUMNS}) SELECT v.column1, {select} \
             FROM shipments s, (VALUES {}) v WHERE s.id = ${}",
            values.join(", "),
            n + 1
        );
        let mut q = sqlx::query(&sql);
        for i in 0..n {
            q = q.bind(clone_number(serial + i));
        }
        q.bind(booked[statement % booked.len()])
            .execute(&db.pool)
            .await
            .unwrap();
        serial += n;
        statement += 1;
        if serial.is_multiple_of(100_000) {
            println!(
                "  {serial} shipments copied ({:.0} s)",
                started.elapsed().as_secs_f64()
            );
        }
    }
    let (low, high): (i64, i64) = sqlx::query_as("SELECT MIN(id), MAX(id) FROM shipments")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    let steps: Vec<String> = (1..=SCANS_PER_SHIPMENT).map(|k| format!("({k})")).collect();
    let events_sql = format!(
        "INSERT INTO tracking_events (shipment_id, status, occurred_at, place, lat, lon, source, \
         created_at) SELECT s.id, CASE k.column1 WHEN 1 THEN 'picked_up' WHEN {SCANS_PER_SHIPMENT} \
         THEN 'out_for_delivery' ELSE 'in_transit' END, s.created_at + k.column1 * 3600000, \
         'Hub', s.sender_lat + (s.recipient_lat - s.sender_lat) * k.column1 / {SCANS_PER_SHIPMENT}.0, \
         s.sender_lon + (s.recipient_lon - s.sender_lon) * k.column1 / {SCANS_PER_SHIPMENT}.0, \
         'scan', s.created_at FROM shipments s, (VALUES {}) k WHERE s.id BETWEEN $1 AND $2",
        steps.join(", ")
    );
    let mut from = low;
    while from <= high {
        let to = from + 19_999;
        sqlx::query(&events_sql)
            .bind(from)
            .bind(to)
            .execute(&db.pool)
            .await
            .unwrap();
        from = to + 1;
        if (from - low) % 200_000 == 0 {
            println!(
                "  scans for {} shipments ({:.0} s)",
                from - low,
                started.elapsed().as_secs_f64()
            );
        }
    }
    sqlx::query(
        "UPDATE shipments SET status = 'out_for_delivery' WHERE tracking_number LIKE 'BZ%'",
    )
    .execute(&db.pool)
    .await
    .unwrap();
    let maintenance = match db.kind {
        app::platform::db::DbKind::Postgres => "VACUUM ANALYZE",
        app::platform::db::DbKind::Sqlite => "ANALYZE",
    };
    sqlx::query(maintenance).execute(&db.pool).await.unwrap();
    println!("  seeded in {:.0} s", started.elapsed().as_secs_f64());
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i].as_secs_f64() * 1000.0
}

/// `CONCURRENCY` clients asking for `urls` in turn for `RUN_FOR`.
async fn load(name: &str, urls: Arc<Vec<String>>) {
    let deadline = Instant::now() + RUN_FOR;
    let started = Instant::now();
    let tasks: Vec<_> = (0..CONCURRENCY)
        .map(|t| {
            let urls = urls.clone();
            tokio::spawn(async move {
                let client = reqwest::Client::new();
                let mut latencies = Vec::new();
                let mut errors = 0_usize;
                let mut i = t * 7_919;
                while Instant::now() < deadline {
                    let url = &urls[i % urls.len()];
                    i += 1;
                    let sent = Instant::now();
                    match client.get(url).send().await {
                        Ok(res) if res.status().is_success() => {
                            let _ = res.bytes().await;
                            latencies.push(sent.elapsed());
                        }
                        _ => errors += 1,
                    }
                }
                (latencies, errors)
            })
        })
        .collect();
    let mut all = Vec::new();
    let mut errors = 0;
    for t in tasks {
        let (l, e) = t.await.unwrap();
        all.extend(l);
        errors += e;
    }
    let took = started.elapsed().as_secs_f64();
    all.sort();
    println!(
        "{name:<34} {:>8.0} req/s   p50 {:>7.2} ms   p99 {:>7.2} ms   errors {errors}",
        all.len() as f64 / took,
        percentile(&all, 0.50),
        percentile(&all, 0.99),
    );
}

/// The time from posting a scan to its `data:` line on an open stream.
async fn stream_latency(base: &str, db: &Db) {
    let tn: String =
        sqlx::query_scalar("SELECT tracking_number FROM shipments ORDER BY id LIMIT 1")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    let carrier = app::tracking::carrier::create_token(
        db,
        "Bench courier",
        std::time::Duration::from_secs(3600),
    )
    .await
    .unwrap();
    let client = reqwest::Client::new();
    let mut stream = client
        .get(format!("{base}/api/v1/track/{tn}/stream"))
        .send()
        .await
        .unwrap();
    let (tx, mut arrivals) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok(Some(chunk)) = stream.chunk().await {
            for line in String::from_utf8_lossy(&chunk).lines() {
                if line.starts_with("data:") {
                    let _ = tx.send(Instant::now());
                }
            }
        }
    });
    let mut statuses = vec!["picked_up", "in_transit", "out_for_delivery"];
    while statuses.len() < STREAM_SAMPLES {
        statuses.push("delivery_failed");
        statuses.push("out_for_delivery");
    }
    let mut samples = Vec::with_capacity(statuses.len());
    for (i, status) in statuses.iter().enumerate() {
        let body = serde_json::json!({"events": [{
            "event_id": format!("bench-{i}"), "tracking_number": tn, "status": status,
            "time": jiff::Timestamp::now().to_string(),
        }]});
        let sent = Instant::now();
        let res = client
            .post(format!("{base}/api/v1/carrier/events"))
            .bearer_auth(&carrier)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success());
        let arrived = tokio::time::timeout(Duration::from_secs(10), arrivals.recv())
            .await
            .expect("the event arrives")
            .unwrap();
        samples.push(arrived.duration_since(sent));
    }
    samples.sort();
    println!(
        "{:<34} {:>8}         p50 {:>7.2} ms   p99 {:>7.2} ms   ({} events)",
        "carrier event -> open stream",
        "",
        percentile(&samples, 0.50),
        percentile(&samples, 0.99),
        samples.len()
    );
}

#[tokio::main]
async fn main() {
    let total: u32 = std::env::var("BENCH_SHIPMENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let url = database_url().await;
    let db = Db::connect(&url).await.expect("connect");
    println!("backend: {}", db.kind.as_str());
    let customer = bench_customer(&db).await;
    import::import(
        &db,
        customer,
        shipments_csv(BOOKED).as_bytes(),
        "bench",
        Locale::En,
    )
    .await
    .unwrap();
    seed(&db, total).await;
    let (shipments, events): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM shipments), (SELECT COUNT(*) FROM tracking_events)",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    println!("shipments {shipments}, tracking events {events}");

    let running = server::spawn(Settings {
        listen_addr: "127.0.0.1:0".parse().unwrap(),
        database_url: url,
        demo_data: false,
        // Copies share their originals' windows; the sweep would work through them meanwhile.
        delay_sweep: Duration::ZERO,
        ..Settings::default()
    })
    .await
    .expect("server starts");
    let base = format!("http://{}", running.addr);
    let bare = axum::Router::new().route("/bare", axum::routing::get(|| async { "ok" }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let bare_url = format!("http://{}/bare", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, bare).await });

    // Numbers spread over the whole table, in a fixed pseudo-random order.
    let copies = total.saturating_sub(BOOKED as u32).max(1);
    let numbers: Vec<String> = (0..10_000_u64)
        .map(|i| clone_number(((i * 2_654_435_761) % u64::from(copies)) as u32))
        .collect();
    let json: Vec<String> = numbers
        .iter()
        .map(|tn| format!("{base}/api/v1/track/{tn}"))
        .collect();
    let pages: Vec<String> = numbers
        .iter()
        .map(|tn| format!("{base}/track/{tn}"))
        .collect();
    println!(
        "{CONCURRENCY} concurrent clients, {} s each:",
        RUN_FOR.as_secs()
    );
    load("bare axum route", Arc::new(vec![bare_url])).await;
    load("GET /api/v1/track/{tn} (JSON)", Arc::new(json)).await;
    load("GET /track/{tn} (page, SSR)", Arc::new(pages)).await;
    stream_latency(&base, &db).await;
}
