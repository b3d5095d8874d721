//! The measures the care team reads (DESIGN.md, "Measures the care team reads"): each KPI is a
//! numerator over a denominator counted from shipments, complaints and ratings over a period,
//! compared with the period of equal length before it. The arithmetic lives here, written once
//! and tested at its edges; `kpi_service` counts the rows.

use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::domain::schema::{
    one_of_or_empty, schema_type, DateOrEmpty, IdOrEmpty, IndustryOrEmpty, TierOrEmpty,
};
use crate::domain::ServiceLevel;
use crate::domain::{Industry, Tier};
use crate::i18n::Texts;

crate::domain::vocabulary! {
    own parse;
    #[derive(PartialOrd, Ord)]
    #[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
    pub enum KpiId {
        /// Delivered within the promised window / delivered.
        OnTime,
        /// Shipments with no `wrong_delivery` complaint / shipments.
        OrderAccuracy,
        /// Delivered shipments scanned `damaged` or with a `damage` complaint / delivered.
        DamageRate,
        /// Shipments with at least one complaint / shipments.
        ComplaintRate,
        /// Shipments that ever entered an exception status / shipments.
        ExceptionRate,
        /// Complaints resolved in the period: mean hours from opened to resolved (median and p90
        /// beside it).
        ResolutionTime,
        /// Complaints resolved by their SLA due time / complaints resolved.
        ResolutionWithinSla,
        /// Ratings of 4 or 5 / ratings.
        Csat,
        /// Mean stars of the ratings.
        CsatMean,
        /// % promoters (9-10) - % detractors (0-6) of the NPS answers.
        Nps,
    }
}

/// How a KPI's value reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum KpiUnit {
    /// 100 * numerator / denominator.
    Percent,
    /// numerator (minutes) / denominator / 60.
    Hours,
    /// numerator (stars) / denominator.
    Stars,
    /// 100 * numerator (promoters - detractors) / denominator, -100..100.
    Score,
}

impl KpiId {
    pub fn parse(s: &str) -> Option<KpiId> {
        s.trim().parse().ok()
    }

    pub fn unit(self) -> KpiUnit {
        match self {
            KpiId::ResolutionTime => KpiUnit::Hours,
            KpiId::CsatMean => KpiUnit::Stars,
            KpiId::Nps => KpiUnit::Score,
            _ => KpiUnit::Percent,
        }
    }

    /// Whether a rising value is good news (a falling complaint rate is).
    pub fn higher_is_better(self) -> bool {
        !matches!(
            self,
            KpiId::DamageRate | KpiId::ComplaintRate | KpiId::ExceptionRate | KpiId::ResolutionTime
        )
    }

    pub fn label(self, t: &Texts) -> &'static str {
        match self {
            KpiId::OnTime => t.kpi_on_time,
            KpiId::OrderAccuracy => t.kpi_order_accuracy,
            KpiId::DamageRate => t.kpi_damage_rate,
            KpiId::ComplaintRate => t.kpi_complaint_rate,
            KpiId::ExceptionRate => t.kpi_exception_rate,
            KpiId::ResolutionTime => t.kpi_resolution_time,
            KpiId::ResolutionWithinSla => t.kpi_resolution_within_sla,
            KpiId::Csat => t.kpi_csat,
            KpiId::CsatMean => t.kpi_csat_mean,
            KpiId::Nps => t.kpi_nps,
        }
    }

    /// What the drill-down lists: the items that pull the number the wrong way.
    pub fn drill_label(self, t: &Texts) -> &'static str {
        match self {
            KpiId::OnTime => t.drill_late,
            KpiId::OrderAccuracy => t.drill_wrong_delivery,
            KpiId::DamageRate => t.drill_damaged,
            KpiId::ComplaintRate => t.drill_complained,
            KpiId::ExceptionRate => t.drill_exceptions,
            KpiId::ResolutionTime => t.drill_slowest,
            KpiId::ResolutionWithinSla => t.drill_over_sla,
            KpiId::Csat | KpiId::CsatMean => t.drill_low_ratings,
            KpiId::Nps => t.drill_detractors,
        }
    }
}

/// One KPI over one period: the counts and the value they give (`None`: no data, never 0%).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct KpiValue {
    pub numerator: i64,
    pub denominator: i64,
    pub value: Option<f64>,
}

impl KpiValue {
    pub fn of(unit: KpiUnit, numerator: i64, denominator: i64) -> KpiValue {
        let value = (denominator > 0).then(|| {
            let ratio = numerator as f64 / denominator as f64;
            round2(match unit {
                KpiUnit::Percent | KpiUnit::Score => ratio * 100.0,
                KpiUnit::Hours => ratio / 60.0,
                KpiUnit::Stars => ratio,
            })
        });
        KpiValue {
            numerator,
            denominator,
            value,
        }
    }
}

