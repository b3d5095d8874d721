//! What the database must hold after the load, read directly and checked against the ledger
//! of acknowledged writes. Every rule broken is one line of the returned problems.

use std::collections::{HashMap, HashSet};
use std::fmt;

use app::orders::ShipmentStatus;
use app::platform::Db;
use sqlx::Row;

use crate::load::{Ledger, Outcome};

/// How much was checked.
#[derive(Default)]
pub struct Verified {
    keys: usize,
    shipments: usize,
    windows: usize,
    histories: usize,
    events: usize,
    scans: usize,
    complaints: usize,
    messages: usize,
}

impl fmt::Display for Verified {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "verified: {} booking keys against {} shipments, {} delivery windows, {} tracking \
             histories ({} events), {} acknowledged scans, {} complaints, {} messages",
            self.keys,
            self.shipments,
            self.windows,
            self.histories,
            self.events,
            self.scans,
            self.complaints,
            self.messages
        )
    }
}

struct Shipment {
    id: i64,
    reference: Option<String>,
    tracking_number: String,
    status: String,
    window: Option<i64>,
}

pub async fn verify(database_url: &str, ledger: &Ledger) -> (Verified, Vec<String>) {
    let db = Db::connect(database_url).await.expect("open the database");
    let shipments: Vec<Shipment> = sqlx::query(
        "SELECT id, reference, tracking_number, status, delivery_slot_id FROM shipments",
    )
    .fetch_all(&db.pool)
    .await
    .expect("read the shipments")
    .iter()
    .map(|r| Shipment {
        id: r.get("id"),
        reference: r.get("reference"),
        tracking_number: r.get("tracking_number"),
        status: r.get("status"),
        window: r.get("delivery_slot_id"),
    })
    .collect();
    let mut verified = Verified {
        keys: ledger.bookings.len(),
        shipments: shipments.len(),
        scans: ledger.scans.len(),
        complaints: ledger.complaints.len(),
        messages: ledger.messages.len(),
        ..Verified::default()
    };
    let mut problems = Vec::new();
    bookings(&db, ledger, &shipments, &mut problems).await;
    verified.windows = windows(&db, ledger, &shipments, &mut problems).await;
    (verified.histories, verified.events) = histories(&db, ledger, &shipments, &mut problems).await;
    complaints(&db, ledger, &mut problems).await;
    db.pool.close().await;
    (verified, problems)
}

/// One shipment per key: the acknowledged one under its number, none for a refused key, at
/// most one for a key in doubt, none that no client booked; each shipment has its key.
async fn bookings(db: &Db, ledger: &Ledger, shipments: &[Shipment], problems: &mut Vec<String>) {
    let mut by_reference: HashMap<&str, Vec<&Shipment>> = HashMap::new();
    for s in shipments {
        by_reference
            .entry(s.reference.as_deref().unwrap_or(""))
            .or_default()
            .push(s);
    }
    let numbers = |found: &[&Shipment]| -> Vec<String> {
        found.iter().map(|s| s.tracking_number.clone()).collect()
    };
    for b in &ledger.bookings {
        let found = by_reference
            .get(b.key.as_str())
            .map_or(&[][..], Vec::as_slice);
        match &b.outcome {
            Outcome::Booked(tn) => {
                if found.len() != 1 || found[0].tracking_number != *tn {
                    problems.push(format!(
                        "booking {} acknowledged as {tn} is stored as {:?}",
                        b.key,
                        numbers(found)
                    ));
                }
            }
            Outcome::Refused(code) if b.lost_attempts == 0 => {
                if !found.is_empty() {
                    problems.push(format!(
                        "booking {} refused ({code}) is stored as {:?}",
                        b.key,
                        numbers(found)
                    ));
                }
            }
            _ => {
                if found.len() > 1 {
                    problems.push(format!(
                        "booking {} (no answer) is stored {} times: {:?}",
                        b.key,
                        found.len(),
                        numbers(found)
                    ));
                }
            }
        }
    }
    let keys: HashSet<&str> = ledger.bookings.iter().map(|b| b.key.as_str()).collect();
    for (reference, found) in &by_reference {
        if !keys.contains(reference) {
            problems.push(format!(
                "{} shipments with reference {reference:?} that no client booked",
                found.len()
            ));
        }
    }

    let by_id: HashMap<i64, &Shipment> = shipments.iter().map(|s| (s.id, s)).collect();
    let mut keys_of: HashMap<i64, usize> = HashMap::new();
    let rows = sqlx::query("SELECT idempotency_key, shipment_id FROM idempotency_keys")
        .fetch_all(&db.pool)
        .await
        .expect("read the idempotency keys");
    for row in &rows {
        let key: String = row.get("idempotency_key");
        let Some(id) = row.get::<Option<i64>, _>("shipment_id") else {
            continue;
        };
        *keys_of.entry(id).or_default() += 1;
        let reference = by_id.get(&id).map(|s| s.reference.as_deref());
        if reference != Some(Some(key.as_str())) {
            problems.push(format!(
                "key {key} names shipment {id}, whose reference is {reference:?}"
            ));
        }
    }
    for s in shipments {
        let keys = keys_of.get(&s.id).copied().unwrap_or(0);
        if keys != 1 {
            problems.push(format!(
                "shipment {} is named by {keys} idempotency keys",
                s.tracking_number
            ));
        }
    }
}

