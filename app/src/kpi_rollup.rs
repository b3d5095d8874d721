//! Daily roll-ups of what the KPIs count, kept in the transaction of the event that changes them.
//!
//! Why: a year of KPI cards over raw rows reads a million shipments (15 s on SQLite at the
//! benchmark's size); over roll-ups it reads one row per local day and key (tier, industry,
//! service): a few thousand. A second table keeps the same rows per customer, so a customer's
//! own figures (its 360) read a few hundred rows however many shipments it sends. Each writer
//! (booking, cancelling, a scan, a complaint filed, resolved or reopened, a rating) reads what
//! its subject counts before the change ([`Counted::read`]), makes the change, and applies the
//! difference ([`Counted::settle`]). What counts, and how, is written once, as SQL, in the
//! [`Family`] constants: the writers, [`rebuild`], the raw-table counts and the drill-downs all
//! read it from there, so they cannot disagree.
//!
//! This module sits below every capability (it imports only `domain` and `platform`): the
//! capabilities that write facts call it, and `crm` reads what it keeps.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use jiff::tz::TimeZone;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use crate::error::{AppError, OrInternal};
use crate::platform::Db;

const DAY_MS: i64 = 86_400_000;

/// The measures of a roll-up row, in this order (the columns of `kpi_daily`).
pub const MEASURES: [&str; 16] = [
    "shipments",
    "wrong_delivery",
    "complained",
    "exceptions",
    "delivered",
    "on_time",
    "damaged",
    "ratings",
    "csat_good",
    "csat_sum",
    "nps_answers",
    "promoters",
    "detractors",
    "resolved",
    "resolution_minutes",
    "resolved_in_sla",
];

/// Index of each measure in [`Measures`].
pub mod m {
    pub const SHIPMENTS: usize = 0;
    pub const WRONG_DELIVERY: usize = 1;
    pub const COMPLAINED: usize = 2;
    pub const EXCEPTIONS: usize = 3;
    pub const DELIVERED: usize = 4;
    pub const ON_TIME: usize = 5;
    pub const DAMAGED: usize = 6;
    pub const RATINGS: usize = 7;
    pub const CSAT_GOOD: usize = 8;
    pub const CSAT_SUM: usize = 9;
    pub const NPS_ANSWERS: usize = 10;
    pub const PROMOTERS: usize = 11;
    pub const DETRACTORS: usize = 12;
    pub const RESOLVED: usize = 13;
    pub const RESOLUTION_MINUTES: usize = 14;
    pub const RESOLVED_IN_SLA: usize = 15;
}

pub type Measures = [i64; 16];

/// Adds `b` times `sign` into `a`.
pub fn add(a: &mut Measures, b: &Measures, sign: i64) {
    for (x, y) in a.iter_mut().zip(b) {
        *x += sign * y;
    }
}

/// A roll-up row's key: the customer, the local day and the dimensions the dashboard filters
/// by. `kpi_daily` sums over customers; `kpi_customer_daily` keeps them (a customer's 360).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Key {
    pub customer: i64,
    pub day: i64,
    pub tier: String,
    pub industry: String,
    pub service: String,
}

/// Days since 1970-01-01 of the local date at `ms` in `tz`.
pub fn local_day(tz: &TimeZone, ms: i64) -> i64 {
    let offset_ms = jiff::Timestamp::from_millisecond(ms)
        .map(|t| i64::from(tz.to_offset(t).seconds()) * 1000)
        .unwrap_or(0);
    (ms + offset_ms).div_euclid(DAY_MS)
}

/// Days since 1970-01-01 of a calendar date.
pub fn civil_day(d: jiff::civil::Date) -> i64 {
    i64::from((d - jiff::civil::date(1970, 1, 1)).get_days())
}

