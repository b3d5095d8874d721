//! The measures behind the KPIs, counted per bucket from the daily roll-ups or from the raw
//! tables, and the one place each KPI's numerator and denominator is defined.

use std::collections::BTreeMap;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use sqlx::Row;

use super::sql::Sql;
use super::window::{Window, DAY_MS};
use crate::crm::kpis::{KpiFilters, KpiId};
use crate::error::{AppError, OrInternal};
use crate::kpi_rollup::{
    self, m, Fact, Family, Measures, BOOKED, DELIVERED, MEASURES, RATED, RESOLVED,
};
use crate::platform::Db;

/// The measures per bucket (bucket index -> sums) and per industry over the whole span.
#[derive(Default)]
pub(super) struct Counts {
    pub(super) buckets: BTreeMap<i64, Measures>,
    pub(super) by_industry: BTreeMap<String, Measures>,
}

impl Counts {
    fn add(&mut self, bucket: i64, industry: String, values: &[(usize, i64)]) {
        let into_bucket = self.buckets.entry(bucket).or_insert([0; 16]);
        let into_industry = self.by_industry.entry(industry).or_insert([0; 16]);
        for &(i, v) in values {
            into_bucket[i] += v;
            into_industry[i] += v;
        }
    }

    /// The sums over every bucket.
    pub(super) fn sum(&self) -> Measures {
        let mut sum = [0; 16];
        for bucket in self.buckets.values() {
            kpi_rollup::add(&mut sum, bucket, 1);
        }
        sum
    }
}

/// A KPI's numerator and denominator from the measures: the one place they are defined.
pub(super) fn kpi_counts(kpi: KpiId, x: &Measures) -> (i64, i64) {
    match kpi {
        KpiId::OnTime => (x[m::ON_TIME], x[m::DELIVERED]),
        KpiId::OrderAccuracy => (x[m::SHIPMENTS] - x[m::WRONG_DELIVERY], x[m::SHIPMENTS]),
        KpiId::DamageRate => (x[m::DAMAGED], x[m::DELIVERED]),
        KpiId::ComplaintRate => (x[m::COMPLAINED], x[m::SHIPMENTS]),
        KpiId::ExceptionRate => (x[m::EXCEPTIONS], x[m::SHIPMENTS]),
        KpiId::ResolutionTime => (x[m::RESOLUTION_MINUTES], x[m::RESOLVED]),
        KpiId::ResolutionWithinSla => (x[m::RESOLVED_IN_SLA], x[m::RESOLVED]),
        KpiId::Csat => (x[m::CSAT_GOOD], x[m::RATINGS]),
        KpiId::CsatMean => (x[m::CSAT_SUM], x[m::RATINGS]),
        KpiId::Nps => (x[m::PROMOTERS] - x[m::DETRACTORS], x[m::NPS_ANSWERS]),
    }
}

/// How raw rows fall into buckets.
#[derive(Clone)]
pub(super) enum Bucketing {
    /// One bucket for the whole span.
    Whole,
    /// Runs of `days` local days in `tz` from `first_day` (days since 1970-01-01).
    Days {
        tz: TimeZone,
        first_day: i64,
        days: i64,
    },
}

/// `[start, end)` and its buckets.
#[derive(Clone)]
pub(super) struct Span {
    pub(super) start: i64,
    pub(super) end: i64,
    pub(super) bucketing: Bucketing,
}

const HOUR_MS: i64 = 3_600_000;

impl Span {
    /// The bucket of the hour `hour` after the start. Rows are grouped by hour in SQL and the
    /// hour's local day found here, so a day of 23 or 25 hours (daylight saving time) buckets
    /// as the roll-ups do.
    fn bucket_of_hour(&self, hour: i64) -> i64 {
        match &self.bucketing {
            Bucketing::Whole => 0,
            Bucketing::Days {
                tz,
                first_day,
                days,
            } => (kpi_rollup::local_day(tz, self.start + hour * HOUR_MS) - first_day) / days,
        }
    }
}

/// One grouped query of a family's measures over the span, by the time each row counts at.
async fn raw_family(
    db: &Db,
    family: &Family,
    span: &Span,
    filters: &KpiFilters,
    into: &mut Counts,
) -> Result<(), AppError> {
    let mut sql = Sql::default();
    let s = sql.int(span.start);
    let e = sql.int(span.end);
    let at = family.at;
    // By hour only when there are buckets to find.
    let hour = match span.bucketing {
        Bucketing::Whole => "0".to_string(),
        Bucketing::Days { .. } => format!("({at} - {s}) / {}", sql.int(HOUR_MS)),
    };
    let filter = sql.filters(filters, family.owner, "s");
    let sums: Vec<String> = family
        .facts
        .iter()
        .enumerate()
        .map(|(i, (_, fact))| format!("CAST(SUM({}) AS BIGINT) AS c{i}", fact.sql()))
        .collect();
    sql.text = format!(
        "SELECT CAST({hour} AS BIGINT) AS hour, {owner}.industry AS industry, {} {} \
         WHERE {} AND {at} >= {s} AND {at} < {e}{filter} GROUP BY 1, 2",
        sums.join(", "),
        family.from,
        family.counted,
        owner = family.owner,
    );
    for row in sql.fetch(db).await? {
        let values = family
            .facts
            .iter()
            .enumerate()
            .map(|(i, (measure, _))| {
                Ok((
                    *measure,
                    row.try_get::<Option<i64>, _>(i + 2)?.unwrap_or_default(),
                ))
            })
            .collect::<Result<Vec<_>, AppError>>()?;
        into.add(
            span.bucket_of_hour(row.try_get("hour")?),
            row.try_get("industry")?,
            &values,
        );
    }
    Ok(())
}

