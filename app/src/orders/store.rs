//! The reads and writes of orders' tables (`shipments`, `tracking_events`) that other modules
//! and orders' own delivery changes ask for: orders owns those rows, so another module's
//! statement on them is here. A change runs on the caller's executor, in its transaction.

use crate::domain::ShipmentStatus;
use crate::error::AppError;
use crate::platform::Db;

/// A shipment's owner, status and cities, as another module finds it by its number. The
/// status is left as stored, for the reader to parse.
#[derive(sqlx::FromRow)]
pub struct ShipmentOutline {
    pub id: i64,
    pub customer_id: i64,
    pub status: String,
    pub sender_city: String,
    pub recipient_city: String,
}

/// The shipment with this tracking number, if there is one.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn shipment_outline<'e, E>(
    exec: E,
    tracking_number: &str,
) -> Result<Option<ShipmentOutline>, AppError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(
        "SELECT id, customer_id, status, sender_city, recipient_city FROM shipments \
         WHERE tracking_number = $1",
    )
    .bind(tracking_number.to_string())
    .fetch_optional(exec)
    .await?)
}

/// When the shipment was delivered (its latest delivery scan), if it was.
#[tracing::instrument(level = "debug", skip_all, fields(shipment_id = shipment_id))]
pub async fn delivered_at<'e, E>(exec: E, shipment_id: i64) -> Result<Option<i64>, AppError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_scalar(
        "SELECT MAX(occurred_at) FROM tracking_events WHERE shipment_id = $1 \
         AND status = 'delivered'",
    )
    .bind(shipment_id)
    .fetch_one(exec)
    .await?)
}

/// The shipment's columns a delivery change reads.
#[derive(sqlx::FromRow)]
struct CurrentRow {
    id: i64,
    customer_id: i64,
    tracking_number: String,
    status: String,
    delivery_slot_id: Option<i64>,
    recipient_country: String,
    recipient_city: String,
    recipient_postcode: String,
}

impl CurrentRow {
    fn into_current(self) -> Result<super::delivery::Current, AppError> {
        use crate::error::OrInternal;
        Ok(super::delivery::Current {
            id: self.id,
            customer_id: self.customer_id,
            tracking_number: self.tracking_number,
            status: ShipmentStatus::parse(&self.status)
                .or_internal("shipments.status is not a status")?,
            slot: self.delivery_slot_id,
            country: self.recipient_country,
            city: self.recipient_city,
            postcode: self.recipient_postcode,
        })
    }
}

/// A shipment's delivery as it stands, before a change to it.
#[tracing::instrument(level = "debug", skip_all, fields(shipment_id = shipment_id))]
pub(crate) async fn current_delivery(
    db: &Db,
    shipment_id: i64,
) -> Result<super::delivery::Current, AppError> {
    let row: CurrentRow = sqlx::query_as(
        "SELECT id, customer_id, tracking_number, status, delivery_slot_id, recipient_country, \
         recipient_city, recipient_postcode FROM shipments WHERE id = $1",
    )
    .bind(shipment_id)
    .fetch_optional(&db.pool)
    .await?
    .ok_or(AppError::NotFound)?;
    row.into_current()
}

/// The id of the customer's own shipment by its tracking number; another customer's (or a
/// malformed number) is not found.
#[tracing::instrument(level = "debug", skip_all, fields(customer_id = customer_id))]
pub async fn own_shipment_id(
    db: &Db,
    customer_id: i64,
    tracking_number: &str,
) -> Result<i64, AppError> {
    let tn =
        crate::domain::TrackingNumber::parse(tracking_number).map_err(|_| AppError::NotFound)?;
    sqlx::query_scalar("SELECT id FROM shipments WHERE tracking_number = $1 AND customer_id = $2")
        .bind(tn.as_str().to_string())
        .bind(customer_id)
        .fetch_optional(&db.pool)
        .await?
        .ok_or(AppError::NotFound)
}

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

