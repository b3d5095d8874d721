//! The outbox and the in-app centre's queries.

use sqlx::Row;

use super::{Notification, NotificationKind, NotificationList};
use crate::error::AppError;
use crate::orders::ShipmentStatus;
use crate::platform::{now_ms, Db};

/// Writes one message inside the caller's transaction, so it exists exactly when the change
/// that caused it does.
pub async fn record(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    customer_id: i64,
    shipment_id: i64,
    kind: NotificationKind,
    payload: serde_json::Value,
) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO notifications (customer_id, kind, shipment_id, payload, created_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(customer_id)
    .bind(kind.as_str())
    .bind(shipment_id)
    .bind(payload.to_string())
    .bind(now_ms())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The customer's latest messages and how many are unread.
pub async fn list(db: &Db, customer_id: i64, limit: i64) -> Result<NotificationList, AppError> {
    let unread: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM notifications WHERE customer_id = $1 AND read_at IS NULL",
    )
    .bind(customer_id)
    .fetch_one(&db.pool)
    .await?;
    let rows = sqlx::query(
        "SELECT id, kind, payload, created_at, read_at FROM notifications \
         WHERE customer_id = $1 ORDER BY id DESC LIMIT $2",
    )
    .bind(customer_id)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?;
    let mut notifications = Vec::with_capacity(rows.len());
    for r in rows {
        let Some(kind) = NotificationKind::parse(&r.try_get::<String, _>(1)?) else {
            continue;
        };
        let payload: serde_json::Value =
            serde_json::from_str(&r.try_get::<String, _>(2)?).unwrap_or_default();
        let text = |k: &str| payload.get(k).and_then(|v| v.as_str()).map(String::from);
        notifications.push(Notification {
            id: r.try_get(0)?,
            kind,
            tracking_number: text("tracking_number"),
            status: text("status").and_then(|s| ShipmentStatus::parse(&s)),
            change: text("change"),
            created_at: r.try_get(3)?,
            read: r.try_get::<Option<i64>, _>(4)?.is_some(),
        });
    }
    Ok(NotificationList {
        unread,
        notifications,
    })
}

pub async fn mark_all_read(db: &Db, customer_id: i64) -> Result<(), AppError> {
    sqlx::query("UPDATE notifications SET read_at = $1 WHERE customer_id = $2 AND read_at IS NULL")
        .bind(now_ms())
        .bind(customer_id)
        .execute(&db.pool)
        .await?;
    Ok(())
}
