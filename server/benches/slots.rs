//! Prints how many places per second one hot delivery window hands out when many requests
//! want it at once: the atomic take the booking and rescheduling paths use. Not a test.
//!
//! `cargo bench -p server --bench slots` (SQLite), or with
//! `BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/parcelport_bench` on PostgreSQL.

use std::time::Instant;

use app::platform::now_ms;
use app::slots::service::{for_address, save, take};
use app::slots::{SlotTemplateInput, WindowInput};
use common::database;

mod common;

const TAKES: usize = 4_000;
const CONCURRENCY: usize = 16;

#[tokio::main]
async fn main() {
    let db = database().await;
    println!("backend: {}", db.kind.as_str());
    save(
        &db,
        None,
        &SlotTemplateInput {
            area: "beijing".into(),
            name: "Beijing".into(),
            country: "CN".into(),
            time_zone: "Asia/Shanghai".into(),
            cities: vec!["Beijing".into()],
            postcode_prefixes: vec!["10".into()],
            weekdays: (1..=7).collect(),
            windows: vec![WindowInput {
                start: "09:00".into(),
                end: "11:00".into(),
            }],
            capacity: 10_000,
            cutoff_days_before: 1,
            cutoff_time: "18:00".into(),
            days_ahead: 14,
            holidays: vec![],
            pickup_points: vec![],
        },
    )
    .await
    .expect("template");
    let slots = for_address(&db, "CN", "Beijing", "100080", "", 14)
        .await
        .expect("slots");
    let hot = slots
        .slots
        .iter()
        .rev()
        .find(|s| s.bookable)
        .expect("a window")
        .id;

    let started = Instant::now();
    let tasks: Vec<_> = (0..CONCURRENCY)
        .map(|_| {
            let db = db.clone();
            tokio::spawn(async move {
                let mut refused = 0;
                for _ in 0..TAKES / CONCURRENCY {
                    let mut tx = db.pool.begin().await.expect("begin");
                    match take(&mut tx, hot, now_ms(), "slot_id").await {
                        Ok(_) => tx.commit().await.expect("commit"),
                        Err(_) => refused += 1,
                    }
                }
                refused
            })
        })
        .collect();
    let mut refused = 0;
    for t in tasks {
        refused += t.await.expect("task");
    }
    let elapsed = started.elapsed();
    let booked: i64 = sqlx::query_scalar("SELECT booked FROM slots WHERE id = $1")
        .bind(hot)
        .fetch_one(&db.pool)
        .await
        .expect("count");
    println!(
        "one hot window, {CONCURRENCY} concurrent requests: {TAKES} takes in {:.2} s = {:.0} bookings/s \
         (booked {booked}, refused {refused})",
        elapsed.as_secs_f64(),
        TAKES as f64 / elapsed.as_secs_f64()
    );
}
