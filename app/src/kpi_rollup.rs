//! Daily roll-ups of what the KPIs count, kept in the transaction of the event that changes them.
//!
//! Why: a year of KPI cards over raw rows reads a million shipments (15 s on SQLite at the
//! benchmark's size); over roll-ups it reads one row per local day and key (tier, industry,
//! service): a few thousand. Each writer (booking, cancelling, a scan, a complaint filed,
//! resolved or reopened, a rating) reads what its subject counts before the change
//! ([`Counted::read`]), makes the change, and applies the difference ([`Counted::settle`]); what a
//! subject counts is one function ([`shipment_rows`], [`complaint_rows`]) used by both the writers
//! and [`rebuild`], so the roll-ups and a recount from the raw tables cannot disagree.
//!
//! This module sits below every capability (it imports only `domain` and `platform`): the
//! capabilities that write facts call it, and `crm` reads what it keeps.

use std::collections::BTreeMap;

use jiff::tz::TimeZone;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use crate::error::AppError;
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

/// A roll-up row's key: the local day and the dimensions the dashboard filters by.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Key {
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

/// What a shipment counts: its booking, its delivery and its rating. Every KPI of a shipment
/// reads these columns, through this one query.
const SHIPMENT_FACTS: &str = "SELECT s.id, s.created_at, s.status, s.tier, s.industry, \
     s.service, s.delivered_at, CAST(COALESCE(s.delivered_on_time, 0) AS BIGINT) AS on_time, \
     s.had_exception, CAST(CASE WHEN s.damaged = 1 OR s.damage_complaint = 1 THEN 1 ELSE 0 END \
     AS BIGINT) AS damaged, s.complained, s.wrong_delivery, r.created_at AS rated_at, r.csat, \
     r.nps FROM shipments s LEFT JOIN ratings r ON r.shipment_id = s.id";

/// What a complaint counts once resolved: its resolution time and whether it met its SLA.
const COMPLAINT_FACTS: &str = "SELECT k.id, k.created_at, k.resolved_at, k.resolution_due, \
     k.tier, k.industry, COALESCE(s.service, '') AS service \
     FROM complaints k LEFT JOIN shipments s ON s.id = k.shipment_id";

type Rows = BTreeMap<Key, Measures>;

fn put(rows: &mut Rows, key: Key, measures: &[(usize, i64)]) {
    let entry = rows.entry(key).or_insert([0; 16]);
    for &(i, v) in measures {
        entry[i] += v;
    }
}

/// The roll-up rows one shipment row of [`SHIPMENT_FACTS`] counts in.
pub fn shipment_rows(tz: &TimeZone, r: &AnyRow, rows: &mut Rows) -> Result<(), AppError> {
    if r.try_get::<String, _>("status")? == "cancelled" {
        return Ok(());
    }
    let key = |at: i64| -> Result<Key, AppError> {
        Ok(Key {
            day: local_day(tz, at),
            tier: r.try_get("tier")?,
            industry: r.try_get("industry")?,
            service: r.try_get("service")?,
        })
    };
    let flag = |c: &str| -> Result<i64, AppError> { Ok(r.try_get::<i64, _>(c)?.min(1)) };
    put(
        rows,
        key(r.try_get("created_at")?)?,
        &[
            (m::SHIPMENTS, 1),
            (m::WRONG_DELIVERY, flag("wrong_delivery")?),
            (m::COMPLAINED, flag("complained")?),
            (m::EXCEPTIONS, flag("had_exception")?),
        ],
    );
    if let Some(at) = r.try_get::<Option<i64>, _>("delivered_at")? {
        put(
            rows,
            key(at)?,
            &[
                (m::DELIVERED, 1),
                (m::ON_TIME, flag("on_time")?),
                (m::DAMAGED, flag("damaged")?),
            ],
        );
    }
    if let Some(at) = r.try_get::<Option<i64>, _>("rated_at")? {
        let csat: i64 = r.try_get("csat")?;
        let nps: Option<i64> = r.try_get("nps")?;
        put(
            rows,
            key(at)?,
            &[
                (m::RATINGS, 1),
                (m::CSAT_GOOD, i64::from(csat >= 4)),
                (m::CSAT_SUM, csat),
                (m::NPS_ANSWERS, i64::from(nps.is_some())),
                (m::PROMOTERS, i64::from(nps.is_some_and(|n| n >= 9))),
                (m::DETRACTORS, i64::from(nps.is_some_and(|n| n <= 6))),
            ],
        );
    }
    Ok(())
}

/// Whole minutes from a complaint's opening to its resolution: the unit resolution time is
/// summed in, here and in the percentiles.
pub fn resolution_minutes(created_at: i64, resolved_at: i64) -> i64 {
    // Truncated toward zero, as SQL's integer division does in the raw count.
    (resolved_at - created_at) / 60_000
}

