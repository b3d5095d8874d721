//! Taking and leaving windows, inside the caller's transaction.

use super::pattern::{refusal, unavailable};
use crate::error::{AppError, FieldError};
use crate::platform::Db;
use crate::slots::SlotUnavailable;

type Tx<'a> = sqlx::Transaction<'a, sqlx::Any>;

/// What a taken window settles for its shipment.
#[derive(sqlx::FromRow)]
pub struct Taken {
    pub id: i64,
    pub day: String,
    pub starts_at: i64,
    pub ends_at: i64,
}

/// What a refused window holds, to say why it was refused.
#[derive(sqlx::FromRow)]
struct StateRow {
    capacity: i64,
    booked: i64,
    closed: i64,
    cutoff_at: i64,
}

/// Takes one place in a window. The check and the increment are one statement, so no
/// concurrency can overbook it; a refusal names why (`field` carries it).
#[tracing::instrument(level = "debug", skip_all, fields(slot_id = slot_id))]
pub async fn take(tx: &mut Tx<'_>, slot_id: i64, now: i64, field: &str) -> Result<Taken, AppError> {
    let taken: Option<Taken> = sqlx::query_as(
        "UPDATE slots SET booked = booked + 1 WHERE id = $1 AND closed = 0 AND booked < capacity \
         AND cutoff_at > $2 RETURNING id, day, starts_at, ends_at",
    )
    .bind(slot_id)
    .bind(now)
    .fetch_optional(&mut **tx)
    .await?;
    if let Some(taken) = taken {
        return Ok(taken);
    }
    let row: StateRow =
        sqlx::query_as("SELECT capacity, booked, closed, cutoff_at FROM slots WHERE id = $1")
            .bind(slot_id)
            .fetch_optional(&mut **tx)
            .await?
            .ok_or_else(|| AppError::field(field, FieldError::Invalid))?;
    let why = unavailable(
        row.capacity,
        row.booked,
        row.closed != 0,
        row.cutoff_at,
        now,
    )
    .unwrap_or(SlotUnavailable::Full);
    Err(refusal(field, why))
}

/// Gives a place back. Leaving is refused after the window's cut-off, like taking: by then the
/// courier's round is planned.
#[tracing::instrument(level = "debug", skip_all, fields(slot_id = slot_id))]
pub async fn leave(tx: &mut Tx<'_>, slot_id: i64, now: i64, field: &str) -> Result<(), AppError> {
    let left = sqlx::query(
        "UPDATE slots SET booked = booked - 1 WHERE id = $1 AND booked > 0 AND cutoff_at > $2",
    )
    .bind(slot_id)
    .bind(now)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if left == 1 {
        Ok(())
    } else {
        Err(refusal(field, SlotUnavailable::CutoffPassed))
    }
}

/// Gives a place back whatever the time: the shipment is cancelled, so the courier will not
/// come either way.
#[tracing::instrument(level = "debug", skip_all, fields(slot_id = slot_id))]
pub async fn free(tx: &mut Tx<'_>, slot_id: i64) -> Result<(), AppError> {
    sqlx::query("UPDATE slots SET booked = booked - 1 WHERE id = $1 AND booked > 0")
        .bind(slot_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Which template a window belongs to, if it exists.
#[tracing::instrument(level = "debug", skip_all, fields(slot_id = slot_id))]
pub async fn template_of(db: &Db, slot_id: i64) -> Result<Option<i64>, AppError> {
    Ok(
        sqlx::query_scalar("SELECT template_id FROM slots WHERE id = $1")
            .bind(slot_id)
            .fetch_optional(&db.pool)
            .await?,
    )
}

/// Frees a cancelled shipment's windows, inside the cancellation's transaction.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn free_for_cancelled(tx: &mut Tx<'_>, slots: &[i64]) -> Result<(), AppError> {
    let mut slots = slots.to_vec();
    slots.sort_unstable();
    for s in slots {
        free(tx, s).await?;
    }
    Ok(())
}
