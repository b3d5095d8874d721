//! The writes other modules make to orders' tables (`shipments`, `tracking_events`): orders
//! owns those rows, so every change to them is a statement here, in the caller's transaction.

use crate::domain::ShipmentStatus;
use crate::error::AppError;
use crate::platform::Db;

/// Marks a shipment as complained about, and what the complaint says of it, for the KPIs:
/// the shipment's row is orders', the complaint's category is the caller's to map.
#[tracing::instrument(level = "debug", skip_all, fields(shipment_id = shipment_id))]
pub async fn mark_complained<'e, E>(
    exec: E,
    shipment_id: i64,
    wrong_delivery: bool,
    damaged: bool,
) -> Result<(), AppError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(
        "UPDATE shipments SET complained = 1, \
         wrong_delivery = CASE WHEN $2 = 1 THEN 1 ELSE wrong_delivery END, \
         damage_complaint = CASE WHEN $3 = 1 THEN 1 ELSE damage_complaint END \
         WHERE id = $1",
    )
    .bind(shipment_id)
    .bind(i64::from(wrong_delivery))
    .bind(i64::from(damaged))
    .execute(exec)
    .await?;
    Ok(())
}

/// Records the pickup window a shipment holds (taken from `slots` by the caller): the column
/// is the shipment's, whether a booking or a return's way back took the window.
#[tracing::instrument(
    level = "debug",
    skip_all,
    fields(shipment_id = shipment_id, slot_id = slot_id)
)]
pub async fn set_pickup_slot<'e, E>(exec: E, shipment_id: i64, slot_id: i64) -> Result<(), AppError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    sqlx::query("UPDATE shipments SET pickup_slot_id = $1 WHERE id = $2")
        .bind(slot_id)
        .bind(shipment_id)
        .execute(exec)
        .await?;
    Ok(())
}

/// A write to the shipment's row that changes nothing, so the caller's transaction holds it:
/// on SQLite the write lock up front, on PostgreSQL the row lock. Whether the shipment exists.
#[tracing::instrument(level = "debug", skip_all, fields(shipment_id = shipment_id))]
pub async fn lock_shipment<'e, E>(exec: E, shipment_id: i64) -> Result<bool, AppError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    crate::platform::db::lock_row(exec, "shipments", "updated_at", shipment_id).await
}

/// A carrier's scan moving a shipment from the status just read to the scanned one.
pub struct ScanMove {
    pub shipment_id: i64,
    /// The status the caller read (and checked the transition from).
    pub from: ShipmentStatus,
    /// The scanned status.
    pub to: ShipmentStatus,
    /// When the scan was received.
    pub at: i64,
    /// When the carrier scanned the parcel.
    pub occurred_at: i64,
    /// Whether a delivery scan is within the promised window.
    pub on_time: bool,
}

/// Moves the shipment's status by a scan, only from the one just read (compare-and-set), with
/// the journey's facts the KPIs read: the row is orders'. False when it changed meanwhile.
#[tracing::instrument(level = "debug", skip_all, fields(shipment_id = m.shipment_id))]
pub async fn move_by_scan<'e, E>(exec: E, m: &ScanMove) -> Result<bool, AppError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let delivered = m.to == ShipmentStatus::Delivered;
    let changed = sqlx::query(
        "UPDATE shipments SET status = $1, updated_at = $2, \
         delivered_at = CASE WHEN $5 = 1 THEN $6 ELSE delivered_at END, \
         delivered_on_time = CASE WHEN $5 = 1 THEN $7 ELSE delivered_on_time END, \
         had_exception = CASE WHEN $8 = 1 THEN 1 ELSE had_exception END, \
         last_exception_at = CASE WHEN $8 = 1 AND (last_exception_at IS NULL \
             OR last_exception_at < $6) THEN $6 ELSE last_exception_at END, \
         damaged = CASE WHEN $9 = 1 THEN 1 ELSE damaged END \
         WHERE id = $3 AND status = $4",
    )
    .bind(m.to.as_str())
    .bind(m.at)
    .bind(m.shipment_id)
    .bind(m.from.as_str())
    .bind(i64::from(delivered))
    .bind(m.occurred_at)
    .bind(i64::from(m.on_time))
    .bind(i64::from(m.to.is_exception()))
    .bind(i64::from(m.to == ShipmentStatus::Damaged))
    .execute(exec)
    .await?
    .rows_affected();
    Ok(changed == 1)
}

/// A carrier's scan as a tracking event.
pub struct ScanEvent<'a> {
    pub shipment_id: i64,
    pub status: ShipmentStatus,
    /// When the carrier scanned the parcel.
    pub occurred_at: i64,
    pub place: Option<String>,
    /// Latitude and longitude.
    pub point: Option<(f64, f64)>,
    pub note: Option<String>,
    /// When the scan was received.
    pub received_at: i64,
    pub carrier_id: i64,
    /// The carrier's id of the event, unique per carrier.
    pub event_id: &'a str,
}

/// Stores a carrier's scan in the shipment's journey: the events are orders'. Its id, or
/// `None` when the carrier's event id is already stored (a unique violation, which on
/// PostgreSQL leaves the caller's transaction to roll back).
#[tracing::instrument(level = "debug", skip_all, fields(shipment_id = ev.shipment_id))]
pub async fn insert_scan_event<'e, E>(exec: E, ev: &ScanEvent<'_>) -> Result<Option<i64>, AppError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let inserted: Result<i64, sqlx::Error> = sqlx::query_scalar(
        "INSERT INTO tracking_events (shipment_id, status, occurred_at, place, lat, lon, note, \
         source, created_at, carrier_id, event_id) \
         VALUES ($1, $2, $3, $4, CASE WHEN $11 = 1 THEN $5 END, CASE WHEN $11 = 1 THEN $6 END, \
         $7, 'scan', $8, $9, $10) RETURNING id",
    )
    .bind(ev.shipment_id)
    .bind(ev.status.as_str())
    .bind(ev.occurred_at)
    .bind(ev.place.clone())
    // Never a NULL float: sqlx 0.8.6's Any driver types a NULL f64 as float4 on PostgreSQL,
    // and the statement it prepares then refuses the next scan's real coordinates.
    .bind(ev.point.map_or(0.0, |p| p.0))
    .bind(ev.point.map_or(0.0, |p| p.1))
    .bind(ev.note.clone())
    .bind(ev.received_at)
    .bind(ev.carrier_id)
    .bind(ev.event_id)
    .bind(i64::from(ev.point.is_some()))
    .fetch_one(exec)
    .await;
    match inserted {
        Ok(id) => Ok(Some(id)),
        Err(err) if Db::is_unique_violation(&err) => Ok(None),
        Err(err) => Err(err.into()),
    }
}
