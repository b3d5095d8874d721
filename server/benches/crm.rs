//! Prints how long the care team's CRM reads take beside the budgets: every KPI card for
//! 30 and 365 days with the period before (500 ms each), a drill-down page (50 ms), a customer
//! 360's reads (50 ms), and recomputing every customer's tier (60 s). The data: `BENCH_SHIPMENTS`
//! shipments (default 1,000,000) of ten scans each (10,000,000 events), `BENCH_CUSTOMERS`
//! customers (100,000) sharing them unevenly, `BENCH_COMPLAINTS` complaints (50,000) and
//! `BENCH_RATINGS` ratings (200,000); smaller numbers make a quick run. Not a test: it prints
//! figures.
//!
//! The seeding writes rows by SQL, not through the events that keep the daily roll-ups, so the
//! roll-ups are rebuilt once (and timed) before the reads.
//!
//! `cargo bench -p server --bench crm` (SQLite), or with
//! `BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/parcelport_bench` on PostgreSQL.

use std::time::{Duration, Instant};

use app::crm::kpi_service;
use app::crm::kpis::{KpiId, KpiQuery};
use app::crm::segments;
use app::domain::TrackingNumber;
use app::i18n::Locale;
use app::kpi_rollup;
use app::orders::import;
use app::platform::{now_ms, Db};
use common::{bench_customer, database_url, shipments_csv};

mod common;

/// Shipments booked through the import; the rest are copies of them under new numbers.
const BOOKED: usize = 100;
const SCANS_PER_SHIPMENT: i64 = 10;
/// The scan at which a shipment with an exception was delayed.
const DELAYED_SCAN: i64 = 2;
const CLONES_PER_STATEMENT: usize = 1_000;
const REPS: usize = 7;
const TZ: &str = "Asia/Shanghai";
const DAY_MS: i64 = 86_400_000;
const HOUR_MS: i64 = 3_600_000;
/// A pseudo-random number per shipment row, the same on both backends.
const HASH: &str = "((s.id * 48271) % 2147483647)";
/// What a copy takes from its original; the rest (customer, times, journey facts, total) it
/// gets from the bench.
/// The tier a copy was booked under: all five, so the roll-ups hold every key they can.
const BOOKED_TIER: &str = "CASE v.column2 % 5 WHEN 0 THEN 'vip' WHEN 1 THEN 'key' \
    WHEN 2 THEN 'regular' WHEN 3 THEN 'at_risk' ELSE 'new' END";
const COPIED: &str = "service, reference, sender_name, sender_company, sender_phone, \
    sender_line1, sender_line2, sender_city, sender_postcode, sender_country, sender_lat, \
    sender_lon, recipient_name, recipient_company, recipient_phone, recipient_line1, \
    recipient_line2, recipient_city, recipient_postcode, recipient_country, recipient_lat, \
    recipient_lon, parcels, parcel_count, weight_g, insured, price_lines, currency, \
    promised_from, promised_to, search_text";

fn env_size(var: &str, default: u32) -> u32 {
    std::env::var(var)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn clone_number(serial: u32) -> String {
    TrackingNumber::from_parts("BZ", serial, "CN")
        .expect("a serial below 10^8")
        .as_str()
        .to_string()
}

/// splitmix64: the same data on every run and backend.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let z = (self.0 ^ (self.0 >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        let z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: i64) -> i64 {
        (self.next_u64() % n.max(1) as u64) as i64
    }
    /// 1 with the chance `per_mille` / 1000, else 0.
    fn flag(&mut self, per_mille: i64) -> i64 {
        i64::from(self.below(1_000) < per_mille)
    }
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1_u64 << 53) as f64
    }
}

/// A copy's own columns: customer, created, delivered (0: not yet), on time, exception, damaged,
/// total. Customers are skewed (u³: a few ship thousands, most a handful), and the customer's id
/// picks its story: ending in 7 it stopped shipping 100 days ago (at risk once it is worth
/// keeping), in 9 it began within 80 days (new), in 3 its ratings are detractors (see `seed`).
fn journey(rng: &mut Rng, customers: &[i64], now: i64) -> String {
    let u = rng.unit();
    let customer =
        customers[((u * u * u * customers.len() as f64) as usize).min(customers.len() - 1)];
    let (oldest, newest) = match customer % 10 {
        7 => (400, 100),
        9 => (80, 0),
        _ => (400, 0),
    };
    let created = now - newest * DAY_MS - rng.below((oldest - newest) * DAY_MS);
    let delivered = created + DAY_MS + rng.below(4 * DAY_MS);
    let delivered = if rng.flag(900) == 1 && delivered < now - DAY_MS {
        delivered
    } else {
        0
    };
    let (on_time, exception, damaged) = (rng.flag(920), rng.flag(50), rng.flag(10));
    let total = 1_500 + 100 * rng.below(50);
    format!("{customer}, {created}, {delivered}, {on_time}, {exception}, {damaged}, {total}")
}