/// Whether the change against the previous period is good news.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Better,
    Worse,
    Same,
    /// One of the periods has no data.
    Unknown,
}

/// `value - previous` (percentage points, hours, stars or NPS points) and what it means.
pub fn compare(kpi: KpiId, current: Option<f64>, previous: Option<f64>) -> (Option<f64>, Verdict) {
    match (current, previous) {
        (Some(c), Some(p)) => {
            let change = round2(c - p);
            let verdict = if change.abs() < 0.005 {
                Verdict::Same
            } else if (change > 0.0) == kpi.higher_is_better() {
                Verdict::Better
            } else {
                Verdict::Worse
            };
            (Some(change), verdict)
        }
        _ => (None, Verdict::Unknown),
    }
}

/// Median and 90th percentile (nearest rank) of durations in minutes, as hours.
pub fn percentiles(minutes: &mut [i64]) -> (Option<f64>, Option<f64>) {
    if minutes.is_empty() {
        return (None, None);
    }
    minutes.sort_unstable();
    let rank = |p: f64| {
        let r = (p * minutes.len() as f64).ceil() as usize;
        round2(minutes[r.clamp(1, minutes.len()) - 1] as f64 / 60.0)
    };
    (Some(rank(0.5)), Some(rank(0.9)))
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Kpi {
    pub kpi: KpiId,
    pub unit: KpiUnit,
    pub current: KpiValue,
    pub previous: KpiValue,
    /// `current - previous`, in the KPI's unit (percentage points for rates).
    pub change: Option<f64>,
    pub verdict: Verdict,
    /// Resolution time only: median and 90th percentile in hours.
    pub median: Option<f64>,
    pub p90: Option<f64>,
    /// The value per bucket (day or week) of the current period, oldest first.
    pub trend: Vec<TrendPoint>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TrendPoint {
    /// The bucket's first day (`YYYY-MM-DD`).
    pub from: String,
    pub value: KpiValue,
}

/// The periods a report may ask for by name, ending today, and their days.
pub const PERIODS: [(&str, i64); 4] = [("7d", 7), ("30d", 30), ("90d", 90), ("365d", 365)];
/// The longest destination filter read.
pub const MAX_AREA_CHARS: usize = 80;

/// A report as asked for (query parameters), parsed by `kpi_service::parse_query`. An empty
/// parameter is as if absent. `from` and `to` go together, `to` not before `from` and at most
/// 731 days after it: rules across parameters, refused with 422 naming the one to change.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "ssr", into_params(parameter_in = Query))]
pub struct KpiQuery {
    /// `7d`, `30d` (the default), `90d` or `365d`, ending today; ignored when `from` and `to`
    /// are given.
    #[cfg_attr(feature = "ssr", param(value_type = Option<PeriodOrEmpty>, inline))]
    pub period: Option<String>,
    /// First day (`YYYY-MM-DD`, in the reporting time zone), with `to`; at most 731 days.
    #[cfg_attr(feature = "ssr", param(value_type = Option<DateOrEmpty>, inline))]
    pub from: Option<String>,
    /// Last day, included.
    #[cfg_attr(feature = "ssr", param(value_type = Option<DateOrEmpty>, inline))]
    pub to: Option<String>,
    #[cfg_attr(feature = "ssr", param(value_type = Option<TierOrEmpty>, inline))]
    pub tier: Option<String>,
    #[cfg_attr(feature = "ssr", param(value_type = Option<IndustryOrEmpty>, inline))]
    pub industry: Option<String>,
    #[cfg_attr(
        feature = "ssr",
        param(value_type = Option<crate::orders::ServiceLevelOrEmpty>, inline)
    )]
    pub service: Option<String>,
    /// Destination city as on the shipment: one line.
    // MAX_AREA_CHARS, SINGLE_LINE_PATTERN
    #[cfg_attr(
        feature = "ssr",
        param(max_length = 80, pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")
    )]
    pub area: Option<String>,
    /// Trend by `day` or `week` (default: day up to 31 days, else week).
    #[cfg_attr(feature = "ssr", param(value_type = Option<BucketOrEmpty>, inline))]
    pub bucket: Option<String>,
    /// One customer's id: its own KPIs.
    #[cfg_attr(feature = "ssr", param(value_type = Option<IdOrEmpty>, inline))]
    pub customer: Option<String>,
}

#[cfg(feature = "ssr")]
schema_type!(
    /// A period's name, or empty for the default.
    pub PeriodOrEmpty = one_of_or_empty(PERIODS.map(|(name, _)| name))
);