/// No window holds more than its capacity, its counter is the number of shipments holding it,
/// and every acknowledged shipment holds the window it was last acknowledged in. Returns how
/// many windows there are.
async fn windows(
    db: &Db,
    ledger: &Ledger,
    shipments: &[Shipment],
    problems: &mut Vec<String>,
) -> usize {
    let mut holding: HashMap<i64, i64> = HashMap::new();
    for window in shipments.iter().filter_map(|s| s.window) {
        *holding.entry(window).or_default() += 1;
    }
    let rows = sqlx::query("SELECT id, capacity, booked FROM slots")
        .fetch_all(&db.pool)
        .await
        .expect("read the delivery windows");
    for row in &rows {
        let (id, capacity, booked): (i64, i64, i64) =
            (row.get("id"), row.get("capacity"), row.get("booked"));
        let held = holding.get(&id).copied().unwrap_or(0);
        if held > capacity || booked > capacity || held != booked {
            problems.push(format!(
                "window {id}: capacity {capacity}, counted {booked}, held by {held} shipments"
            ));
        }
    }
    let by_number: HashMap<&str, &Shipment> = shipments
        .iter()
        .map(|s| (s.tracking_number.as_str(), s))
        .collect();
    for (tn, possible) in &ledger.windows {
        match by_number.get(tn.as_str()) {
            Some(s) if possible.contains(&s.window) => {}
            Some(s) => problems.push(format!(
                "{tn} holds window {:?}; acknowledged: {possible:?}",
                s.window
            )),
            None => problems.push(format!("{tn} was acknowledged but is not stored")),
        }
    }
    rows.len()
}

/// Each parcel's history is a legal sequence from `created` (a scan only where the status
/// may follow; a same-status event only from the shipper, a window change) ending in the
/// parcel's status; every acknowledged scan is stored once as sent; each parcel has every
/// acknowledged scan and at most the one in doubt beyond. Returns histories and events read.
async fn histories(
    db: &Db,
    ledger: &Ledger,
    shipments: &[Shipment],
    problems: &mut Vec<String>,
) -> (usize, usize) {
    let by_id: HashMap<i64, &Shipment> = shipments.iter().map(|s| (s.id, s)).collect();
    let number = |id: i64| by_id.get(&id).map_or("?", |s| s.tracking_number.as_str());
    let rows = sqlx::query(
        "SELECT shipment_id, status, source, event_id FROM tracking_events \
         ORDER BY shipment_id, id",
    )
    .fetch_all(&db.pool)
    .await
    .expect("read the tracking events");
    let mut last: HashMap<i64, ShipmentStatus> = HashMap::new();
    let mut stored_scans: HashMap<String, Vec<(i64, String)>> = HashMap::new();
    let mut scans_of: HashMap<i64, usize> = HashMap::new();
    for row in &rows {
        let id: i64 = row.get("shipment_id");
        let status: String = row.get("status");
        let source: String = row.get("source");
        if let Some(event_id) = row.get::<Option<String>, _>("event_id") {
            stored_scans
                .entry(event_id)
                .or_default()
                .push((id, status.clone()));
            *scans_of.entry(id).or_default() += 1;
        }
        let Some(next) = ShipmentStatus::parse(&status) else {
            problems.push(format!("{}: unknown status {status:?}", number(id)));
            continue;
        };
        let previous = last.insert(id, next);
        let legal = match previous {
            None => next == ShipmentStatus::Created && source == "system",
            Some(prev) => prev.can_become(next) || (prev == next && source != "scan"),
        };
        if !legal {
            problems.push(format!(
                "{}: {} then {status} ({source}) is not a legal step",
                number(id),
                previous.map_or("nothing", ShipmentStatus::as_str)
            ));
        }
    }
    for s in shipments {
        let ends = last.get(&s.id).map(|st| st.as_str());
        if ends != Some(s.status.as_str()) {
            problems.push(format!(
                "{}: status {} but its history ends with {ends:?}",
                s.tracking_number, s.status
            ));
        }
    }

    for scan in &ledger.scans {
        let found = stored_scans
            .get(&scan.event_id)
            .map_or(&[][..], Vec::as_slice);
        let as_sent = found.len() == 1
            && number(found[0].0) == scan.tracking_number
            && found[0].1 == scan.status;
        if !as_sent {
            problems.push(format!(
                "scan {} ({} of {}) was acknowledged; stored: {found:?}",
                scan.event_id, scan.status, scan.tracking_number
            ));
        }
    }
    let id_of: HashMap<&str, i64> = shipments
        .iter()
        .map(|s| (s.tracking_number.as_str(), s.id))
        .collect();
    for (tn, route) in &ledger.routes {
        let stored = id_of
            .get(tn.as_str())
            .and_then(|id| scans_of.get(id))
            .copied()
            .unwrap_or(0);
        let most = route.acknowledged + usize::from(route.in_doubt);
        if !(route.acknowledged..=most).contains(&stored) {
            problems.push(format!(
                "{tn}: {stored} scans stored; {} acknowledged of its route of {}{}",
                route.acknowledged,
                route.length,
                if route.in_doubt { ", one in doubt" } else { "" }
            ));
        }
    }
    (last.len(), rows.len())
}

