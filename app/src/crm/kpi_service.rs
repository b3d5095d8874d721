//! Counts the KPIs' numerators and denominators.
//!
//! What the dashboard reads, and why: the daily roll-ups (`kpi_daily`, kept by each event's own
//! transaction, see `kpi_rollup`), one row per local day, tier, industry and service. A year
//! with the year before is then ~40,000 small rows instead of a million shipments, so every
//! card stays well under its budget however large the history grows. One customer's figures
//! read the same rows kept per customer (`kpi_customer_daily`). A filter the roll-ups are not
//! keyed by (a destination city) reads the raw tables through indexes on the time each KPI is
//! counted by. Both paths sum the same measures, defined once as SQL (`kpi_rollup::Family`),
//! per bucket, and one function turns measures into each KPI's numerator and denominator; the
//! period's totals are the buckets' sums, so trend and card can never disagree. Median and p90
//! resolution times need every duration and always read the resolved complaints.

use std::collections::BTreeMap;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::ToSpan;
use sqlx::Row;

use super::kpis::{
    compare, percentiles, Bucket, DrillItem, DrillPage, IndustryKpis, Kpi, KpiFilters, KpiId,
    KpiQuery, KpiReport, KpiValue, ReportPeriod, TrendPoint, BUCKETS, MAX_AREA_CHARS, PERIODS,
};
use crate::domain::ServiceLevel;
use crate::domain::{single_line, Industry, Tier};
use crate::error::{AppError, FieldError, FieldErrors};
use crate::kpi_rollup::{
    self, m, Fact, Family, Measures, BOOKED, DELIVERED, MEASURES, RATED, RESOLVED,
};
use crate::platform::Db;

/// Longest period a report covers.
pub const MAX_DAYS: i64 = 731;
const DAY_MS: i64 = 86_400_000;
pub const MAX_PER_PAGE: i64 = 200;
/// A drill-down page's size when none is asked for.
pub const DEFAULT_PER_PAGE: i64 = 50;
/// The report's period when none is asked for.
const DEFAULT_PERIOD_DAYS: i64 = 30;

/// A parsed report request: the period and the one before it, in milliseconds.
#[derive(Debug, Clone, PartialEq)]
pub struct Window {
    pub period: ReportPeriod,
    pub previous: ReportPeriod,
    pub start: i64,
    pub end: i64,
    pub prev_start: i64,
    pub bucket: Bucket,
    pub filters: KpiFilters,
}

fn day_start(tz: &TimeZone, d: Date) -> Result<i64, AppError> {
    d.to_zoned(tz.clone())
        .map(|z| z.timestamp().as_millisecond())
        .map_err(|_| AppError::Internal)
}

fn plus_days(d: Date, n: i64) -> Result<Date, AppError> {
    d.checked_add(n.days()).map_err(|_| AppError::Internal)
}