#[cfg(feature = "ssr")]
schema_type!(
    /// A bucket's name, or empty for the default.
    pub BucketOrEmpty = one_of_or_empty(Bucket::ALL.map(Bucket::as_str))
);

/// The report's filters; absent means everyone.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct KpiFilters {
    pub tier: Option<Tier>,
    pub industry: Option<Industry>,
    pub service: Option<ServiceLevel>,
    /// Destination city, as on the shipment (`Beijing`).
    pub area: Option<String>,
    pub customer: Option<i64>,
}

crate::domain::vocabulary! {
    #[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
    pub enum Bucket {
        Day,
        Week,
    }
}

/// A period of whole days in the reporting time zone, `from` and `to` included.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ReportPeriod {
    pub from: String,
    pub to: String,
    pub days: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct KpiReport {
    pub period: ReportPeriod,
    pub previous: ReportPeriod,
    pub filters: KpiFilters,
    /// The IANA time zone days are counted in.
    pub time_zone: String,
    pub bucket: Bucket,
    pub kpis: Vec<Kpi>,
    /// Every KPI over the period for each industry (the same filters).
    pub by_industry: Vec<IndustryKpis>,
}

/// One industry's KPIs over the period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct IndustryKpis {
    pub industry: Industry,
    /// In the order of [`KpiId::ALL`].
    pub values: Vec<KpiValue>,
}

/// One row behind a number: a shipment, a complaint or a rating, with where to open it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DrillItem {
    /// `shipment`, `complaint` or `rating`.
    pub kind: String,
    pub id: i64,
    pub tracking_number: Option<String>,
    pub customer_id: i64,
    pub customer_name: String,
    pub tier: Tier,
    /// When it happened (delivered, resolved, rated, booked), Unix ms.
    pub at: i64,
    /// What makes it count: a status, a category, a score, hours over the SLA.
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DrillPage {
    pub kpi: KpiId,
    pub period: ReportPeriod,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
    pub items: Vec<DrillItem>,
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_the_serde_names() {
        crate::domain::assert_serde_names(KpiId::as_str, KpiId::parse);
        crate::domain::assert_serde_names(Bucket::as_str, Bucket::parse);
    }

    #[test]
    fn an_empty_period_has_no_value_not_zero_or_nan() {
        for kpi in KpiId::ALL {
            let v = KpiValue::of(kpi.unit(), 0, 0);
            assert_eq!(v.value, None, "{kpi:?}");
        }
        assert_eq!(
            compare(KpiId::OnTime, None, Some(90.0)),
            (None, Verdict::Unknown)
        );
    }

    #[test]
    fn values_follow_their_units() {
        assert_eq!(KpiValue::of(KpiUnit::Percent, 2, 3).value, Some(66.67));
        assert_eq!(KpiValue::of(KpiUnit::Hours, 90, 1).value, Some(1.5));
        assert_eq!(KpiValue::of(KpiUnit::Stars, 9, 2).value, Some(4.5));
        // 3 promoters, 1 passive, 2 detractors: 50% - 33.33% = 16.67
        assert_eq!(KpiValue::of(KpiUnit::Score, 3 - 2, 6).value, Some(16.67));
        assert_eq!(KpiValue::of(KpiUnit::Score, -4, 4).value, Some(-100.0));
    }

    #[test]
    fn a_falling_complaint_rate_is_better_and_a_falling_on_time_rate_worse() {
        assert_eq!(
            compare(KpiId::ComplaintRate, Some(2.0), Some(3.5)),
            (Some(-1.5), Verdict::Better)
        );
        assert_eq!(
            compare(KpiId::OnTime, Some(90.0), Some(95.0)),
            (Some(-5.0), Verdict::Worse)
        );
        assert_eq!(
            compare(KpiId::ResolutionTime, Some(30.0), Some(20.0)).1,
            Verdict::Worse
        );
        assert_eq!(compare(KpiId::Nps, Some(10.0), Some(10.0)).1, Verdict::Same);
    }

    #[test]
    fn percentiles_take_the_nearest_rank() {
        let mut none: Vec<i64> = vec![];
        assert_eq!(percentiles(&mut none), (None, None));
        let mut one = vec![120];
        assert_eq!(percentiles(&mut one), (Some(2.0), Some(2.0)));
        // 1..=10 hours, shuffled: median the 5th, p90 the 9th.
        let mut ten: Vec<i64> = vec![600, 60, 300, 120, 540, 180, 480, 240, 420, 360];
        assert_eq!(percentiles(&mut ten), (Some(5.0), Some(9.0)));
    }

    #[test]
    fn kpi_names_round_trip() {
        for kpi in KpiId::ALL {
            assert_eq!(KpiId::parse(kpi.as_str()), Some(kpi));
        }
        assert_eq!(KpiId::parse("revenue"), None);
    }
}