async fn run(db: &Db, sql: &str, args: &[i64]) -> u64 {
    let mut q = sqlx::query(sql);
    for a in args {
        q = q.bind(*a);
    }
    q.execute(&db.pool).await.unwrap().rows_affected()
}

/// Seeds the customers, shipments copied from the booked ones, their scans, complaints and
/// ratings; returns the customers' ids.
async fn seed(db: &Db, owner: i64, sizes: [u32; 4], now: i64) -> Vec<i64> {
    let [total, customers, complaints, ratings] = sizes;
    let started = Instant::now();
    let lap = |what: &str| println!("  {what} ({:.0} s)", started.elapsed().as_secs_f64());
    run(
        db,
        "WITH RECURSIVE n(i) AS (SELECT CAST(1 AS BIGINT) UNION ALL SELECT i + 1 FROM n \
         WHERE i < $1) INSERT INTO customers (name, company, industry, created_at) \
         SELECT 'Customer ' || i, 'Bench Co ' || i, CASE i % 4 WHEN 0 THEN 'manufacturing' \
         WHEN 1 THEN 'retail' WHEN 2 THEN 'ecommerce' ELSE 'other' END, $2 FROM n",
        &[i64::from(customers.max(1)), now - 400 * DAY_MS],
    )
    .await;
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM customers WHERE id > $1 ORDER BY id")
        .bind(owner)
        .fetch_all(&db.pool)
        .await
        .unwrap();
    lap(&format!("{} customers", ids.len()));

    let booked: Vec<i64> = sqlx::query_scalar("SELECT id FROM shipments ORDER BY id")
        .fetch_all(&db.pool)
        .await
        .unwrap();
    let copies = total.saturating_sub(booked.len() as u32);
    let copied: Vec<String> = COPIED.split(", ").map(|c| format!("s.{c}")).collect();
    let mut rng = Rng(2026);
    let (mut serial, mut statement) = (0_u32, 0_usize);
    while serial < copies {
        let n = (copies - serial).min(CLONES_PER_STATEMENT as u32);
        let values: Vec<String> = (1..=n)
            .map(|i| format!("(${i}, {})", journey(&mut rng, &ids, now)))
            .collect();
        let sql = format!(
            "INSERT INTO shipments (tracking_number, customer_id, created_at, updated_at, \
             delivered_at, delivered_on_time, status, had_exception, last_exception_at, \
             damaged, total, tier, industry, {COPIED}) \
             SELECT v.column1, v.column2, v.column3, v.column3, NULLIF(v.column4, 0), \
             CASE WHEN v.column4 = 0 THEN NULL ELSE v.column5 END, \
             CASE WHEN v.column4 = 0 THEN 'in_transit' ELSE 'delivered' END, \
             v.column6, CASE WHEN v.column6 = 1 THEN v.column3 + {DELAYED_SCAN} * {HOUR_MS} END, \
             v.column7, v.column8, {BOOKED_TIER}, \
             (SELECT c.industry FROM customers c WHERE c.id = v.column2), {} \
             FROM shipments s, (VALUES {}) v WHERE s.id = ${}",
            copied.join(", "),
            values.join(", "),
            n + 1
        );
        // Every statement's text is new: not kept prepared.
        let mut q = sqlx::query(&sql).persistent(false);
        for i in 0..n {
            q = q.bind(clone_number(serial + i));
        }
        q.bind(booked[statement % booked.len()])
            .execute(&db.pool)
            .await
            .unwrap();
        serial += n;
        statement += 1;
        if serial % 100_000 == 0 || serial == copies {
            lap(&format!("{serial} shipments copied"));
        }
    }

    let (low, high): (i64, i64) = sqlx::query_as("SELECT MIN(id), MAX(id) FROM shipments")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    let steps: Vec<String> = (1..=SCANS_PER_SHIPMENT).map(|k| format!("({k})")).collect();
    let last = format!("k.column1 = {SCANS_PER_SHIPMENT} AND s.delivered_at IS NOT NULL");
    // A shipment with an exception was delayed at its second scan.
    let events = format!(
        "INSERT INTO tracking_events (shipment_id, status, occurred_at, source, created_at) \
         SELECT s.id, CASE WHEN {last} THEN 'delivered' WHEN k.column1 = 1 THEN 'picked_up' \
         WHEN k.column1 = {DELAYED_SCAN} AND s.had_exception = 1 THEN 'delayed' \
         ELSE 'in_transit' END, CASE WHEN {last} THEN s.delivered_at \
         ELSE s.created_at + k.column1 * {HOUR_MS} END, 'scan', s.created_at \
         FROM shipments s, (VALUES {}) k WHERE s.id BETWEEN $1 AND $2",
        steps.join(", ")
    );
    for from in (low..=high).step_by(20_000) {
        run(db, &events, &[from, from + 19_999]).await;
    }
    lap("scans");

    // Complaints on every step-th shipment old enough for the whole story; a quarter from key
    // accounts (48 h to resolve), the rest regular (72 h); 70 % resolved within 1-72 h.
    let key = format!("({HASH} / 1000) % 4 = 0");
    let opened = format!("s.created_at + {DAY_MS}");
    let resolved = format!("({HASH} / 10) % 10 < 7");
    let complaints_sql = format!(
        "INSERT INTO complaints (customer_id, shipment_id, category, description, tier, \
         priority, status, first_response_due, resolution_due, first_response_at, resolved_at, \
         created_at, updated_at, industry) \
         SELECT s.customer_id, s.id, CASE {HASH} % 10 WHEN 3 THEN 'damage' WHEN 4 THEN 'loss' \
         WHEN 5 THEN 'wrong_delivery' WHEN 6 THEN 'courier_conduct' WHEN 7 THEN 'billing' \
         WHEN 8 THEN 'other' ELSE 'delay' END, 'Bench complaint', \
         CASE WHEN {key} THEN 'key' ELSE 'regular' END, \
         CASE WHEN {key} THEN 'high' ELSE 'normal' END, \
         CASE WHEN {resolved} THEN 'resolved' ELSE 'open' END, \
         {opened} + CASE WHEN {key} THEN 8 ELSE 24 END * {HOUR_MS}, \
         {opened} + CASE WHEN {key} THEN 48 ELSE 72 END * {HOUR_MS}, \
         CASE WHEN {resolved} THEN {opened} + {HOUR_MS} END, \
         CASE WHEN {resolved} THEN {opened} + (1 + ({HASH} / 100) % 72) * {HOUR_MS} END, \
         {opened}, {opened}, s.industry \
         FROM shipments s WHERE s.id % $1 = 0 AND s.created_at < $2 ORDER BY s.id LIMIT $3"
    );
    let step = (i64::from(total) * 9 / 10 / i64::from(complaints.max(1))).max(1);
    let args = [step, now - 5 * DAY_MS, complaints.into()];
    let n = run(db, &complaints_sql, &args).await;
    run(
        db,
        "UPDATE shipments SET complained = 1, \
         wrong_delivery = CASE WHEN EXISTS (SELECT 1 FROM complaints k \
         WHERE k.shipment_id = shipments.id AND k.category = 'wrong_delivery') THEN 1 ELSE 0 END, \
         damage_complaint = CASE WHEN EXISTS (SELECT 1 FROM complaints k \
         WHERE k.shipment_id = shipments.id AND k.category = 'damage') THEN 1 ELSE 0 END \
         WHERE id IN (SELECT shipment_id FROM complaints)",
        &[],
    )
    .await;
    lap(&format!("{n} complaints"));

    // One rating per delivered shipment taken: customers whose id ends in 3 are detractors
    // (CSAT 1-3, NPS 0-6), the others mostly promoters; a fifth skip the NPS question.
    let ratings_sql = format!(
        "INSERT INTO ratings (shipment_id, customer_id, csat, nps, tags, comment, created_at, \
         updated_at) \
         SELECT s.id, s.customer_id, CASE WHEN s.customer_id % 10 = 3 THEN 1 + {HASH} % 3 \
         WHEN {HASH} % 10 = 0 THEN 3 WHEN {HASH} % 10 < 5 THEN 4 ELSE 5 END, \
         CASE WHEN ({HASH} / 10) % 5 = 0 THEN NULL \
         WHEN s.customer_id % 10 = 3 THEN ({HASH} / 100) % 7 ELSE 7 + ({HASH} / 100) % 4 END, \
         '', CAST(NULL AS TEXT), s.delivered_at + ({HASH} % 12) * {HOUR_MS}, \
         s.delivered_at + ({HASH} % 12) * {HOUR_MS} \
         FROM shipments s WHERE s.delivered_at IS NOT NULL AND s.id % $1 = 0 \
         ORDER BY s.id LIMIT $2"
    );
    let delivered: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM shipments WHERE delivered_at IS NOT NULL")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    let step = (delivered * 9 / 10 / i64::from(ratings.max(1))).max(1);
    let n = run(db, &ratings_sql, &[step, ratings.into()]).await;
    lap(&format!("{n} ratings"));

    let maintenance = match db.kind {
        app::platform::db::DbKind::Postgres => "VACUUM ANALYZE",
        app::platform::db::DbKind::Sqlite => "ANALYZE",
    };
    sqlx::query(maintenance).execute(&db.pool).await.unwrap();
    lap("seeded");
    ids
}