/// Parses the period (`7d`, `30d`, `90d`, `365d`, or `from`-`to` dates, both included) and the
/// filters, naming each bad field. Days are counted in `tz`.
pub fn parse_query(q: &KpiQuery, tz: &TimeZone, now_ms: i64) -> Result<Window, AppError> {
    let mut errors = FieldErrors::new();
    let given = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
    };
    let today = jiff::Timestamp::from_millisecond(now_ms)
        .map_err(|_| AppError::Internal)?
        .to_zoned(tz.clone())
        .date();
    let date = |field: &str, v: &str, errors: &mut FieldErrors| match v.parse::<Date>() {
        Ok(d) => Some(d),
        Err(_) => {
            errors.insert(field.into(), FieldError::DateInvalid);
            None
        }
    };
    let (from, to) = match (given(&q.from), given(&q.to)) {
        (None, None) => {
            let days = match given(&q.period) {
                None => DEFAULT_PERIOD_DAYS,
                Some(period) => match PERIODS.iter().find(|(name, _)| *name == period) {
                    Some((_, days)) => *days,
                    None => {
                        errors.insert("period".into(), FieldError::Invalid);
                        DEFAULT_PERIOD_DAYS
                    }
                },
            };
            (Some(plus_days(today, 1 - days)?), Some(today))
        }
        (Some(f), Some(t)) => (date("from", &f, &mut errors), date("to", &t, &mut errors)),
        (None, Some(_)) => {
            errors.insert("from".into(), FieldError::Required);
            (None, None)
        }
        (Some(_), None) => {
            errors.insert("to".into(), FieldError::Required);
            (None, None)
        }
    };
    let mut days = 0;
    if let (Some(f), Some(t)) = (from, to) {
        days = (t - f).get_days() as i64 + 1;
        if t < f {
            errors.insert("to".into(), FieldError::WindowOrder);
        } else if days > MAX_DAYS {
            errors.insert(
                "to".into(),
                FieldError::TooLarge {
                    max: MAX_DAYS as usize,
                },
            );
        }
    }
    let mut filters = KpiFilters::default();
    if let Some(v) = given(&q.tier) {
        match Tier::parse(&v) {
            Some(t) => filters.tier = Some(t),
            None => {
                errors.insert("tier".into(), FieldError::Invalid);
            }
        }
    }
    if let Some(v) = given(&q.industry) {
        match Industry::parse(&v) {
            Ok(i) => filters.industry = Some(i),
            Err(e) => {
                errors.insert("industry".into(), e);
            }
        }
    }
    if let Some(v) = given(&q.service) {
        match ServiceLevel::parse(&v) {
            Some(s) => filters.service = Some(s),
            None => {
                errors.insert("service".into(), FieldError::ServiceUnknown);
            }
        }
    }
    if let Some(v) = given(&q.area) {
        match single_line(&v, MAX_AREA_CHARS, false) {
            Ok(a) => filters.area = a,
            Err(e) => {
                errors.insert("area".into(), e);
            }
        }
    }
    if let Some(v) = given(&q.customer) {
        match v.parse::<i64>() {
            Ok(id) if id > 0 => filters.customer = Some(id),
            _ => {
                errors.insert("customer".into(), FieldError::Invalid);
            }
        }
    }
    let bucket = match given(&q.bucket).as_deref() {
        None => {
            if days <= 31 {
                Bucket::Day
            } else {
                Bucket::Week
            }
        }
        Some(asked) => match BUCKETS.iter().find(|(name, _)| *name == asked) {
            Some((_, bucket)) => *bucket,
            None => {
                errors.insert("bucket".into(), FieldError::Invalid);
                Bucket::Day
            }
        },
    };
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let (from, to) = (
        from.ok_or(AppError::Internal)?,
        to.ok_or(AppError::Internal)?,
    );
    // A period at the calendar's ends has no period before it, or no day after it.
    let out_of_range = |field: &str| AppError::field(field, FieldError::DateInvalid);
    let prev_to = plus_days(from, -1).map_err(|_| out_of_range("from"))?;
    let prev_from = plus_days(from, -days).map_err(|_| out_of_range("from"))?;
    let start = day_start(tz, from).map_err(|_| out_of_range("from"))?;
    let prev_start = day_start(tz, prev_from).map_err(|_| out_of_range("from"))?;
    let end = plus_days(to, 1)
        .and_then(|after| day_start(tz, after))
        .map_err(|_| out_of_range("to"))?;
    Ok(Window {
        period: ReportPeriod {
            from: from.to_string(),
            to: to.to_string(),
            days,
        },
        previous: ReportPeriod {
            from: prev_from.to_string(),
            to: prev_to.to_string(),
            days,
        },
        start,
        end,
        prev_start,
        bucket,
        filters,
    })
}

impl Window {
    fn bucket_ms(&self) -> i64 {
        match self.bucket {
            Bucket::Day => DAY_MS,
            Bucket::Week => 7 * DAY_MS,
        }
    }

    fn buckets(&self) -> i64 {
        (self.period.days + self.bucket_ms() / DAY_MS - 1) / (self.bucket_ms() / DAY_MS)
    }
}

#[derive(Clone)]
enum Arg {
    Int(i64),
    Text(String),
}

