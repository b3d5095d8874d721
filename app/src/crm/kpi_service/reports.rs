//! The KPI report: every KPI over the period with the one before and the trend, and a
//! customer's own totals.

use std::collections::BTreeMap;

use jiff::civil::Date;
use jiff::tz::TimeZone;

use super::counts::{
    kpi_counts, raw_counts, resolution_minutes, rolled_counts, rolled_up, Bucketing, Counts,
    Source, Span,
};
use super::window::{plus_days, Window, DAY_MS};
use crate::crm::kpis::{
    compare, percentiles, IndustryKpis, Kpi, KpiId, KpiReport, KpiValue, TrendPoint,
};
use crate::domain::Industry;
use crate::error::{AppError, OrInternal};
use crate::kpi_rollup;
use crate::platform::Db;

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
#[tracing::instrument(level = "debug", skip_all)]
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
#[tracing::instrument(level = "debug", skip_all)]
pub async fn report(db: &Db, w: &Window, time_zone: &str) -> Result<KpiReport, AppError> {
    report_from(db, w, time_zone, Source::Best).await
}

/// [`report`], counted from `source`.
#[tracing::instrument(level = "debug", skip_all)]
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
        let tz = TimeZone::get(time_zone).or_internal("the reporting time zone")?;
        let days = bucket_ms / DAY_MS;
        let span = |start: i64, end: i64, from: &str| -> Result<Span, AppError> {
            let first: Date = from.parse().or_internal("a bucket's first day")?;
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
    let first_day: Date = w
        .period
        .from
        .parse()
        .or_internal("the period's first day")?;
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
