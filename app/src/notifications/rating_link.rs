//! The signed link to rate a delivered shipment. Notifications send the invitation to rate, so
//! they sign its link; ratings, later in the layer order, checks it (with `PURPOSE`).

use crate::error::AppError;
use crate::platform::{links, Db};

/// How long a rating link works.
pub const LINK_TTL_MS: i64 = 30 * 24 * 3_600_000;
/// What a rating link's signature is for, so no other signed link passes as one.
pub const PURPOSE: &str = "rate";

/// The rating page's signed link for a shipment: path and query.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn link(db: &Db, tracking_number: &str, now: i64) -> Result<String, AppError> {
    let key = links::key(db).await?;
    let exp = now + LINK_TTL_MS;
    let sig = links::sign(&key, PURPOSE, tracking_number, exp);
    Ok(format!("/rate/{tracking_number}?exp={exp}&sig={sig}"))
}