/// Every acknowledged complaint and message is stored once, in its complaint; one without an
/// answer at most once; nothing that no client sent.
async fn complaints(db: &Db, ledger: &Ledger, problems: &mut Vec<String>) {
    let mut filed: HashMap<String, Vec<i64>> = HashMap::new();
    for row in sqlx::query("SELECT id, description FROM complaints")
        .fetch_all(&db.pool)
        .await
        .expect("read the complaints")
    {
        filed
            .entry(row.get("description"))
            .or_default()
            .push(row.get("id"));
    }
    for c in &ledger.complaints {
        let found = filed.remove(&c.description).unwrap_or_default();
        let right = match c.id {
            Some(id) => found == [id],
            None => found.len() <= 1,
        };
        if !right {
            problems.push(format!(
                "complaint {:?} (acknowledged as {:?}) is stored as {found:?}",
                c.description, c.id
            ));
        }
    }
    for (description, ids) in filed {
        problems.push(format!(
            "complaints {ids:?} ({description:?}) that no client filed"
        ));
    }

    let mut written: HashMap<String, Vec<i64>> = HashMap::new();
    for row in
        sqlx::query("SELECT complaint_id, body FROM complaint_messages WHERE author = 'customer'")
            .fetch_all(&db.pool)
            .await
            .expect("read the complaint messages")
    {
        written
            .entry(row.get("body"))
            .or_default()
            .push(row.get("complaint_id"));
    }
    for m in &ledger.messages {
        let found = written.remove(&m.body).unwrap_or_default();
        let right = if m.acknowledged {
            found == [m.complaint_id]
        } else {
            found.len() <= 1 && found.iter().all(|&id| id == m.complaint_id)
        };
        if !right {
            problems.push(format!(
                "message {:?} to complaint {} (acknowledged: {}) is stored in {found:?}",
                m.body, m.complaint_id, m.acknowledged
            ));
        }
    }
    // What is left: each complaint's first message (its description), and strays.
    let descriptions: HashSet<&str> = ledger
        .complaints
        .iter()
        .map(|c| c.description.as_str())
        .collect();
    for (body, ids) in written {
        if !descriptions.contains(body.as_str()) {
            problems.push(format!(
                "messages {body:?} in complaints {ids:?} that no client wrote"
            ));
        }
    }
}

/// Shows every problem and fails when there is one.
pub fn assert_none(problems: &[String], seed: u64) {
    for problem in problems.iter().take(40) {
        println!("PROBLEM: {problem}");
    }
    assert!(
        problems.is_empty(),
        "{} problems (CRASH_SEED={seed} repeats the kill moments); the first: {}",
        problems.len(),
        problems[0]
    );
}
