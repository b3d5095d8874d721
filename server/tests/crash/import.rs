//! The import across a crash: one CSV file of `CRASH_IMPORT_ROWS` rows sent with an
//! `Idempotency-Key`; the server killed with SIGKILL once 30-60% of the rows are stored, started
//! again, and the same file sent again with the same key until an answer books every row. The
//! import books each row on its own under the key `import:<key>:<line>`, so every row must be
//! stored once, under the tracking number the answers gave it.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use app::orders::import::MAX_ROWS;
use app::orders::ImportResult;
use app::platform::Db;
use serde_json::Value;
use sqlx::Row;

use crate::load::{self, Answer, Target};
use crate::process::World;
use crate::{verify, Config, Rng, EXIT_SLACK, KILL_TEST_GRACE, ONE_AT_A_TIME};

const KEY: &str = "crash-import";
/// Longer than the server's own limit on a request (60 s, `access_log::REQUEST_TIMEOUT`), so
/// the server answers first.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(120);
/// The pause before sending again when rows wait for a claim that a cut-off request holds: it
/// lapses a minute after it was made (`idempotency::STALE_CLAIM_MS`).
const WAITING_PAUSE: Duration = Duration::from_secs(5);
/// How long the import may take in all: the claim a kill cut off, and the rows' pace.
const DEADLINE: Duration = Duration::from_secs(180);
const DEADLINE_PER_ROW: Duration = Duration::from_millis(60);
/// How often the test looks at the shipments stored.
const PROBE_EVERY: Duration = Duration::from_millis(25);

/// Row `i`'s reference, by which the database is checked.
fn reference(i: usize) -> String {
    format!("IMP-{i:05}")
}

/// Row `i`'s line in the file (the header is line 1).
fn line_of(i: usize) -> u64 {
    i as u64 + 2
}

/// Row `i`'s cell in `column`: from Shanghai to one of three served cities, express or
/// standard, as the load's bookings. A column this test does not know stays empty.
fn cell(column: &str, i: usize) -> String {
    const CITIES: [(&str, &str); 3] = [
        ("Beijing", "100080"),
        ("Guangzhou", "510620"),
        ("Chengdu", "610041"),
    ];
    let (city, postcode) = CITIES[i % CITIES.len()];
    match column {
        "reference" => reference(i),
        "service" => ["express", "standard"][i % 2].to_string(),
        "sender_name" => "Alice Chen".into(),
        "sender_company" => "Acme".into(),
        "sender_phone" => "+86 21 5555 0000".into(),
        "sender_line1" => "1 Factory Road".into(),
        "sender_city" => "Shanghai".into(),
        "sender_postcode" => "200000".into(),
        "sender_country" | "recipient_country" => "CN".into(),
        "recipient_name" => format!("Recipient {i}"),
        "recipient_phone" => "13800138000".into(),
        "recipient_line1" => format!("{} Xinhua Road", 1 + i % 500),
        "recipient_city" => city.into(),
        "recipient_postcode" => postcode.into(),
        "weight_kg" => format!("{}.{}", 1 + i % 20, i % 10),
        "length_cm" => (20 + i % 30).to_string(),
        "width_cm" => (15 + i % 20).to_string(),
        "height_cm" => (5 + i % 15).to_string(),
        "contents" => "Goods".into(),
        "insure" => "no".into(),
        _ => String::new(),
    }
}

/// The file: the columns of the template the server hands out, then `rows` rows.
async fn csv(base: &str, rows: usize) -> String {
    let template = load::client()
        .get(format!("{base}/api/v1/shipments/import/template.csv"))
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .expect("the import template")
        .text()
        .await
        .expect("the template's text");
    let header = template
        .trim_start_matches('\u{feff}')
        .lines()
        .next()
        .expect("the template's header")
        .to_string();
    let columns: Vec<&str> = header.split(',').map(str::trim).collect();
    let mut file = header.clone();
    for i in 0..rows {
        file.push('\n');
        let cells: Vec<String> = columns.iter().map(|c| cell(c, i)).collect();
        file.push_str(&cells.join(","));
    }
    file
}