/// The roll-up row one complaint row of [`COMPLAINT_FACTS`] counts in (none until resolved).
pub fn complaint_rows(tz: &TimeZone, r: &AnyRow, rows: &mut Rows) -> Result<(), AppError> {
    let Some(resolved_at) = r.try_get::<Option<i64>, _>("resolved_at")? else {
        return Ok(());
    };
    let due: i64 = r.try_get("resolution_due")?;
    put(
        rows,
        Key {
            day: local_day(tz, resolved_at),
            tier: r.try_get("tier")?,
            industry: r.try_get("industry")?,
            service: r.try_get("service")?,
        },
        &[
            (m::RESOLVED, 1),
            (
                m::RESOLUTION_MINUTES,
                resolution_minutes(r.try_get("created_at")?, resolved_at),
            ),
            (m::RESOLVED_IN_SLA, i64::from(resolved_at <= due)),
        ],
    );
    Ok(())
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

/// The calendar's time zone, locked against a rebuild until the transaction ends.
async fn calendar(tx: &mut Transaction<'_, Any>) -> Result<Option<TimeZone>, AppError> {
    if tx.backend_name() == "PostgreSQL" {
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
    Ok(Some(TimeZone::get(name).map_err(|_| AppError::Internal)?))
}

async fn rows_of(
    tx: &mut Transaction<'_, Any>,
    tz: &TimeZone,
    subject: Subject,
) -> Result<Rows, AppError> {
    let mut rows = Rows::new();
    match subject {
        Subject::Shipment(id) => {
            let sql = format!("{SHIPMENT_FACTS} WHERE s.id = $1");
            if let Some(r) = sqlx::query(&sql).bind(id).fetch_optional(&mut **tx).await? {
                shipment_rows(tz, &r, &mut rows)?;
            }
        }
        Subject::Complaint(id) => {
            let sql = format!("{COMPLAINT_FACTS} WHERE k.id = $1");
            if let Some(r) = sqlx::query(&sql).bind(id).fetch_optional(&mut **tx).await? {
                complaint_rows(tz, &r, &mut rows)?;
            }
        }
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
        if tx.backend_name() == "PostgreSQL" {
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

/// Adds each row's measures to the stored row of its key (created at zero if missing).
async fn upsert(tx: &mut Transaction<'_, Any>, rows: &Rows) -> Result<(), AppError> {
    let columns = MEASURES.join(", ");
    let sums: Vec<String> = MEASURES
        .iter()
        .map(|c| format!("{c} = kpi_daily.{c} + excluded.{c}"))
        .collect();
    let entries: Vec<(&Key, &Measures)> = rows.iter().collect();
    for chunk in entries.chunks(ROWS_PER_STATEMENT) {
        let width = 4 + MEASURES.len();
        let values: Vec<String> = (0..chunk.len())
            .map(|r| {
                let cells: Vec<String> =
                    (1..=width).map(|c| format!("${}", r * width + c)).collect();
                format!("({})", cells.join(", "))
            })
            .collect();
        let sql = format!(
            "INSERT INTO kpi_daily (day, tier, industry, service, {columns}) VALUES {} \
             ON CONFLICT (day, tier, industry, service) DO UPDATE SET {}",
            values.join(", "),
            sums.join(", ")
        );
        let mut q = sqlx::query(&sql);
        for (key, measures) in chunk {
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

const REBUILD_PAGE: i64 = 20_000;

/// Recounts every roll-up from the raw tables in `time_zone`'s days, in one transaction that
/// holds writers back (they read the calendar first). Returns the rows written.
pub async fn rebuild(db: &Db, time_zone: &str) -> Result<usize, AppError> {
    let tz = TimeZone::get(time_zone).map_err(|_| AppError::Internal)?;
    let mut tx = db.pool.begin().await?;
    // The write takes SQLite's lock and PostgreSQL's row lock before anything is read.
    sqlx::query("UPDATE kpi_calendar SET time_zone = $1 WHERE id = 1")
        .bind(time_zone)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM kpi_daily")
        .execute(&mut *tx)
        .await?;
    let mut rows = Rows::new();
    for (facts, alias, count) in [
        (
            SHIPMENT_FACTS,
            "s",
            shipment_rows as fn(&TimeZone, &AnyRow, &mut Rows) -> Result<(), AppError>,
        ),
        (COMPLAINT_FACTS, "k", complaint_rows),
    ] {
        // Paged by id so memory stays flat however many rows there are.
        let sql = format!("{facts} WHERE {alias}.id > $1 ORDER BY {alias}.id LIMIT $2");
        let mut after = 0_i64;
        loop {
            let page = sqlx::query(&sql)
                .bind(after)
                .bind(REBUILD_PAGE)
                .fetch_all(&mut *tx)
                .await?;
            for r in &page {
                count(&tz, r, &mut rows)?;
            }
            match page.last() {
                Some(last) if page.len() as i64 == REBUILD_PAGE => after = last.try_get("id")?,
                _ => break,
            }
        }
    }
    upsert(&mut tx, &rows).await?;
    tx.commit().await?;
    Ok(rows.len())
}

/// Builds the roll-ups if they were never built or were counted in another time zone.
pub async fn ensure(db: &Db, time_zone: &str) -> Result<Option<usize>, AppError> {
    let current: String = sqlx::query_scalar("SELECT time_zone FROM kpi_calendar WHERE id = 1")
        .fetch_one(&db.pool)
        .await?;
    if current == time_zone {
        return Ok(None);
    }
    Ok(Some(rebuild(db, time_zone).await?))
}

/// The time zone the roll-ups count in (`None` before they are built).
pub async fn time_zone(db: &Db) -> Result<Option<String>, AppError> {
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