/// How a row adds to a measure.
#[derive(Debug, Clone, Copy)]
pub enum Fact {
    /// 1 for every row.
    Each,
    /// 1 when the SQL condition holds, else 0.
    When(&'static str),
    /// The SQL expression's value.
    Value(&'static str),
}

impl Fact {
    /// The SQL summed into the measure.
    pub fn sql(self) -> String {
        match self {
            Fact::Each => "1".into(),
            Fact::When(condition) => format!("CASE WHEN {condition} THEN 1 ELSE 0 END"),
            Fact::Value(v) => v.into(),
        }
    }
}

/// The measures counted at one moment of a subject's life (booked, delivered, rated, resolved):
/// the rows they read, the time they count at, and how each row adds to each. These are the
/// KPI rules, written once: the writers, the rebuild, the raw-table counts and the drill-downs
/// all read them from here.
#[derive(Debug)]
pub struct Family {
    /// `FROM ...` (and joins) of the rows counted.
    pub from: &'static str,
    /// Which of those rows count at all.
    pub counted: &'static str,
    /// The alias of the row keeping the tier and industry it was counted under, and its
    /// customer (the shipment, or the complaint).
    pub owner: &'static str,
    /// When a row counts (a local day of this time); NULL: not yet.
    pub at: &'static str,
    /// The measures, the first being the family's count of rows.
    pub facts: &'static [(usize, Fact)],
}

const NOT_CANCELLED: &str = "s.status <> 'cancelled'";

/// Shipments by booking time.
pub const BOOKED: Family = Family {
    from: "FROM shipments s",
    counted: NOT_CANCELLED,
    owner: "s",
    at: "s.created_at",
    facts: &[
        (m::SHIPMENTS, Fact::Each),
        (m::WRONG_DELIVERY, Fact::When("s.wrong_delivery = 1")),
        (m::COMPLAINED, Fact::When("s.complained = 1")),
        (m::EXCEPTIONS, Fact::When("s.had_exception = 1")),
    ],
};

/// Shipments by delivery time.
pub const DELIVERED: Family = Family {
    from: "FROM shipments s",
    counted: NOT_CANCELLED,
    owner: "s",
    at: "s.delivered_at",
    facts: &[
        (m::DELIVERED, Fact::Each),
        (m::ON_TIME, Fact::When("s.delivered_on_time = 1")),
        (
            m::DAMAGED,
            Fact::When("(s.damaged = 1 OR s.damage_complaint = 1)"),
        ),
    ],
};

/// Ratings by the time given, under their shipment's key.
pub const RATED: Family = Family {
    from: "FROM ratings r JOIN shipments s ON s.id = r.shipment_id",
    counted: NOT_CANCELLED,
    owner: "s",
    at: "r.created_at",
    facts: &[
        (m::RATINGS, Fact::Each),
        (m::CSAT_GOOD, Fact::When("r.csat >= 4")),
        (m::CSAT_SUM, Fact::Value("r.csat")),
        (m::NPS_ANSWERS, Fact::When("r.nps IS NOT NULL")),
        (m::PROMOTERS, Fact::When("r.nps >= 9")),
        (m::DETRACTORS, Fact::When("r.nps <= 6")),
    ],
};

/// Complaints by resolution time, with their shipment's service when they have one.
pub const RESOLVED: Family = Family {
    from: "FROM complaints k LEFT JOIN shipments s ON s.id = k.shipment_id",
    counted: "k.resolved_at IS NOT NULL",
    owner: "k",
    at: "k.resolved_at",
    facts: &[
        (m::RESOLVED, Fact::Each),
        // Whole minutes, truncated as integer division does ([`resolution_minutes`]).
        (
            m::RESOLUTION_MINUTES,
            Fact::Value("(k.resolved_at - k.created_at) / 60000"),
        ),
        (
            m::RESOLVED_IN_SLA,
            Fact::When("k.resolved_at <= k.resolution_due"),
        ),
    ],
};

/// The families of a shipment, read together from one row (a shipment has at most one rating).
/// Families read from one subject's row, each with the name its columns carry.
type Families = [(&'static str, &'static Family)];

const SHIPMENT_FAMILIES: [(&str, &Family); 3] = [
    ("booked", &BOOKED),
    ("delivered", &DELIVERED),
    ("rated", &RATED),
];
const COMPLAINT_FAMILIES: [(&str, &Family); 1] = [("resolved", &RESOLVED)];

/// `SELECT` of a subject's key and every family's time and measures, as `<name>_at` and the
/// measure's name.
fn facts_select(owner: &str, service: &str, families: &Families) -> String {
    let mut columns = vec![
        format!("{owner}.id"),
        format!("{owner}.customer_id"),
        format!("{owner}.tier"),
        format!("{owner}.industry"),
        format!("{service} AS service"),
    ];
    for (name, family) in families {
        columns.push(format!("{} AS {name}_at", family.at));
        for (measure, fact) in family.facts {
            columns.push(format!(
                "CAST({} AS BIGINT) AS {}",
                fact.sql(),
                MEASURES[*measure]
            ));
        }
    }
    format!("SELECT {}", columns.join(", "))
}

/// What a shipment counts, one row per shipment (its rating joined). Built once: every event
/// reads it twice.
static SHIPMENT_FACTS: LazyLock<String> = LazyLock::new(|| {
    format!(
        "{} FROM shipments s LEFT JOIN ratings r ON r.shipment_id = s.id WHERE {NOT_CANCELLED}",
        facts_select("s", "s.service", &SHIPMENT_FAMILIES)
    )
});

/// What a complaint counts.
static COMPLAINT_FACTS: LazyLock<String> = LazyLock::new(|| {
    format!(
        "{} {} WHERE {}",
        facts_select("k", "COALESCE(s.service, '')", &COMPLAINT_FAMILIES),
        RESOLVED.from,
        RESOLVED.counted
    )
});

type Rows = BTreeMap<Key, Measures>;

/// Adds one row of [`facts_select`] into the roll-up rows of each family it has reached.
fn count_row(
    tz: &TimeZone,
    families: &Families,
    r: &AnyRow,
    rows: &mut Rows,
) -> Result<(), AppError> {
    for (name, family) in families {
        let Some(at) = r.try_get::<Option<i64>, _>(format!("{name}_at").as_str())? else {
            continue;
        };
        let key = Key {
            customer: r.try_get("customer_id")?,
            day: local_day(tz, at),
            tier: r.try_get("tier")?,
            industry: r.try_get("industry")?,
            service: r.try_get("service")?,
        };
        let entry = rows.entry(key).or_insert([0; 16]);
        for (measure, _) in family.facts {
            entry[*measure] += r
                .try_get::<Option<i64>, _>(MEASURES[*measure])?
                .unwrap_or_default();
        }
    }
    Ok(())
}

/// Whole minutes from a complaint's opening to its resolution: the unit resolution time is
/// summed in ([`RESOLVED`]) and the percentiles are taken in.
pub fn resolution_minutes(created_at: i64, resolved_at: i64) -> i64 {
    // Truncated toward zero, as SQL's integer division does.
    (resolved_at - created_at) / 60_000
}

/// What a writer changes.
#[derive(Debug, Clone, Copy)]
pub enum Subject {
    /// A shipment: its booking, delivery, complaints' categories and rating.
    Shipment(i64),
    /// A complaint's resolution.
    Complaint(i64),
}

/// What a subject counted when read, to be replaced by what it counts when settled.
#[must_use = "settle it after the change, in the same transaction"]
pub struct Counted {
    subject: Subject,
    /// `None` before the roll-ups are first built: nothing to keep then.
    calendar: Option<TimeZone>,
    before: Rows,
}

/// PostgreSQL locks rows; SQLite has one write lock for the whole database.
fn on_postgres(tx: &Transaction<'_, Any>) -> bool {
    tx.backend_name() == "PostgreSQL"
}

/// The calendar's time zone, locked against a rebuild until the transaction ends.
async fn calendar(tx: &mut Transaction<'_, Any>) -> Result<Option<TimeZone>, AppError> {
    if on_postgres(tx) {
        let name: String =
            sqlx::query_scalar("SELECT time_zone FROM kpi_calendar WHERE id = 1 FOR SHARE")
                .fetch_one(&mut **tx)
                .await?;
        return zone(&name);
    }
    // SQLite: a write first takes the database's one write lock (waiting its turn), so the
    // facts read next cannot be overtaken by another writer before this transaction writes.
    let name: String = sqlx::query_scalar(
        "UPDATE kpi_calendar SET time_zone = time_zone WHERE id = 1 RETURNING time_zone",
    )
    .fetch_one(&mut **tx)
    .await?;
    zone(&name)
}

fn zone(name: &str) -> Result<Option<TimeZone>, AppError> {
    if name.is_empty() {
        return Ok(None);
    }
    Ok(Some(
        TimeZone::get(name).or_internal("the roll-up's time zone")?,
    ))
}

async fn rows_of(
    tx: &mut Transaction<'_, Any>,
    tz: &TimeZone,
    subject: Subject,
) -> Result<Rows, AppError> {
    let (sql, families, id): (_, &Families, _) = match subject {
        Subject::Shipment(id) => (
            format!("{} AND s.id = $1", *SHIPMENT_FACTS),
            &SHIPMENT_FAMILIES,
            id,
        ),
        Subject::Complaint(id) => (
            format!("{} AND k.id = $1", *COMPLAINT_FACTS),
            &COMPLAINT_FAMILIES,
            id,
        ),
    };
    let mut rows = Rows::new();
    if let Some(r) = sqlx::query(&sql).bind(id).fetch_optional(&mut **tx).await? {
        count_row(tz, families, &r, &mut rows)?;
    }
    Ok(rows)
}

impl Counted {
    /// Reads what `subject` counts now (nothing, for a row about to be inserted).
    pub async fn read(
        tx: &mut Transaction<'_, Any>,
        subject: Subject,
    ) -> Result<Counted, AppError> {
        let calendar = calendar(tx).await?;
        if on_postgres(tx) {
            // Two writers of one subject at once (two complaints on a shipment, a scan and a
            // rating) queue here; else each reads "before" without the other's change and
            // "after" with it, and counts it twice. (SQLite's write lock already queues them.)
            let (lock, id) = match subject {
                Subject::Shipment(id) => (
                    "SELECT 1 FROM shipments WHERE id = $1 FOR NO KEY UPDATE",
                    id,
                ),
                Subject::Complaint(id) => (
                    "SELECT 1 FROM complaints WHERE id = $1 FOR NO KEY UPDATE",
                    id,
                ),
            };
            sqlx::query(lock).bind(id).fetch_optional(&mut **tx).await?;
        }
        let before = match &calendar {
            Some(tz) => rows_of(tx, tz, subject).await?,
            None => Rows::new(),
        };
        Ok(Counted {
            subject,
            calendar,
            before,
        })
    }

    /// For a subject inserted in this transaction: counts all of it.
    pub async fn inserted(tx: &mut Transaction<'_, Any>, subject: Subject) -> Result<(), AppError> {
        let calendar = calendar(tx).await?;
        Counted {
            subject,
            calendar,
            before: Rows::new(),
        }
        .settle(tx)
        .await
    }

    /// Applies what the subject counts now less what it counted when read.
    pub async fn settle(self, tx: &mut Transaction<'_, Any>) -> Result<(), AppError> {
        let Some(tz) = &self.calendar else {
            return Ok(());
        };
        let mut delta = rows_of(tx, tz, self.subject).await?;
        for (key, before) in self.before {
            add(delta.entry(key).or_insert([0; 16]), &before, -1);
        }
        delta.retain(|_, m| m.iter().any(|&v| v != 0));
        // In key order, so two writers touching the same rows lock them in the same order.
        upsert(tx, &delta).await
    }
}

const ROWS_PER_STATEMENT: usize = 100;

/// Adds each row's measures to the stored row of its key in both tables (created at zero if
/// missing).
async fn upsert(tx: &mut Transaction<'_, Any>, rows: &Rows) -> Result<(), AppError> {
    let mut base = Rows::new();
    add_over_customers(&mut base, rows);
    upsert_into(tx, "kpi_daily", false, &base).await?;
    upsert_into(tx, "kpi_customer_daily", true, rows).await
}

/// Adds per-customer `rows` into `into`, summed over customers: the whole base's rows.
fn add_over_customers(into: &mut Rows, rows: &Rows) {
    for (key, measures) in rows {
        let key = Key {
            customer: 0,
            ..key.clone()
        };
        add(into.entry(key).or_insert([0; 16]), measures, 1);
    }
}

async fn upsert_into(
    tx: &mut Transaction<'_, Any>,
    table: &str,
    per_customer: bool,
    rows: &Rows,
) -> Result<(), AppError> {
    let key_columns = if per_customer {
        "customer_id, day, tier, industry, service"
    } else {
        "day, tier, industry, service"
    };
    let columns = MEASURES.join(", ");
    let sums: Vec<String> = MEASURES
        .iter()
        .map(|c| format!("{c} = {table}.{c} + excluded.{c}"))
        .collect();
    let entries: Vec<(&Key, &Measures)> = rows.iter().collect();
    let width = usize::from(per_customer) + 4 + MEASURES.len();
    for chunk in entries.chunks(ROWS_PER_STATEMENT) {
        let values: Vec<String> = (0..chunk.len())
            .map(|r| {
                let cells: Vec<String> =
                    (1..=width).map(|c| format!("${}", r * width + c)).collect();
                format!("({})", cells.join(", "))
            })
            .collect();
        let sql = format!(
            "INSERT INTO {table} ({key_columns}, {columns}) VALUES {} \
             ON CONFLICT ({key_columns}) DO UPDATE SET {}",
            values.join(", "),
            sums.join(", ")
        );
        let mut q = sqlx::query(&sql);
        for (key, measures) in chunk {
            if per_customer {
                q = q.bind(key.customer);
            }
            q = q
                .bind(key.day)
                .bind(key.tier.clone())
                .bind(key.industry.clone())
                .bind(key.service.clone());
            for v in measures.iter() {
                q = q.bind(*v);
            }
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

/// Customer ids counted per step of a rebuild.
const REBUILD_CUSTOMERS: i64 = 2_000;

/// Recounts every roll-up from the raw tables in `time_zone`'s days, in one transaction that
/// holds writers back (they read the calendar first). Returns the per-customer rows written.
pub async fn rebuild(db: &Db, time_zone: &str) -> Result<usize, AppError> {
    let tz = TimeZone::get(time_zone).or_internal("the rebuild's time zone")?;
    let mut tx = db.pool.begin().await?;
    // The write takes SQLite's lock and PostgreSQL's row lock before anything is read.
    sqlx::query("UPDATE kpi_calendar SET time_zone = $1 WHERE id = 1")
        .bind(time_zone)
        .execute(&mut *tx)
        .await?;
    for table in ["kpi_daily", "kpi_customer_daily"] {
        sqlx::query(&format!("DELETE FROM {table}"))
            .execute(&mut *tx)
            .await?;
    }
    let last: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM customers")
        .fetch_one(&mut *tx)
        .await?;
    let subjects: [(&str, &str, &Families); 2] = [
        (&SHIPMENT_FACTS, "s", &SHIPMENT_FAMILIES),
        (&COMPLAINT_FACTS, "k", &COMPLAINT_FAMILIES),
    ];
    // A step of customers at a time, all their facts at once: each customer's rows are then
    // whole when written, so they go in in key order (appended, never revisited), and memory
    // holds one step's rows however large the history.
    let mut all = Rows::new();
    let mut written = 0;
    for from in (0..=last).step_by(REBUILD_CUSTOMERS as usize) {
        let mut rows = Rows::new();
        for (facts, alias, families) in &subjects {
            let sql = format!("{facts} AND {alias}.customer_id >= $1 AND {alias}.customer_id < $2");
            let found = sqlx::query(&sql)
                .bind(from)
                .bind(from + REBUILD_CUSTOMERS)
                .fetch_all(&mut *tx)
                .await?;
            for r in &found {
                count_row(&tz, families, r, &mut rows)?;
            }
        }
        upsert_into(&mut tx, "kpi_customer_daily", true, &rows).await?;
        written += rows.len();
        add_over_customers(&mut all, &rows);
    }
    upsert_into(&mut tx, "kpi_daily", false, &all).await?;
    tx.commit().await?;
    Ok(written)
}

/// Builds the roll-ups if they were never built or were counted in another time zone.
pub async fn ensure(db: &Db, time_zone: &str) -> Result<Option<usize>, AppError> {
    if time_zone_of(db).await?.as_deref() == Some(time_zone) {
        return Ok(None);
    }
    Ok(Some(rebuild(db, time_zone).await?))
}

/// The time zone the roll-ups count in (`None` before they are built).
pub async fn time_zone_of(db: &Db) -> Result<Option<String>, AppError> {
    let name: String = sqlx::query_scalar("SELECT time_zone FROM kpi_calendar WHERE id = 1")
        .fetch_one(&db.pool)
        .await?;
    Ok((!name.is_empty()).then_some(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_local_day_starts_at_local_midnight() {
        let shanghai = TimeZone::get("Asia/Shanghai").unwrap();
        let d = jiff::civil::date(2026, 3, 1);
        let midnight = d
            .to_zoned(shanghai.clone())
            .unwrap()
            .timestamp()
            .as_millisecond();
        assert_eq!(local_day(&shanghai, midnight), civil_day(d));
        assert_eq!(local_day(&shanghai, midnight - 1), civil_day(d) - 1);
        assert_eq!(local_day(&shanghai, midnight + DAY_MS - 1), civil_day(d));
        assert_eq!(civil_day(jiff::civil::date(1970, 1, 2)), 1);
    }

    #[test]
    fn a_day_follows_daylight_saving_time() {
        let paris = TimeZone::get("Europe/Paris").unwrap();
        // 2026-03-29 has 23 hours in Paris: 00:30 on the 30th local is 22:30 UTC the 29th.
        let d = jiff::civil::date(2026, 3, 30);
        let half_past = d
            .at(0, 30, 0, 0)
            .to_zoned(paris.clone())
            .unwrap()
            .timestamp()
            .as_millisecond();
        assert_eq!(local_day(&paris, half_past), civil_day(d));
    }

    #[test]
    fn resolution_counts_whole_minutes() {
        assert_eq!(resolution_minutes(0, 59_999), 0);
        assert_eq!(resolution_minutes(0, 60_000), 1);
        assert_eq!(resolution_minutes(1_000, 3_601_000), 60);
    }
}