/// A shipment's columns the delay rules read, with the end of the delivery window it holds.
#[derive(sqlx::FromRow)]
pub struct DelayRow {
    pub customer_id: i64,
    pub tracking_number: String,
    pub status: String,
    pub service: String,
    pub sender_lat: f64,
    pub sender_lon: f64,
    pub recipient_lat: f64,
    pub recipient_lon: f64,
    pub promised_to: String,
    pub created_at: i64,
    pub slot_ends_at: Option<i64>,
}

/// What the delay rules read of a shipment; `None` when there is no such shipment.
#[tracing::instrument(level = "debug", skip_all, fields(shipment_id = shipment_id))]
pub async fn delay_row<'e, E>(exec: E, shipment_id: i64) -> Result<Option<DelayRow>, AppError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let found: Option<DelayRow> = sqlx::query_as(
        "SELECT s.customer_id, s.tracking_number, s.status, s.service, s.sender_lat, \
         s.sender_lon, s.recipient_lat, s.recipient_lon, s.promised_to, s.created_at, \
         sl.ends_at AS slot_ends_at FROM shipments s \
         LEFT JOIN slots sl ON sl.id = s.delivery_slot_id WHERE s.id = $1",
    )
    .bind(shipment_id)
    .fetch_optional(exec)
    .await?;
    Ok(found)
}

/// When the shipment's latest scan was made; `None` before its first.
#[tracing::instrument(level = "debug", skip_all, fields(shipment_id = shipment_id))]
pub async fn last_scan_at<'e, E>(exec: E, shipment_id: i64) -> Result<Option<i64>, AppError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let last_scan: Option<i64> =
        sqlx::query_scalar("SELECT MAX(occurred_at) FROM tracking_events WHERE shipment_id = $1")
            .bind(shipment_id)
            .fetch_one(exec)
            .await?;
    Ok(last_scan)
}

/// Where a scan was made (scans without a position are not read).
#[derive(sqlx::FromRow)]
pub struct ScanPoint {
    pub lat: f64,
    pub lon: f64,
}

/// Where the shipment's latest scan with a position was made.
#[tracing::instrument(level = "debug", skip_all, fields(shipment_id = shipment_id))]
pub async fn last_scan_point<'e, E>(
    exec: E,
    shipment_id: i64,
) -> Result<Option<ScanPoint>, AppError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let last_position: Option<ScanPoint> = sqlx::query_as(
        "SELECT lat, lon FROM tracking_events WHERE shipment_id = $1 AND lat IS NOT NULL \
         AND lon IS NOT NULL ORDER BY occurred_at DESC, id DESC LIMIT 1",
    )
    .bind(shipment_id)
    .fetch_optional(exec)
    .await?;
    Ok(last_position)
}

/// Where the shipment's scans with a position were made, oldest first.
#[tracing::instrument(level = "debug", skip_all, fields(shipment_id = shipment_id))]
pub async fn scan_points<'e, E>(exec: E, shipment_id: i64) -> Result<Vec<ScanPoint>, AppError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let points: Vec<ScanPoint> = sqlx::query_as(
        "SELECT lat, lon FROM tracking_events WHERE shipment_id = $1 AND lat IS NOT NULL \
         AND lon IS NOT NULL ORDER BY occurred_at, id",
    )
    .bind(shipment_id)
    .fetch_all(exec)
    .await?;
    Ok(points)
}

/// The shipments still on the way whose promised window ends by `last_day` (`YYYY-MM-DD`), the
/// lowest ids first, at most `limit` of them.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn on_the_way_due_by<'e, E>(
    exec: E,
    last_day: &str,
    limit: i64,
) -> Result<Vec<i64>, AppError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let ids: Vec<i64> = sqlx::query_scalar(&format!(
        "SELECT id FROM shipments WHERE status IN {} AND promised_to <= $1 \
         ORDER BY id LIMIT $2",
        ShipmentStatus::on_the_way_sql()
    ))
    .bind(last_day)
    .bind(limit)
    .fetch_all(exec)
    .await?;
    Ok(ids)
}

/// Whether the carrier's event is already stored in a journey.
#[tracing::instrument(level = "debug", skip_all, fields(carrier_id = carrier_id))]
pub async fn carrier_event_stored<'e, E>(
    exec: E,
    carrier_id: i64,
    event_id: &str,
) -> Result<bool, AppError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM tracking_events WHERE carrier_id = $1 AND event_id = $2",
    )
    .bind(carrier_id)
    .bind(event_id)
    .fetch_optional(exec)
    .await?;
    Ok(found.is_some())
}