/// What the import's client sent and was answered.
#[derive(Default)]
struct Sent {
    requests: usize,
    /// Requests without an answer: cut off by the kill, or refused while the server restarted.
    lost: usize,
    /// Requests the server's own time limit answered 503 (it stops the import where it is).
    timed_out: usize,
    /// Answers that left rows waiting for a claim a cut-off request holds.
    waiting: usize,
    /// The most rows one answer left waiting.
    most_waiting: usize,
    /// Each line's tracking number, the same in every answer.
    numbers: BTreeMap<u64, String>,
    /// The answer that booked every row.
    last: Option<ImportResult>,
    problems: Vec<String>,
}

impl Sent {
    /// Takes in one answer; true once it has booked every row, or something is wrong.
    fn read(&mut self, result: ImportResult, rows: usize) -> bool {
        if result.rows.len() != rows {
            self.problems.push(format!(
                "an answer of {} rows to a file of {rows}",
                result.rows.len()
            ));
        }
        let mut waiting = 0;
        for row in &result.rows {
            match &row.tracking_number {
                Some(tn) => match self.numbers.get(&row.line) {
                    Some(before) if before != tn => self.problems.push(format!(
                        "line {} was answered {before}, then {tn}",
                        row.line
                    )),
                    Some(_) => {}
                    None => {
                        self.numbers.insert(row.line, tn.clone());
                    }
                },
                None if !row.errors.is_empty()
                    && row.errors.iter().all(|e| e.code == "request_in_progress") =>
                {
                    waiting += 1;
                }
                None => self
                    .problems
                    .push(format!("line {} not booked: {:?}", row.line, row.errors)),
            }
        }
        self.most_waiting = self.most_waiting.max(waiting);
        if waiting > 0 {
            self.waiting += 1;
        }
        let done = waiting == 0 && result.failed == 0 && result.booked == rows;
        if done {
            self.last = Some(result);
        }
        done || !self.problems.is_empty()
    }
}

impl fmt::Display for Sent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} requests: {} without an answer, {} stopped by the server's time limit, {} \
             answered with rows waiting for a cut-off claim (at most {} at once)",
            self.requests, self.lost, self.timed_out, self.waiting, self.most_waiting
        )
    }
}

