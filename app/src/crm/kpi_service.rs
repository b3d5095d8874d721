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

// The parts, each re-exported here: callers name `kpi_service::X` whichever part holds it.
mod counts;
mod drill_down;
mod reports;
mod sql;
mod window;

pub use counts::Source;
pub use drill_down::{drill, drill_csv, drill_from, paging, DEFAULT_PER_PAGE, MAX_PER_PAGE};
pub use reports::{report, report_from, totals};
pub use window::{parse_query, Window, MAX_DAYS};
