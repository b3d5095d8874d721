//! A shipment's delivery as the windows see it: who changes it, what it becomes, the area of
//! its destination and the windows it may move to.

use super::templates::{load_templates, Stored};
use super::windows::{area_for, area_slots};
use crate::domain::ShipmentStatus;
use crate::error::{AppError, OrInternal};
use crate::platform::Db;
use crate::slots::SlotList;

/// Who changed a delivery, for the event and the shipper's notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
pub enum ChangedBy {
    Shipper,
    Recipient,
}

impl ChangedBy {
    pub(crate) fn as_str(self) -> &'static str {
        self.into()
    }
}

/// What the delivery becomes: a window, or collection at a pickup point.
pub enum NewDelivery {
    Window(i64),
    PickupPoint(String),
}

/// A shipment's delivery as it stands, before a change to it.
pub(crate) struct Current {
    pub(crate) id: i64,
    pub(crate) customer_id: i64,
    pub(crate) tracking_number: String,
    pub(crate) status: ShipmentStatus,
    pub(crate) slot: Option<i64>,
    pub(crate) country: String,
    pub(crate) city: String,
    pub(crate) postcode: String,
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
    fn into_current(self) -> Result<Current, AppError> {
        Ok(Current {
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

#[tracing::instrument(level = "debug", skip_all, fields(shipment_id = shipment_id))]
pub(crate) async fn current(db: &Db, shipment_id: i64) -> Result<Current, AppError> {
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

/// The template serving a shipment's destination, for the windows it may move to.
#[tracing::instrument(level = "debug", skip_all, fields(shipment_id = shipment_id))]
pub async fn destination_area(db: &Db, shipment_id: i64) -> Result<Option<Stored>, AppError> {
    area_of(db, &current(db, shipment_id).await?).await
}

#[tracing::instrument(level = "debug", skip_all, fields(shipment_id = c.id))]
pub(crate) async fn area_of(db: &Db, c: &Current) -> Result<Option<Stored>, AppError> {
    let templates = load_templates(db).await?;
    Ok(area_for(&templates, &c.country, &c.city, &c.postcode).cloned())
}

#[tracing::instrument(level = "debug", skip_all, fields(customer_id = customer_id))]
pub(crate) async fn own_shipment_id(
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

/// The windows the shipper's shipment may move to.
#[tracing::instrument(level = "debug", skip_all, fields(customer_id = customer_id))]
pub async fn for_own_shipment(
    db: &Db,
    customer_id: i64,
    tracking_number: &str,
) -> Result<SlotList, AppError> {
    let id = own_shipment_id(db, customer_id, tracking_number).await?;
    area_slots(db, destination_area(db, id).await?.as_ref()).await
}