/// Sends the file with its key until an answer books every row (or `deadline` passes): again
/// at once after no answer or the server's time limit, after a pause while rows wait.
async fn send_until_booked(
    target: Arc<Target>,
    shipper: String,
    file: String,
    rows: usize,
    deadline: Duration,
) -> Sent {
    let http = load::client_with_timeout(ANSWER_TIMEOUT);
    let started = Instant::now();
    let mut sent = Sent::default();
    while started.elapsed() < deadline {
        sent.requests += 1;
        let req = http
            .post(target.url("/api/v1/shipments/import"))
            .bearer_auth(&shipper)
            .header("Idempotency-Key", KEY)
            .header("Content-Type", "text/csv")
            .body(file.clone());
        match load::send(req).await {
            Answer::Lost { .. } => {
                sent.lost += 1;
                tokio::time::sleep(load::RETRY_PAUSE).await;
            }
            // The time limit's bare 503.
            Answer::Got {
                status: 503,
                body: Value::Null,
                ..
            } => sent.timed_out += 1,
            Answer::Got {
                status: 200, body, ..
            } => match serde_json::from_value::<ImportResult>(body) {
                Ok(result) => {
                    if sent.read(result, rows) {
                        return sent;
                    }
                    tokio::time::sleep(WAITING_PAUSE).await;
                }
                Err(e) => {
                    sent.problems.push(format!("an import answer unread: {e}"));
                    return sent;
                }
            },
            Answer::Got { status, body, .. } => {
                sent.problems
                    .push(format!("the import answered {status} {body}"));
                return sent;
            }
        }
    }
    sent.problems
        .push(format!("no answer booked every row within {deadline:?}"));
    sent
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_killed_half_way_and_sent_again_with_its_key_books_every_row_once() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let config = Config::from_env();
    let rows = config.import_rows;
    assert!(
        (1..=MAX_ROWS).contains(&rows),
        "CRASH_IMPORT_ROWS={rows}: an import takes 1 to {MAX_ROWS} rows"
    );
    let mut rng = Rng::new(config.seed);
    let mut world = World::create("import", KILL_TEST_GRACE).await;
    println!(
        "import crash test on {}: {rows} rows (CRASH_IMPORT_ROWS), seed {} (CRASH_SEED); logs \
         in {}",
        world.backend,
        config.seed,
        world.dir.display()
    );
    let carrier = world.create_operators().await;
    let server = world.start().await;
    let fixtures = load::Fixtures::create(&server.base, carrier).await;
    let file = csv(&server.base, rows).await;
    let target = Arc::new(Target::new(&server.base));
    let deadline = DEADLINE + DEADLINE_PER_ROW * u32::try_from(rows).unwrap_or(u32::MAX);
    let client = tokio::spawn(send_until_booked(
        target.clone(),
        fixtures.shipper.clone(),
        file,
        rows,
        deadline,
    ));

    // Killed once 30-60% of the rows are stored: mid-row, as a row takes most of the time.
    let percent = rng.between(30, 60);
    let threshold = i64::try_from(rows as u64 * percent / 100)
        .unwrap_or(i64::MAX)
        .max(1);
    let mut probe = world.probe().await;
    let started = Instant::now();
    let stored_at_kill = loop {
        let stored = probe.count("SELECT COUNT(*) FROM shipments").await;
        if stored >= threshold {
            break stored;
        }
        assert!(
            !client.is_finished(),
            "the import's client stopped before {threshold} rows were stored"
        );
        assert!(
            started.elapsed() < deadline,
            "{stored} of {rows} rows stored after {deadline:?}"
        );
        tokio::time::sleep(PROBE_EVERY).await;
    };
    let before_kill = started.elapsed();
    server.kill().await;
    let survived = probe.count("SELECT COUNT(*) FROM shipments").await;
    let server = world.start().await;
    target.set(&server.base);
    let sent = tokio::time::timeout(deadline + ANSWER_TIMEOUT, client)
        .await
        .expect("the import's client ends by its deadline")
        .expect("the import's client panicked");
    let pace = stored_at_kill as f64 / before_kill.as_secs_f64().max(0.001);
    println!(
        "killed at {stored_at_kill} rows stored ({percent}% wanted) {before_kill:?} after the \
         first request ({pace:.0} rows/s: {rows} rows would take {:.0} s); {survived} stored \
         after the kill; {sent}; all booked {:?} after the first request",
        rows as f64 / pace,
        started.elapsed()
    );
    let (status, took) = server.terminate(KILL_TEST_GRACE + EXIT_SLACK).await;
    assert!(
        status.success(),
        "the last run stopped with {status} after {took:?}"
    );

    let mut problems = sent.problems.clone();
    if survived < stored_at_kill {
        problems.push(format!(
            "{stored_at_kill} rows were stored before the kill, {survived} after it"
        ));
    }
    // One row is under way when a request is cut off (by the kill or the time limit); only
    // those wait.
    if sent.most_waiting > 1 + sent.timed_out {
        problems.push(format!(
            "an answer left {} rows waiting; 1 kill and {} time-outs cut requests off",
            sent.most_waiting, sent.timed_out
        ));
    }
    match &sent.last {
        Some(last) => {
            let lines: Vec<u64> = last.rows.iter().map(|r| r.line).collect();
            let wanted: Vec<u64> = (0..rows).map(line_of).collect();
            if lines != wanted || last.rows.iter().any(|r| r.tracking_number.is_none()) {
                problems.push(format!(
                    "the last answer (booked {}, failed {}) does not book lines 2 to {} in order",
                    last.booked,
                    last.failed,
                    rows + 1
                ));
            }
        }
        None => problems.push("no answer booked every row".into()),
    }
    let verified = verify_import(&world.database_url, rows, &sent.numbers, &mut problems).await;
    println!("{verified}");
    world.print_log_errors();
    verify::assert_none(&problems, config.seed);
}

