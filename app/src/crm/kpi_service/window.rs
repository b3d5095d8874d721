//! A report's window as asked for: the period, the one before it, the buckets and the filters.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::ToSpan;

use crate::crm::kpis::{Bucket, KpiFilters, KpiQuery, ReportPeriod, MAX_AREA_CHARS, PERIODS};
use crate::domain::{single_line, Industry, ServiceLevel, Tier};
use crate::error::{AppError, FieldError, FieldErrors, OrInternal};

/// Longest period a report covers.
pub const MAX_DAYS: i64 = 731;
pub(super) const DAY_MS: i64 = 86_400_000;
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
        .or_internal("the start of a day in the reporting time zone")
}

pub(super) fn plus_days(d: Date, n: i64) -> Result<Date, AppError> {
    d.checked_add(n.days())
        .or_internal("a day within the calendar")
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
        .or_internal("the clock as a timestamp")?
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
        Some(asked) => match Bucket::parse(asked) {
            Some(bucket) => bucket,
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
        from.or_internal("period checks passed without a first day")?,
        to.or_internal("period checks passed without a last day")?,
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
    pub(super) fn bucket_ms(&self) -> i64 {
        match self.bucket {
            Bucket::Day => DAY_MS,
            Bucket::Week => 7 * DAY_MS,
        }
    }

    pub(super) fn buckets(&self) -> i64 {
        (self.period.days + self.bucket_ms() / DAY_MS - 1) / (self.bucket_ms() / DAY_MS)
    }
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
    fn every_named_period_and_bucket_is_read() {
        for (name, days) in PERIODS {
            let w = parse_query(&query(&[("period", name)]), &shanghai(), NOW).unwrap();
            assert_eq!(w.period.days, days, "{name}");
        }
        for bucket in Bucket::ALL {
            let name = bucket.as_str();
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
}
