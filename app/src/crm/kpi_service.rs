//! Counts the KPIs' numerators and denominators from the tables the customer side writes.
//!
//! What the dashboard reads, and why: the raw tables, through indexes on the time each KPI is
//! counted by (`shipments.created_at`, `shipments.delivered_at`, `complaints.resolved_at`,
//! `ratings.created_at`). A shipment's journey facts (delivered when, on time or not, ever an
//! exception, scanned damaged) are columns written by the scan that establishes them, in the
//! scan's transaction, so a KPI reads one row per shipment and never its events. Each family of
//! KPIs is one grouped query per period whose groups are the trend's buckets; the period's
//! totals are the buckets' sums, so trend and card can never disagree.

use std::collections::BTreeMap;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::ToSpan;
use sqlx::Row;

use super::kpis::{
    compare, percentiles, Bucket, DrillItem, DrillPage, Kpi, KpiFilters, KpiId, KpiQuery,
    KpiReport, KpiValue, ReportPeriod, TrendPoint,
};
use crate::domain::{single_line, Industry, Tier};
use crate::error::{AppError, FieldError, FieldErrors};
use crate::orders::ServiceLevel;
use crate::platform::Db;

/// Longest period a report covers.
pub const MAX_DAYS: i64 = 731;
const DAY_MS: i64 = 86_400_000;
pub const MAX_PER_PAGE: i64 = 200;

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
            let days = match given(&q.period).as_deref() {
                None | Some("30d") => 30,
                Some("7d") => 7,
                Some("90d") => 90,
                Some("365d") => 365,
                Some(_) => {
                    errors.insert("period".into(), FieldError::Invalid);
                    30
                }
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
        match single_line(&v, 80, false) {
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
        Some("day") => Bucket::Day,
        Some("week") => Bucket::Week,
        Some(_) => {
            errors.insert("bucket".into(), FieldError::Invalid);
            Bucket::Day
        }
    };
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let (from, to) = (
        from.ok_or(AppError::Internal)?,
        to.ok_or(AppError::Internal)?,
    );
    let prev_to = plus_days(from, -1)?;
    let prev_from = plus_days(from, -days)?;
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
        start: day_start(tz, from)?,
        end: day_start(tz, plus_days(to, 1)?)?,
        prev_start: day_start(tz, prev_from)?,
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

    /// `AND ...` for each filter; `c` is the customer, `s` the shipment.
    fn filters(&mut self, f: &KpiFilters) -> String {
        let mut out = String::new();
        if let Some(t) = f.tier {
            out += &format!(" AND c.tier = {}", self.text(t.as_str()));
        }
        if let Some(i) = f.industry {
            out += &format!(" AND c.industry = {}", self.text(i.as_str()));
        }
        if let Some(s) = f.service {
            out += &format!(" AND s.service = {}", self.text(s.as_str()));
        }
        if let Some(a) = &f.area {
            out += &format!(" AND s.recipient_city = {}", self.text(a));
        }
        if let Some(id) = f.customer {
            out += &format!(" AND c.id = {}", self.int(id));
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

/// Counts per bucket: bucket index -> the family's columns.
type Counts = BTreeMap<i64, Vec<i64>>;

/// `[start, end)` cut into buckets of `bucket_ms`.
#[derive(Clone, Copy)]
struct Span {
    start: i64,
    end: i64,
    bucket_ms: i64,
}

/// One grouped query over the span by the time column `at`; `columns` are the sums.
async fn counts(
    db: &Db,
    from_where: &str,
    at: &str,
    columns: &[&str],
    Span {
        start,
        end,
        bucket_ms,
    }: Span,
    filters: &KpiFilters,
) -> Result<Counts, AppError> {
    let mut sql = Sql::default();
    let s = sql.int(start);
    let e = sql.int(end);
    let b = sql.int(bucket_ms);
    let filter = sql.filters(filters);
    let sums: Vec<String> = columns
        .iter()
        .enumerate()
        .map(|(i, c)| format!("CAST(SUM({c}) AS BIGINT) AS c{i}"))
        .collect();
    sql.text = format!(
        "SELECT CAST(({at} - {s}) / {b} AS BIGINT) AS bucket, {} {from_where} \
         AND {at} >= {s} AND {at} < {e}{filter} GROUP BY 1",
        sums.join(", ")
    );
    let mut out = Counts::new();
    for row in sql.fetch(db).await? {
        let cols = (0..columns.len())
            .map(|i| {
                row.try_get::<Option<i64>, _>(i + 1)
                    .map(Option::unwrap_or_default)
            })
            .collect::<Result<Vec<_>, _>>()?;
        out.insert(row.try_get("bucket")?, cols);
    }
    Ok(out)
}

const SHIPMENTS_FROM: &str = "FROM shipments s JOIN customers c ON c.id = s.customer_id \
     WHERE s.status <> 'cancelled'";
const COMPLAINTS_FROM: &str = "FROM complaints k JOIN customers c ON c.id = k.customer_id \
     LEFT JOIN shipments s ON s.id = k.shipment_id WHERE k.resolved_at IS NOT NULL";
const RATINGS_FROM: &str = "FROM ratings r JOIN shipments s ON s.id = r.shipment_id \
     JOIN customers c ON c.id = r.customer_id WHERE 1 = 1";
const HAS_COMPLAINT: &str = "EXISTS (SELECT 1 FROM complaints k WHERE k.shipment_id = s.id)";
const HAS_WRONG_DELIVERY: &str = "EXISTS (SELECT 1 FROM complaints k WHERE k.shipment_id = s.id \
     AND k.category = 'wrong_delivery')";
const DAMAGED: &str = "(s.damaged = 1 OR EXISTS (SELECT 1 FROM complaints k \
     WHERE k.shipment_id = s.id AND k.category = 'damage'))";

fn flag(condition: &str) -> String {
    format!("CASE WHEN {condition} THEN 1 ELSE 0 END")
}

/// Every KPI's counts per bucket over one period.
struct PeriodCounts {
    /// Per KPI: bucket -> (numerator, denominator).
    by_kpi: BTreeMap<KpiId, BTreeMap<i64, (i64, i64)>>,
    resolution_minutes: Vec<i64>,
}

async fn period_counts(
    db: &Db,
    start: i64,
    end: i64,
    bucket_ms: i64,
    f: &KpiFilters,
) -> Result<PeriodCounts, AppError> {
    let span = Span {
        start,
        end,
        bucket_ms,
    };
    let booked = counts(
        db,
        SHIPMENTS_FROM,
        "s.created_at",
        &[
            "1",
            &flag(HAS_WRONG_DELIVERY),
            &flag(HAS_COMPLAINT),
            "s.had_exception",
        ],
        span,
        f,
    )
    .await?;
    let delivered = counts(
        db,
        SHIPMENTS_FROM,
        "s.delivered_at",
        &["1", "s.delivered_on_time", &flag(DAMAGED)],
        span,
        f,
    )
    .await?;
    let rated = counts(
        db,
        RATINGS_FROM,
        "r.created_at",
        &[
            "1",
            &flag("r.csat >= 4"),
            "r.csat",
            &flag("r.nps IS NOT NULL"),
            &flag("r.nps >= 9"),
            &flag("r.nps <= 6"),
        ],
        span,
        f,
    )
    .await?;
    // Resolution times are read one by one: the median and p90 need them all.
    let mut sql = Sql::default();
    let s = sql.int(start);
    let e = sql.int(end);
    let b = sql.int(bucket_ms);
    let filter = sql.filters(f);
    sql.text = format!(
        "SELECT CAST((k.resolved_at - {s}) / {b} AS BIGINT) AS bucket, \
         k.resolved_at - k.created_at AS took, \
         CASE WHEN k.resolved_at <= k.resolution_due THEN 1 ELSE 0 END AS in_sla \
         {COMPLAINTS_FROM} AND k.resolved_at >= {s} AND k.resolved_at < {e}{filter}"
    );
    let mut resolution: BTreeMap<i64, (i64, i64, i64)> = BTreeMap::new();
    let mut minutes = Vec::new();
    for row in sql.fetch(db).await? {
        let took: i64 = row.try_get::<i64, _>("took")? / 60_000;
        let in_sla: i64 = row.try_get("in_sla")?;
        let e = resolution.entry(row.try_get("bucket")?).or_default();
        e.0 += took;
        e.1 += in_sla;
        e.2 += 1;
        minutes.push(took);
    }
    let mut by_kpi: BTreeMap<KpiId, BTreeMap<i64, (i64, i64)>> = BTreeMap::new();
    let mut put = |kpi: KpiId, bucket: i64, num: i64, den: i64| {
        by_kpi.entry(kpi).or_default().insert(bucket, (num, den));
    };
    for (&b, c) in &booked {
        put(KpiId::OrderAccuracy, b, c[0] - c[1], c[0]);
        put(KpiId::ComplaintRate, b, c[2], c[0]);
        put(KpiId::ExceptionRate, b, c[3], c[0]);
    }
    for (&b, c) in &delivered {
        put(KpiId::OnTime, b, c[1], c[0]);
        put(KpiId::DamageRate, b, c[2], c[0]);
    }
    for (&b, c) in &rated {
        put(KpiId::Csat, b, c[1], c[0]);
        put(KpiId::CsatMean, b, c[2], c[0]);
        put(KpiId::Nps, b, c[4] - c[5], c[3]);
    }
    for (&b, &(took, in_sla, n)) in &resolution {
        put(KpiId::ResolutionTime, b, took, n);
        put(KpiId::ResolutionWithinSla, b, in_sla, n);
    }
    Ok(PeriodCounts {
        by_kpi,
        resolution_minutes: minutes,
    })
}

fn total(kpi: KpiId, c: &PeriodCounts) -> KpiValue {
    let (num, den) = c
        .by_kpi
        .get(&kpi)
        .map(|b| b.values().fold((0, 0), |(n, d), (bn, bd)| (n + bn, d + bd)))
        .unwrap_or((0, 0));
    KpiValue::of(kpi.unit(), num, den)
}

/// Every KPI over `[start, end)` as one number each (no trend, no comparison): a customer's
/// own figures beside the base's on its 360.
pub async fn totals(
    db: &Db,
    start: i64,
    end: i64,
    filters: &KpiFilters,
) -> Result<BTreeMap<KpiId, KpiValue>, AppError> {
    let counts = period_counts(db, start, end, (end - start).max(1), filters).await?;
    Ok(KpiId::ALL
        .into_iter()
        .map(|kpi| (kpi, total(kpi, &counts)))
        .collect())
}

/// Every KPI over the window's period and the one before, with the trend.
pub async fn report(db: &Db, w: &Window, time_zone: &str) -> Result<KpiReport, AppError> {
    let bucket_ms = w.bucket_ms();
    let current = period_counts(db, w.start, w.end, bucket_ms, &w.filters).await?;
    let previous = period_counts(db, w.prev_start, w.start, bucket_ms, &w.filters).await?;
    let first_day: Date = w.period.from.parse().map_err(|_| AppError::Internal)?;
    let mut kpis = Vec::new();
    for kpi in KpiId::ALL {
        let cur = total(kpi, &current);
        let prev = total(kpi, &previous);
        let (change, verdict) = compare(kpi, cur.value, prev.value);
        let (median, p90) = if kpi == KpiId::ResolutionTime {
            percentiles(&mut current.resolution_minutes.clone())
        } else {
            (None, None)
        };
        let per_bucket = current.by_kpi.get(&kpi);
        let trend = (0..w.buckets())
            .map(|b| {
                let (num, den) = per_bucket
                    .and_then(|m| m.get(&b).copied())
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
) -> Result<DrillPage, AppError> {
    let per_page = per_page.clamp(1, MAX_PER_PAGE);
    let page = page.max(1);
    let mut sql = Sql::default();
    let s = sql.int(w.start);
    let e = sql.int(w.end);
    let filter = sql.filters(&w.filters);
    let shipments = |at: &str, condition: &str, detail: &str| {
        format!(
            "SELECT 'shipment' AS kind, s.id AS id, s.tracking_number AS tn, c.id AS cid, \
             c.name AS cname, c.tier AS tier, {at} AS at, {detail} AS detail \
             {SHIPMENTS_FROM} AND {at} >= {s} AND {at} < {e}{filter} AND {condition}"
        )
    };
    let (body, order) = match kpi {
        KpiId::OnTime => (
            shipments("s.delivered_at", "s.delivered_on_time = 0", "s.promised_to"),
            "at DESC, id DESC",
        ),
        KpiId::DamageRate => (
            shipments("s.delivered_at", DAMAGED, "s.status"),
            "at DESC, id DESC",
        ),
        KpiId::OrderAccuracy => (
            shipments("s.created_at", HAS_WRONG_DELIVERY, "s.status"),
            "at DESC, id DESC",
        ),
        KpiId::ComplaintRate => (
            shipments("s.created_at", HAS_COMPLAINT, "s.status"),
            "at DESC, id DESC",
        ),
        KpiId::ExceptionRate => (
            shipments("s.created_at", "s.had_exception = 1", "s.status"),
            "at DESC, id DESC",
        ),
        KpiId::ResolutionTime | KpiId::ResolutionWithinSla => {
            let over = if kpi == KpiId::ResolutionWithinSla {
                " AND k.resolved_at > k.resolution_due"
            } else {
                ""
            };
            (
                format!(
                    "SELECT 'complaint' AS kind, k.id AS id, s.tracking_number AS tn, \
                     c.id AS cid, c.name AS cname, c.tier AS tier, k.resolved_at AS at, \
                     k.category AS detail, k.resolved_at - k.created_at AS took \
                     {COMPLAINTS_FROM} AND k.resolved_at >= {s} AND k.resolved_at < {e}\
                     {filter}{over}"
                ),
                "took DESC, id DESC",
            )
        }
        KpiId::Csat | KpiId::CsatMean | KpiId::Nps => {
            let condition = if kpi == KpiId::Nps {
                "r.nps <= 6"
            } else {
                "r.csat <= 3"
            };
            let detail = if kpi == KpiId::Nps { "r.nps" } else { "r.csat" };
            (
                format!(
                    "SELECT 'rating' AS kind, s.id AS id, s.tracking_number AS tn, c.id AS cid, \
                     c.name AS cname, c.tier AS tier, r.created_at AS at, \
                     CAST({detail} AS TEXT) AS detail {RATINGS_FROM} AND r.created_at >= {s} \
                     AND r.created_at < {e}{filter} AND {condition}"
                ),
                "at DESC, id DESC",
            )
        }
    };
    let mut count_sql = Sql {
        text: format!("SELECT COUNT(*) AS n FROM ({body}) x"),
        args: Vec::new(),
    };
    // The same arguments bind the count and the page.
    count_sql.args = sql.args.clone();
    let total: i64 = count_sql.fetch(db).await?[0].try_get("n")?;
    let limit = sql.int(per_page);
    let offset = sql.int((page - 1) * per_page);
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
