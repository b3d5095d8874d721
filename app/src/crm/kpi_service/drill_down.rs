//! A KPI's drill-down: the rows pulling its number the wrong way, a page at a time, and as CSV.

use sqlx::Row;

use super::counts::{fact, rolled_counts, rolled_up, Source};
use super::sql::Sql;
use super::window::Window;
use crate::crm::kpis::{DrillItem, DrillPage, KpiId};
use crate::domain::Tier;
use crate::error::{AppError, FieldError, FieldErrors, OrInternal};
use crate::kpi_rollup::{m, Fact, Family, Measures, BOOKED, DELIVERED, RATED, RESOLVED};
use crate::platform::Db;

pub const MAX_PER_PAGE: i64 = 200;
/// A drill-down page's size when none is asked for.
pub const DEFAULT_PER_PAGE: i64 = 50;

/// The rows behind a KPI's number over the window's period: the ones pulling it the wrong way,
/// newest (or, for resolution time, slowest) first.
#[tracing::instrument(level = "debug", skip_all)]
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
#[tracing::instrument(level = "debug", skip_all)]
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
                tier: Tier::parse(&r.try_get::<String, _>("tier")?)
                    .or_internal("customers.tier is not a tier")?,
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
    use crate::crm::kpis::ReportPeriod;

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