/// The whole customer 360 as the page and the API read it.
async fn customer_360_reads(db: &Db, customer_id: i64) -> usize {
    let tz = jiff::tz::TimeZone::get("Asia/Shanghai").unwrap();
    let c = app::crm::service::customer_360(db, customer_id, &tz)
        .await
        .unwrap();
    c.timeline.len() + c.kpis.len()
}

/// Runs `$body` `$reps` times; the durations.
macro_rules! timed {
    ($reps:expr, $body:expr) => {{
        let mut samples = Vec::with_capacity($reps);
        for _ in 0..$reps {
            let started = Instant::now();
            let _ = std::hint::black_box($body);
            samples.push(started.elapsed());
        }
        samples
    }};
}

struct Line {
    what: String,
    size: String,
    median: f64,
    max: f64,
    budget: f64,
}

fn record(
    lines: &mut Vec<Line>,
    what: &str,
    size: String,
    mut samples: Vec<Duration>,
    budget: f64,
) {
    samples.sort();
    let ms = |d: &Duration| d.as_secs_f64() * 1000.0;
    let line = Line {
        what: what.to_string(),
        size,
        median: ms(&samples[samples.len() / 2]),
        max: ms(samples.last().expect("a sample")),
        budget,
    };
    println!(
        "{:<30} {:<22} median {:>9.1} ms   max {:>9.1} ms",
        line.what, line.size, line.median, line.max
    );
    lines.push(line);
}