/// The measures per bucket over `[start, end)` counted from the raw tables: what a filter the
/// roll-ups are not keyed by (a destination city) reads.
pub(super) async fn raw_counts(db: &Db, span: &Span, f: &KpiFilters) -> Result<Counts, AppError> {
    let mut counts = Counts::default();
    for family in [&BOOKED, &DELIVERED, &RATED, &RESOLVED] {
        raw_family(db, family, span, f, &mut counts).await?;
    }
    Ok(counts)
}

/// The measures per bucket of the period and (if `previous`) of the one before, from the daily
/// roll-ups: one query over both.
pub(super) async fn rolled_counts(
    db: &Db,
    w: &Window,
    previous: bool,
) -> Result<(Counts, Counts), AppError> {
    let first: Date = w
        .period
        .from
        .parse()
        .or_internal("the period's first day")?;
    let prev_first: Date = w
        .previous
        .from
        .parse()
        .or_internal("the previous period's first day")?;
    let (first, prev_first) = (
        kpi_rollup::civil_day(first),
        kpi_rollup::civil_day(prev_first),
    );
    let end = first + w.period.days;
    let mut sql = Sql::default();
    let (from, to) = (
        sql.int(if previous { prev_first } else { first }),
        sql.int(end),
    );
    let filter = sql.filters(&w.filters, "d", "d");
    let sums: Vec<String> = MEASURES
        .iter()
        .map(|c| format!("CAST(SUM(d.{c}) AS BIGINT) AS {c}"))
        .collect();
    // One customer's figures read its own rows: a few hundred, however busy it is.
    let table = if w.filters.customer.is_some() {
        "kpi_customer_daily"
    } else {
        "kpi_daily"
    };
    sql.text = format!(
        "SELECT d.day, d.industry, {} FROM {table} d WHERE d.day >= {from} AND d.day < {to}\
         {filter} GROUP BY d.day, d.industry",
        sums.join(", ")
    );
    let bucket_days = w.bucket_ms() / DAY_MS;
    let (mut current, mut previous) = (Counts::default(), Counts::default());
    for row in sql.fetch(db).await? {
        let day: i64 = row.try_get("day")?;
        let (counts, offset) = if day >= first {
            (&mut current, day - first)
        } else {
            (&mut previous, day - prev_first)
        };
        let values = MEASURES
            .iter()
            .enumerate()
            .map(|(i, c)| Ok((i, row.try_get::<Option<i64>, _>(*c)?.unwrap_or_default())))
            .collect::<Result<Vec<_>, AppError>>()?;
        counts.add(offset / bucket_days, row.try_get("industry")?, &values);
    }
    Ok((current, previous))
}

/// Where a report's counts come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The daily roll-ups when they serve the filters and count in the report's time zone,
    /// else the raw tables.
    Best,
    /// The raw tables, always (a check on the roll-ups).
    Raw,
}

/// Whether the roll-ups can answer: they are keyed by customer, day, tier, industry and service
/// (not by destination city), and count days in one time zone.
pub(super) async fn rolled_up(
    db: &Db,
    w: &Window,
    time_zone: &str,
    source: Source,
) -> Result<bool, AppError> {
    if source == Source::Raw || w.filters.area.is_some() {
        return Ok(false);
    }
    Ok(kpi_rollup::time_zone_of(db).await?.as_deref() == Some(time_zone))
}

/// Resolution times of the complaints resolved in `[start, end)`, in minutes, for the median
/// and p90 (which need every one).
pub(super) async fn resolution_minutes(
    db: &Db,
    start: i64,
    end: i64,
    f: &KpiFilters,
) -> Result<Vec<i64>, AppError> {
    let mut sql = Sql::default();
    let s = sql.int(start);
    let e = sql.int(end);
    let filter = sql.filters(f, RESOLVED.owner, "s");
    sql.text = format!(
        "SELECT CAST({took} AS BIGINT) AS took {from} WHERE {counted} AND {at} >= {s} \
         AND {at} < {e}{filter}",
        took = fact(&RESOLVED, m::RESOLUTION_MINUTES).sql(),
        from = RESOLVED.from,
        counted = RESOLVED.counted,
        at = RESOLVED.at,
    );
    sql.fetch(db)
        .await?
        .iter()
        .map(|r| Ok(r.try_get::<i64, _>("took")?))
        .collect()
}

/// How a family's row adds to `measure`.
pub(super) fn fact(family: &Family, measure: usize) -> Fact {
    family
        .facts
        .iter()
        .find(|(m, _)| *m == measure)
        .map(|(_, fact)| *fact)
        .unwrap_or(Fact::Each)
}