/// The scanned shipment's columns a scan checks and changes, with the end of the delivery
/// window it holds.
#[derive(sqlx::FromRow)]
pub struct ScannedRow {
    pub id: i64,
    pub status: String,
    pub customer_id: i64,
    pub promised_to: String,
    pub slot_ends_at: Option<i64>,
}

/// What a scan reads of the shipment with this tracking number; `None` when there is none.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn scanned_shipment<'e, E>(
    exec: E,
    tracking_number: &str,
) -> Result<Option<ScannedRow>, AppError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let found: Option<ScannedRow> = sqlx::query_as(
        "SELECT s.id, s.status, s.customer_id, s.promised_to, sl.ends_at AS slot_ends_at \
         FROM shipments s LEFT JOIN slots sl ON sl.id = s.delivery_slot_id \
         WHERE s.tracking_number = $1",
    )
    .bind(tracking_number)
    .fetch_optional(exec)
    .await?;
    Ok(found)
}

/// A shipment's parcels (as stored, JSON) with its owner, status and currency.
#[derive(sqlx::FromRow)]
pub struct ParcelsRow {
    pub id: i64,
    pub customer_id: i64,
    pub status: String,
    pub parcels: String,
    pub currency: String,
}

/// The parcels of the shipment with this tracking number; `None` when there is none.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn parcels_by_number<'e, E>(
    exec: E,
    tracking_number: &str,
) -> Result<Option<ParcelsRow>, AppError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let found: Option<ParcelsRow> = sqlx::query_as(
        "SELECT id, customer_id, status, parcels, currency FROM shipments \
         WHERE tracking_number = $1",
    )
    .bind(tracking_number)
    .fetch_optional(exec)
    .await?;
    Ok(found)
}

/// A shipment's parcels as stored (JSON); an error when there is no such shipment.
#[tracing::instrument(level = "debug", skip_all, fields(shipment_id = shipment_id))]
pub async fn parcels_json<'e, E>(exec: E, shipment_id: i64) -> Result<String, AppError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let parcels: String = sqlx::query_scalar("SELECT parcels FROM shipments WHERE id = $1")
        .bind(shipment_id)
        .fetch_one(exec)
        .await?;
    Ok(parcels)
}

/// A shipment's columns its tracking views show.
#[derive(sqlx::FromRow)]
pub struct TrackedRow {
    pub id: i64,
    pub tracking_number: String,
    pub status: String,
    pub service: String,
    pub sender_city: String,
    pub recipient_city: String,
    pub promised_from: String,
    pub promised_to: String,
    pub delivery_slot_id: Option<i64>,
    pub pickup_point: Option<String>,
    pub recipient_name: String,
    pub recipient_line1: String,
    pub recipient_line2: Option<String>,
    pub recipient_postcode: String,
    pub recipient_phone: String,
    pub sender_lat: f64,
    pub sender_lon: f64,
    pub recipient_lat: f64,
    pub recipient_lon: f64,
    pub created_at: i64,
    /// When its delivery window ends (Unix milliseconds), if it has one.
    pub slot_ends_at: Option<i64>,
}

/// What the tracking views show of the shipment with this tracking number; `None` when there
/// is none.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn tracked_shipment<'e, E>(
    exec: E,
    tracking_number: &str,
) -> Result<Option<TrackedRow>, AppError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let found: Option<TrackedRow> = sqlx::query_as(
        "SELECT s.id, s.tracking_number, s.status, s.service, s.sender_city, \
         s.recipient_city, s.promised_from, s.promised_to, s.delivery_slot_id, s.pickup_point, \
         s.recipient_name, s.recipient_line1, s.recipient_line2, s.recipient_postcode, \
         s.recipient_phone, s.sender_lat, s.sender_lon, s.recipient_lat, s.recipient_lon, \
         s.created_at, sl.ends_at AS slot_ends_at FROM shipments s \
         LEFT JOIN slots sl ON sl.id = s.delivery_slot_id WHERE s.tracking_number = $1",
    )
    .bind(tracking_number)
    .fetch_optional(exec)
    .await?;
    Ok(found)
}