/// Every row stored once, under the number the answers gave its line, with the row's key
/// naming it; nothing else stored; each shipment with one `created` event and one
/// `booking_confirmed` notification (a row cut off left nothing behind). Returns what was
/// checked.
async fn verify_import(
    database_url: &str,
    rows: usize,
    numbers: &BTreeMap<u64, String>,
    problems: &mut Vec<String>,
) -> String {
    let db = Db::connect(database_url).await.expect("open the database");
    let mut by_reference: HashMap<String, Vec<(i64, String)>> = HashMap::new();
    for r in sqlx::query("SELECT id, reference, tracking_number FROM shipments")
        .fetch_all(&db.pool)
        .await
        .expect("read the shipments")
    {
        by_reference
            .entry(r.get::<Option<String>, _>("reference").unwrap_or_default())
            .or_default()
            .push((r.get("id"), r.get("tracking_number")));
    }
    let mut keys: HashMap<String, Option<i64>> = HashMap::new();
    for r in sqlx::query("SELECT idempotency_key, shipment_id FROM idempotency_keys")
        .fetch_all(&db.pool)
        .await
        .expect("read the idempotency keys")
    {
        keys.insert(r.get("idempotency_key"), r.get("shipment_id"));
    }
    let events = per_shipment(
        &db,
        "SELECT shipment_id, COUNT(*) FROM tracking_events WHERE status = 'created' \
         GROUP BY shipment_id",
    )
    .await;
    let confirmed = per_shipment(
        &db,
        "SELECT shipment_id, COUNT(*) FROM notifications WHERE kind = 'booking_confirmed' \
         GROUP BY shipment_id",
    )
    .await;
    db.pool.close().await;

    let mut stored = 0;
    for i in 0..rows {
        let line = line_of(i);
        let found = by_reference.remove(&reference(i)).unwrap_or_default();
        let [(id, tn)] = found.as_slice() else {
            problems.push(format!(
                "line {line} ({}) is stored {} times: {found:?}",
                reference(i),
                found.len()
            ));
            continue;
        };
        stored += 1;
        if numbers.get(&line) != Some(tn) {
            problems.push(format!(
                "line {line} is stored as {tn}, answered as {:?}",
                numbers.get(&line)
            ));
        }
        let key = format!("import:{KEY}:{line}");
        match keys.remove(&key) {
            Some(Some(named)) if named == *id => {}
            other => problems.push(format!(
                "line {line}'s key {key} names {other:?}, not shipment {id}"
            )),
        }
        for (what, counts) in [("created events", &events), ("confirmations", &confirmed)] {
            let n = counts.get(id).copied().unwrap_or(0);
            if n != 1 {
                problems.push(format!("line {line} ({tn}) has {n} {what}"));
            }
        }
    }
    for (reference, found) in by_reference {
        problems.push(format!(
            "{} shipments with reference {reference:?} that no row asked for",
            found.len()
        ));
    }
    for (key, shipment) in keys {
        problems.push(format!("key {key} (shipment {shipment:?}) that no row has"));
    }
    format!(
        "verified: {stored} of {rows} rows stored once under their answered numbers and keys, \
         each with one created event and one confirmation"
    )
}

/// `sql`'s counts (`SELECT shipment_id, COUNT(*) ... GROUP BY shipment_id`) by shipment.
async fn per_shipment(db: &Db, sql: &str) -> HashMap<i64, i64> {
    let mut counts = HashMap::new();
    for r in sqlx::query(sql)
        .fetch_all(&db.pool)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
    {
        if let Some(id) = r.get::<Option<i64>, _>(0) {
            counts.insert(id, r.get::<i64, _>(1));
        }
    }
    counts
}