/// SQL with `$n` placeholders numbered as arguments are added.
#[derive(Default)]
struct Sql {
    text: String,
    args: Vec<Arg>,
}

impl Sql {
    fn int(&mut self, v: i64) -> String {
        self.args.push(Arg::Int(v));
        format!("${}", self.args.len())
    }

    fn text(&mut self, v: &str) -> String {
        self.args.push(Arg::Text(v.to_string()));
        format!("${}", self.args.len())
    }

    /// `AND ...` for each filter. `owner` is the alias of the row that keeps the tier and
    /// industry it was counted under and its customer (the shipment or the complaint);
    /// `shipment` the one with the service and destination.
    fn filters(&mut self, f: &KpiFilters, owner: &str, shipment: &str) -> String {
        let mut out = String::new();
        if let Some(t) = f.tier {
            out += &format!(" AND {owner}.tier = {}", self.text(t.as_str()));
        }
        if let Some(i) = f.industry {
            out += &format!(" AND {owner}.industry = {}", self.text(i.as_str()));
        }
        if let Some(s) = f.service {
            out += &format!(" AND {shipment}.service = {}", self.text(s.as_str()));
        }
        if let Some(a) = &f.area {
            out += &format!(" AND {shipment}.recipient_city = {}", self.text(a));
        }
        if let Some(id) = f.customer {
            out += &format!(" AND {owner}.customer_id = {}", self.int(id));
        }
        out
    }

    async fn fetch(self, db: &Db) -> Result<Vec<sqlx::any::AnyRow>, AppError> {
        let mut q = sqlx::query(&self.text);
        for a in self.args {
            q = match a {
                Arg::Int(v) => q.bind(v),
                Arg::Text(v) => q.bind(v),
            };
        }
        Ok(q.fetch_all(&db.pool).await?)
    }
}

/// The measures per bucket (bucket index -> sums) and per industry over the whole span.
#[derive(Default)]
struct Counts {
    buckets: BTreeMap<i64, Measures>,
    by_industry: BTreeMap<String, Measures>,
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
    fn sum(&self) -> Measures {
        let mut sum = [0; 16];
        for bucket in self.buckets.values() {
            kpi_rollup::add(&mut sum, bucket, 1);
        }
        sum
    }
}