#[tokio::main]
async fn main() {
    let sizes = [
        env_size("BENCH_SHIPMENTS", 1_000_000),
        env_size("BENCH_CUSTOMERS", 100_000),
        env_size("BENCH_COMPLAINTS", 50_000),
        env_size("BENCH_RATINGS", 200_000),
    ];
    let db = Db::connect(&database_url().await).await.expect("connect");
    println!("backend: {}", db.kind.as_str());
    let owner = bench_customer(&db).await;
    let csv = shipments_csv(BOOKED);
    import::import(&db, owner, csv.as_bytes(), "bench", Locale::En)
        .await
        .unwrap();
    let now = now_ms();
    let started = Instant::now();
    let ids = seed(&db, owner, sizes, now).await;
    let seeding = started.elapsed();
    let counts: (i64, i64, i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM shipments), (SELECT COUNT(*) FROM tracking_events), \
         (SELECT COUNT(*) FROM customers), (SELECT COUNT(*) FROM complaints), \
         (SELECT COUNT(*) FROM ratings)",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    println!("shipments, tracking events, customers, complaints, ratings: {counts:?}");
    let mut lines = Vec::new();

    // The data went in by SQL, not through the events that keep the roll-ups: count them once,
    // as a server does at its first start or after REPORT_TIME_ZONE changes.
    let started = Instant::now();
    let rows = kpi_rollup::rebuild(&db, TZ).await.unwrap();
    let took = started.elapsed();
    println!(
        "roll-ups rebuilt: {rows} per-customer rows in {:.1} s",
        took.as_secs_f64()
    );
    let size = format!("{rows} per-customer roll-up rows");
    record(
        &mut lines,
        "rebuild KPI roll-ups",
        size,
        vec![took],
        60_000.0,
    );

    // Tiers first (as the daily job would have), so drill-downs show real tiers; then again,
    // when nearly nothing changes.
    for what in ["recompute tiers (first)", "recompute tiers (again)"] {
        let started = Instant::now();
        let summary = segments::recompute(&db).await.unwrap();
        let took = started.elapsed();
        println!(
            "{what}: {:.1} s, {} customers assessed, {} changed, {} retention items opened",
            took.as_secs_f64(),
            summary.customers,
            summary.changed,
            summary.retention_opened
        );
        let size = format!("{} customers", summary.customers);
        record(&mut lines, what, size, vec![took], 60_000.0);
    }
    let tiers: Vec<(String, i64)> =
        sqlx::query_as("SELECT tier, COUNT(*) FROM customers GROUP BY tier ORDER BY tier")
            .fetch_all(&db.pool)
            .await
            .unwrap();
    println!("tiers: {tiers:?}");

    let tz = jiff::tz::TimeZone::get(TZ).unwrap();
    let window = |period: &str| {
        let q = KpiQuery {
            period: Some(period.into()),
            ..Default::default()
        };
        kpi_service::parse_query(&q, &tz, now_ms()).unwrap()
    };
    for period in ["30d", "365d"] {
        let w = window(period);
        let mut kpis = 0;
        let samples = timed!(REPS, {
            let report = kpi_service::report(&db, &w, TZ).await.unwrap();
            kpis = report.kpis.len();
            report
        });
        let what = format!("KPI cards {period} + previous");
        let size = format!("{kpis} KPIs x 2 periods");
        record(&mut lines, &what, size, samples, 500.0);
    }

    // A filter the roll-ups are keyed by, and one they are not (read from the raw tables).
    let city: String = sqlx::query_scalar(
        "SELECT recipient_city FROM shipments GROUP BY recipient_city ORDER BY COUNT(*) DESC",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    for (what, filters) in [
        ("KPI cards 365d tier=vip", ("365d", Some("vip"), None)),
        (
            "KPI cards 30d busiest city",
            ("30d", None, Some(city.clone())),
        ),
    ] {
        let (period, tier, area) = filters;
        let q = KpiQuery {
            period: Some(period.into()),
            tier: tier.map(String::from),
            area,
            ..Default::default()
        };
        let w = kpi_service::parse_query(&q, &tz, now_ms()).unwrap();
        let samples = timed!(REPS, kpi_service::report(&db, &w, TZ).await.unwrap());
        record(
            &mut lines,
            what,
            "10 KPIs x 2 periods".into(),
            samples,
            500.0,
        );
    }

    let w30 = window("30d");
    for (kpi, page) in [(KpiId::OnTime, 1), (KpiId::OnTime, 20), (KpiId::Nps, 1)] {
        let mut total = 0;
        let samples = timed!(REPS, {
            let p = kpi_service::drill(&db, &w30, kpi, page, 50, TZ)
                .await
                .unwrap();
            total = p.total;
            p
        });
        let (what, size) = (
            format!("drill 30d {} p.{page}", kpi.as_str()),
            format!("50 of {total} rows"),
        );
        record(&mut lines, &what, size, samples, 50.0);
    }

    // The busiest customer, then 19 taken at random.
    let mut rng = Rng(360);
    let picked: Vec<i64> = std::iter::once(ids[0])
        .chain((1..20).map(|_| ids[rng.below(ids.len() as i64) as usize]))
        .collect();
    let mut samples = Vec::new();
    for &id in &picked {
        let started = Instant::now();
        let _ = std::hint::black_box(customer_360_reads(&db, id).await);
        samples.push(started.elapsed());
    }
    let size = format!("{} customers", picked.len());
    record(&mut lines, "customer 360", size, samples, 50.0);

    println!("\nseeded in {:.0} s", seeding.as_secs_f64());
    println!(
        "{:<30} {:<22} {:>10} {:>10} {:>10}  within (max)",
        "what", "size", "median ms", "max ms", "budget ms"
    );
    for l in &lines {
        println!(
            "{:<30} {:<22} {:>10.1} {:>10.1} {:>10.0}  {}",
            l.what,
            l.size,
            l.median,
            l.max,
            l.budget,
            if l.max <= l.budget { "yes" } else { "no" }
        );
    }
}