/// A tracking event as stored, with its id.
#[derive(sqlx::FromRow)]
pub struct EventRow {
    pub id: i64,
    pub status: String,
    pub occurred_at: i64,
    pub place: Option<String>,
    pub note: Option<String>,
}

/// The events of the shipment with this tracking number after the event `after_id`, oldest
/// first.
#[tracing::instrument(level = "debug", skip_all, fields(after_id = after_id))]
pub async fn events_after<'e, E>(
    exec: E,
    tracking_number: &str,
    after_id: i64,
) -> Result<Vec<EventRow>, AppError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let rows: Vec<EventRow> = sqlx::query_as(
        "SELECT e.id, e.status, e.occurred_at, e.place, e.note FROM tracking_events e \
         JOIN shipments s ON s.id = e.shipment_id WHERE s.tracking_number = $1 AND e.id > $2 \
         ORDER BY e.id",
    )
    .bind(tracking_number)
    .bind(after_id)
    .fetch_all(exec)
    .await?;
    Ok(rows)
}

/// A demo customer's parcel on its way, as the traffic simulator moves it.
#[derive(sqlx::FromRow)]
pub struct DemoParcel {
    pub tracking_number: String,
    pub service: String,
    pub created_at: i64,
    pub sender_city: String,
    pub sender_country: String,
    pub recipient_city: String,
    pub recipient_country: String,
}

/// The demo customers' parcels still on their way (never a real customer's: see
/// `accounts::service::mark_demo_customer`), oldest first. Each row is read on its own, so one
/// that cannot be read is an error in its place and the others still move.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn demo_parcels_on_the_way<'e, E>(
    exec: E,
) -> Result<Vec<Result<DemoParcel, sqlx::Error>>, AppError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    use sqlx::FromRow;
    let rows = sqlx::query(&format!(
        "SELECT s.tracking_number, s.service, s.created_at, s.sender_city, s.sender_country, \
         s.recipient_city, s.recipient_country FROM shipments s \
         JOIN customers c ON c.id = s.customer_id WHERE s.status IN {} AND c.demo \
         ORDER BY s.id LIMIT 10000",
        ShipmentStatus::on_the_way_sql()
    ))
    .fetch_all(exec)
    .await?;
    Ok(rows.iter().map(DemoParcel::from_row).collect())
}

/// A shipment's number and where it goes.
#[derive(sqlx::FromRow)]
pub struct NumberAndCity {
    pub tracking_number: String,
    pub recipient_city: String,
}

/// The customer's first `limit` shipments, in the order they were booked.
#[tracing::instrument(level = "debug", skip_all, fields(customer_id = customer_id))]
pub async fn first_shipments<'e, E>(
    exec: E,
    customer_id: i64,
    limit: i64,
) -> Result<Vec<NumberAndCity>, AppError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(
        "SELECT tracking_number, recipient_city FROM shipments WHERE customer_id = $1 \
         ORDER BY id LIMIT $2",
    )
    .bind(customer_id)
    .bind(limit)
    .fetch_all(exec)
    .await?)
}

/// A delivered shipment and when it was delivered.
#[derive(sqlx::FromRow)]
pub struct DeliveredShipment {
    pub id: i64,
    pub tracking_number: String,
    pub delivered_at: i64,
}

/// The customer's shipments delivered between `from` and `to` (both included): the late ones
/// first, each group latest first.
#[tracing::instrument(level = "debug", skip_all, fields(customer_id = customer_id))]
pub async fn delivered_between<'e, E>(
    exec: E,
    customer_id: i64,
    from: i64,
    to: i64,
) -> Result<Vec<DeliveredShipment>, AppError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(
        "SELECT id, tracking_number, delivered_at FROM shipments WHERE customer_id = $1 \
         AND status = 'delivered' AND delivered_at >= $2 AND delivered_at <= $3 \
         ORDER BY delivered_on_time, delivered_at DESC",
    )
    .bind(customer_id)
    .bind(from)
    .bind(to)
    .fetch_all(exec)
    .await?)
}