/// A KPI's numerator and denominator from the measures: the one place they are defined.
fn kpi_counts(kpi: KpiId, x: &Measures) -> (i64, i64) {
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
enum Bucketing {
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
struct Span {
    start: i64,
    end: i64,
    bucketing: Bucketing,
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
async fn raw_counts(db: &Db, span: &Span, f: &KpiFilters) -> Result<Counts, AppError> {
    let mut counts = Counts::default();
    for family in [&BOOKED, &DELIVERED, &RATED, &RESOLVED] {
        raw_family(db, family, span, f, &mut counts).await?;
    }
    Ok(counts)
}

/// The measures per bucket of the period and (if `previous`) of the one before, from the daily
/// roll-ups: one query over both.
async fn rolled_counts(db: &Db, w: &Window, previous: bool) -> Result<(Counts, Counts), AppError> {
    let first: Date = w.period.from.parse().map_err(|_| AppError::Internal)?;
    let prev_first: Date = w.previous.from.parse().map_err(|_| AppError::Internal)?;
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
async fn rolled_up(db: &Db, w: &Window, time_zone: &str, source: Source) -> Result<bool, AppError> {
    if source == Source::Raw || w.filters.area.is_some() {
        return Ok(false);
    }
    Ok(kpi_rollup::time_zone_of(db).await?.as_deref() == Some(time_zone))
}

/// Resolution times of the complaints resolved in `[start, end)`, in minutes, for the median
/// and p90 (which need every one).
async fn resolution_minutes(
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

fn total(kpi: KpiId, c: &Counts) -> KpiValue {
    let (num, den) = kpi_counts(kpi, &c.sum());
    KpiValue::of(kpi.unit(), num, den)
}

/// Every KPI of each industry, in `Industry::ALL`'s order.
fn by_industry(c: &Counts) -> Vec<IndustryKpis> {
    Industry::ALL
        .into_iter()
        .map(|industry| {
            let sums = c
                .by_industry
                .get(industry.as_str())
                .copied()
                .unwrap_or([0; 16]);
            IndustryKpis {
                industry,
                values: KpiId::ALL
                    .into_iter()
                    .map(|kpi| {
                        let (num, den) = kpi_counts(kpi, &sums);
                        KpiValue::of(kpi.unit(), num, den)
                    })
                    .collect(),
            }
        })
        .collect()
}

/// Every KPI over the window's period as one number each (no trend, no comparison): a
/// customer's own figures beside the base's on its 360.
pub async fn totals(
    db: &Db,
    w: &Window,
    time_zone: &str,
) -> Result<BTreeMap<KpiId, KpiValue>, AppError> {
    let counts = if rolled_up(db, w, time_zone, Source::Best).await? {
        rolled_counts(db, w, false).await?.0
    } else {
        let whole = Span {
            start: w.start,
            end: w.end,
            bucketing: Bucketing::Whole,
        };
        raw_counts(db, &whole, &w.filters).await?
    };
    Ok(KpiId::ALL
        .into_iter()
        .map(|kpi| (kpi, total(kpi, &counts)))
        .collect())
}

/// Every KPI over the window's period and the one before, with the trend.
pub async fn report(db: &Db, w: &Window, time_zone: &str) -> Result<KpiReport, AppError> {
    report_from(db, w, time_zone, Source::Best).await
}

/// [`report`], counted from `source`.
pub async fn report_from(
    db: &Db,
    w: &Window,
    time_zone: &str,
    source: Source,
) -> Result<KpiReport, AppError> {
    let bucket_ms = w.bucket_ms();
    let (current, previous) = if rolled_up(db, w, time_zone, source).await? {
        rolled_counts(db, w, true).await?
    } else {
        let tz = TimeZone::get(time_zone).map_err(|_| AppError::Internal)?;
        let days = bucket_ms / DAY_MS;
        let span = |start: i64, end: i64, from: &str| -> Result<Span, AppError> {
            let first: Date = from.parse().map_err(|_| AppError::Internal)?;
            Ok(Span {
                start,
                end,
                bucketing: Bucketing::Days {
                    tz: tz.clone(),
                    first_day: kpi_rollup::civil_day(first),
                    days,
                },
            })
        };
        let current = span(w.start, w.end, &w.period.from)?;
        let previous = span(w.prev_start, w.start, &w.previous.from)?;
        (
            raw_counts(db, &current, &w.filters).await?,
            raw_counts(db, &previous, &w.filters).await?,
        )
    };
    let mut minutes = resolution_minutes(db, w.start, w.end, &w.filters).await?;
    let (median, p90) = percentiles(&mut minutes);
    let first_day: Date = w.period.from.parse().map_err(|_| AppError::Internal)?;
    let mut kpis = Vec::new();
    for kpi in KpiId::ALL {
        let cur = total(kpi, &current);
        let prev = total(kpi, &previous);
        let (change, verdict) = compare(kpi, cur.value, prev.value);
        let (median, p90) = if kpi == KpiId::ResolutionTime {
            (median, p90)
        } else {
            (None, None)
        };
        let trend = (0..w.buckets())
            .map(|b| {
                let (num, den) = current
                    .buckets
                    .get(&b)
                    .map(|x| kpi_counts(kpi, x))
                    .unwrap_or((0, 0));
                Ok(TrendPoint {
                    from: plus_days(first_day, b * bucket_ms / DAY_MS)?.to_string(),
                    value: KpiValue::of(kpi.unit(), num, den),
                })
            })
            .collect::<Result<Vec<_>, AppError>>()?;
        kpis.push(Kpi {
            kpi,
            unit: kpi.unit(),
            current: cur,
            previous: prev,
            change,
            verdict,
            median,
            p90,
            trend,
        });
    }
    Ok(KpiReport {
        period: w.period.clone(),
        previous: w.previous.clone(),
        filters: w.filters.clone(),
        time_zone: time_zone.to_string(),
        bucket: w.bucket,
        kpis,
        by_industry: by_industry(&current),
    })
}

/// The rows behind a KPI's number over the window's period: the ones pulling it the wrong way,
/// newest (or, for resolution time, slowest) first.
pub async fn drill(
    db: &Db,
    w: &Window,
    kpi: KpiId,
    page: i64,
    per_page: i64,
    time_zone: &str,
) -> Result<DrillPage, AppError> {
    drill_from(db, w, kpi, (page, per_page), time_zone, Source::Best).await
}

/// How a family's row adds to `measure`.
fn fact(family: &Family, measure: usize) -> Fact {
    family
        .facts
        .iter()
        .find(|(m, _)| *m == measure)
        .map(|(_, fact)| *fact)
        .unwrap_or(Fact::Each)
}

/// The rows behind a KPI's drill-down: a family's rows where a measure's fact holds (or, when
/// `false`, fails: the late ones, the low scores, the complaints over their SLA).
fn drill_rows(kpi: KpiId) -> (&'static Family, usize, bool) {
    match kpi {
        KpiId::OnTime => (&DELIVERED, m::ON_TIME, false),
        KpiId::DamageRate => (&DELIVERED, m::DAMAGED, true),
        KpiId::OrderAccuracy => (&BOOKED, m::WRONG_DELIVERY, true),
        KpiId::ComplaintRate => (&BOOKED, m::COMPLAINED, true),
        KpiId::ExceptionRate => (&BOOKED, m::EXCEPTIONS, true),
        KpiId::ResolutionTime => (&RESOLVED, m::RESOLVED, true),
        KpiId::ResolutionWithinSla => (&RESOLVED, m::RESOLVED_IN_SLA, false),
        KpiId::Csat | KpiId::CsatMean => (&RATED, m::CSAT_GOOD, false),
        KpiId::Nps => (&RATED, m::DETRACTORS, true),
    }
}

/// How many rows a drill-down lists, from the measures: the card's own count, so the list and
/// the number it opens from always agree.
fn drill_total(kpi: KpiId, x: &Measures) -> i64 {
    let (family, measure, holds) = drill_rows(kpi);
    if holds {
        x[measure]
    } else {
        x[family.facts[0].0] - x[measure]
    }
}

/// A drill-down's `page` (from 1; 1 when absent) and `per_page` (1 to [`MAX_PER_PAGE`];
/// [`DEFAULT_PER_PAGE`] when absent), as the API takes them: anything else is refused naming
/// the parameter.
pub fn paging(page: Option<i64>, per_page: Option<i64>) -> Result<(i64, i64), AppError> {
    let (page, per_page) = (page.unwrap_or(1), per_page.unwrap_or(DEFAULT_PER_PAGE));
    let mut errors = FieldErrors::new();
    if page < 1 {
        errors.insert("page".into(), FieldError::MustBePositive);
    }
    if per_page < 1 {
        errors.insert("per_page".into(), FieldError::MustBePositive);
    } else if per_page > MAX_PER_PAGE {
        errors.insert(
            "per_page".into(),
            FieldError::TooLarge {
                max: MAX_PER_PAGE as usize,
            },
        );
    }
    if errors.is_empty() {
        Ok((page, per_page))
    } else {
        Err(AppError::Validation(errors))
    }
}

/// [`drill`], its total counted from `source`.
pub async fn drill_from(
    db: &Db,
    w: &Window,
    kpi: KpiId,
    (page, per_page): (i64, i64),
    time_zone: &str,
    source: Source,
) -> Result<DrillPage, AppError> {
    let per_page = per_page.clamp(1, MAX_PER_PAGE);
    let page = page.max(1);
    let mut sql = Sql::default();
    let s = sql.int(w.start);
    let e = sql.int(w.end);
    let (family, measure, holds) = drill_rows(kpi);
    let filter = sql.filters(&w.filters, family.owner, "s");
    let condition = match (fact(family, measure), holds) {
        (Fact::When(c), true) => format!(" AND {c}"),
        (Fact::When(c), false) => format!(" AND NOT ({c})"),
        _ => String::new(),
    };
    let at = family.at;
    // With the customer's name; the tier shown is the one the row was counted under.
    let rows = format!(
        "{} JOIN customers c ON c.id = {}.customer_id WHERE {} AND {at} >= {s} AND {at} < {e}\
         {filter}{condition}",
        family.from, family.owner, family.counted
    );
    let (columns, order) = match kpi {
        KpiId::OnTime => (
            "'shipment' AS kind, s.id AS id, s.promised_to AS detail",
            "at DESC, id DESC",
        ),
        KpiId::ResolutionTime | KpiId::ResolutionWithinSla => (
            "'complaint' AS kind, k.id AS id, k.category AS detail, \
             k.resolved_at - k.created_at AS took",
            "took DESC, id DESC",
        ),
        KpiId::Csat | KpiId::CsatMean => (
            "'rating' AS kind, s.id AS id, CAST(r.csat AS TEXT) AS detail",
            "at DESC, id DESC",
        ),
        KpiId::Nps => (
            "'rating' AS kind, s.id AS id, CAST(r.nps AS TEXT) AS detail",
            "at DESC, id DESC",
        ),
        _ => (
            "'shipment' AS kind, s.id AS id, s.status AS detail",
            "at DESC, id DESC",
        ),
    };
    let body = format!(
        "SELECT {columns}, s.tracking_number AS tn, c.id AS cid, c.name AS cname, \
         {owner}.tier AS tier, {at} AS at {rows}",
        owner = family.owner
    );
    let total = if rolled_up(db, w, time_zone, source).await? {
        drill_total(kpi, &rolled_counts(db, w, false).await?.0.sum())
    } else {
        // The same arguments bind the count and the page.
        let count_sql = Sql {
            text: format!("SELECT COUNT(*) AS n FROM ({body}) x"),
            args: sql.args.clone(),
        };
        count_sql.fetch(db).await?[0].try_get("n")?
    };
    let limit = sql.int(per_page);
    // Saturating: a page far past the last is empty, not an overflow.
    let offset = sql.int((page - 1).saturating_mul(per_page));
    sql.text = format!("SELECT * FROM ({body}) x ORDER BY {order} LIMIT {limit} OFFSET {offset}");
    let items = sql
        .fetch(db)
        .await?
        .iter()
        .map(|r| {
            Ok(DrillItem {
                kind: r.try_get("kind")?,
                id: r.try_get("id")?,
                tracking_number: r.try_get("tn")?,
                customer_id: r.try_get("cid")?,
                customer_name: r.try_get("cname")?,
                tier: Tier::parse(&r.try_get::<String, _>("tier")?).ok_or(AppError::Internal)?,
                at: r.try_get("at")?,
                detail: r.try_get("detail")?,
            })
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    Ok(DrillPage {
        kpi,
        period: w.period.clone(),
        total,
        page,
        per_page,
        items,
    })
}

/// A drill-down page as CSV (UTF-8 with a byte-order mark, so spreadsheet programs read the
/// Chinese names right).
pub fn drill_csv(page: &DrillPage) -> String {
    let mut out =
        String::from("\u{feff}kind,id,tracking_number,customer_id,customer,tier,at,detail\n");
    let cell = |s: &str| {
        // Formula-looking cells are quoted with a leading apostrophe (CSV injection).
        let s = if s.starts_with(['=', '+', '-', '@']) {
            format!("'{s}")
        } else {
            s.to_string()
        };
        format!("\"{}\"", s.replace('"', "\"\""))
    };
    for i in &page.items {
        let at = jiff::Timestamp::from_millisecond(i.at)
            .map(|t| t.to_string())
            .unwrap_or_default();
        out += &format!(
            "{},{},{},{},{},{},{},{}\n",
            i.kind,
            i.id,
            cell(i.tracking_number.as_deref().unwrap_or("")),
            i.customer_id,
            cell(&i.customer_name),
            i.tier.as_str(),
            at,
            cell(&i.detail)
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shanghai() -> TimeZone {
        TimeZone::get("Asia/Shanghai").unwrap()
    }

    fn query(pairs: &[(&str, &str)]) -> KpiQuery {
        let mut q = KpiQuery::default();
        for (k, v) in pairs {
            let v = Some(v.to_string());
            match *k {
                "period" => q.period = v,
                "from" => q.from = v,
                "to" => q.to = v,
                "tier" => q.tier = v,
                "industry" => q.industry = v,
                "service" => q.service = v,
                "area" => q.area = v,
                "bucket" => q.bucket = v,
                "customer" => q.customer = v,
                _ => unreachable!(),
            }
        }
        q
    }

    // 2026-03-10T12:00:00Z
    const NOW: i64 = 1_773_144_000_000;

    #[test]
    fn a_period_is_whole_local_days_and_the_previous_one_as_long() {
        let w = parse_query(
            &query(&[("from", "2026-03-01"), ("to", "2026-03-07")]),
            &shanghai(),
            NOW,
        )
        .unwrap();
        assert_eq!(w.period.days, 7);
        assert_eq!(
            (w.previous.from.as_str(), w.previous.to.as_str()),
            ("2026-02-22", "2026-02-28")
        );
        // Midnight in Shanghai is 16:00 UTC the day before.
        assert_eq!(w.start, 1_772_294_400_000); // 2026-02-28T16:00:00Z
        assert_eq!(w.end - w.start, 7 * DAY_MS);
        assert_eq!(w.start - w.prev_start, 7 * DAY_MS);
        assert_eq!(w.bucket, Bucket::Day);
    }

    #[test]
    fn the_last_n_days_end_today_in_the_time_zone() {
        let w = parse_query(&query(&[("period", "7d")]), &shanghai(), NOW).unwrap();
        assert_eq!(
            (w.period.from.as_str(), w.period.to.as_str()),
            ("2026-03-04", "2026-03-10")
        );
        let w = parse_query(&query(&[]), &shanghai(), NOW).unwrap();
        assert_eq!(w.period.days, 30);
        let w = parse_query(&query(&[("period", "365d")]), &shanghai(), NOW).unwrap();
        assert_eq!(w.bucket, Bucket::Week);
        assert_eq!(w.buckets(), 53);
    }

    #[test]
    fn paging_outside_its_bounds_is_refused_by_name() {
        assert_eq!(paging(None, None).unwrap(), (1, DEFAULT_PER_PAGE));
        assert_eq!(
            paging(Some(i64::MAX), Some(MAX_PER_PAGE)).unwrap().1,
            MAX_PER_PAGE
        );
        let err = paging(Some(0), Some(MAX_PER_PAGE + 1)).unwrap_err();
        assert_eq!(err.field_error("page"), Some(FieldError::MustBePositive));
        assert_eq!(
            err.field_error("per_page"),
            Some(FieldError::TooLarge {
                max: MAX_PER_PAGE as usize,
            })
        );
        let err = paging(Some(1), Some(i64::MIN)).unwrap_err();
        assert_eq!(
            err.field_error("per_page"),
            Some(FieldError::MustBePositive)
        );
    }

    #[test]
    fn every_named_period_and_bucket_is_read() {
        for (name, days) in PERIODS {
            let w = parse_query(&query(&[("period", name)]), &shanghai(), NOW).unwrap();
            assert_eq!(w.period.days, days, "{name}");
        }
        for (name, bucket) in BUCKETS {
            let w = parse_query(&query(&[("bucket", name)]), &shanghai(), NOW).unwrap();
            assert_eq!(w.bucket, bucket, "{name}");
        }
    }

    /// A day the document allows is never a server error: a period with no day after it
    /// names `to`.
    #[test]
    fn a_period_at_the_end_of_the_calendar_is_refused_by_name() {
        let q = query(&[("from", "9999-12-31"), ("to", "9999-12-31")]);
        let err = parse_query(&q, &shanghai(), NOW).unwrap_err();
        assert_eq!(err.field_error("to"), Some(FieldError::DateInvalid));
        let q = query(&[("from", "0001-01-01"), ("to", "0001-01-31")]);
        assert_eq!(parse_query(&q, &shanghai(), NOW).unwrap().period.days, 31);
    }

    #[test]
    fn bad_periods_and_filters_name_their_field() {
        let field = |pairs: &[(&str, &str)]| match parse_query(&query(pairs), &shanghai(), NOW) {
            Err(e) => e.fields().cloned().unwrap_or_default(),
            Ok(_) => FieldErrors::new(),
        };
        assert_eq!(
            field(&[("from", "2026-03-07"), ("to", "2026-03-01")]).get("to"),
            Some(&FieldError::WindowOrder)
        );
        assert_eq!(
            field(&[("from", "2024-01-01"), ("to", "2026-01-01")]).get("to"),
            Some(&FieldError::TooLarge { max: 731 })
        );
        assert!(
            field(&[("from", "2024-01-01"), ("to", "2025-12-31")]).is_empty(),
            "731 days is allowed"
        );
        assert_eq!(
            field(&[("from", "2026-02-30"), ("to", "2026-03-01")]).get("from"),
            Some(&FieldError::DateInvalid)
        );
        assert_eq!(
            field(&[("to", "2026-03-01")]).get("from"),
            Some(&FieldError::Required)
        );
        assert_eq!(
            field(&[("period", "2w")]).get("period"),
            Some(&FieldError::Invalid)
        );
        assert_eq!(
            field(&[("tier", "gold")]).get("tier"),
            Some(&FieldError::Invalid)
        );
        assert_eq!(
            field(&[("industry", "mining")]).get("industry"),
            Some(&FieldError::IndustryInvalid)
        );
        assert_eq!(
            field(&[("service", "teleport")]).get("service"),
            Some(&FieldError::ServiceUnknown)
        );
        assert_eq!(
            field(&[("bucket", "hour")]).get("bucket"),
            Some(&FieldError::Invalid)
        );
    }

    #[test]
    fn a_drill_down_lists_the_rows_its_card_counts_against() {
        for kpi in KpiId::ALL {
            let (family, measure, _) = drill_rows(kpi);
            assert!(
                family.facts.iter().any(|(m, _)| *m == measure),
                "{kpi:?} drills into a measure its family does not count"
            );
        }
        let mut x = [0; 16];
        (x[m::DELIVERED], x[m::ON_TIME], x[m::DAMAGED]) = (10, 7, 2);
        (x[m::RATINGS], x[m::CSAT_GOOD], x[m::DETRACTORS]) = (5, 4, 1);
        assert_eq!(drill_total(KpiId::OnTime, &x), 3, "the late ones");
        assert_eq!(drill_total(KpiId::DamageRate, &x), 2);
        assert_eq!(drill_total(KpiId::Csat, &x), 1, "the low scores");
        assert_eq!(drill_total(KpiId::Nps, &x), 1);
    }

    #[test]
    fn csv_quotes_names_and_defuses_formulas() {
        let page = DrillPage {
            kpi: KpiId::OnTime,
            period: ReportPeriod {
                from: "2026-03-01".into(),
                to: "2026-03-01".into(),
                days: 1,
            },
            total: 1,
            page: 1,
            per_page: 50,
            items: vec![DrillItem {
                kind: "shipment".into(),
                id: 7,
                tracking_number: Some("RR123456785CN".into()),
                customer_id: 3,
                customer_name: "=HYPERLINK(\"x\") \"莲花\"".into(),
                tier: Tier::Vip,
                at: 0,
                detail: "2026-03-01".into(),
            }],
        };
        let csv = drill_csv(&page);
        let line = csv.lines().nth(1).unwrap();
        assert!(
            line.contains("\"'=HYPERLINK(\"\"x\"\") \"\"莲花\"\"\""),
            "{line}"
        );
        assert!(line.starts_with("shipment,7,\"RR123456785CN\",3,"));
    }
}
