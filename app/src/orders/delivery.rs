//! A shipment's delivery as the windows (`slots`) serve it: a booking's delivery and pickup
//! windows, the area of its destination and the windows it may move to, and later changes to
//! its delivery (who changes it, what it becomes). Slots knows only windows and templates; which
//! shipment holds which window is read and written here (orders owns the shipment's row). Locking
//! order as in `slots::service`: slot rows first, in ascending id order, then the shipment row.

use super::shipments::announce;
use super::store::{current_delivery, own_shipment_id};
use super::{
    BookingDraft, BookingRequest, DraftStage, QuoteRequest, ServiceLevel, Shipment, ShipmentEvent,
    ShipmentStatus,
};
use crate::error::{AppError, FieldError, FieldErrors, OrInternal};
use crate::platform::insert::Insert;
use crate::platform::{now_ms, Db};
use crate::slots::service::{
    area_for, area_slots, leave, load_templates, local_hm, take, template_of, windows_for, Stored,
};
use crate::slots::{SlotList, SlotPurpose};

type Tx<'a> = sqlx::Transaction<'a, sqlx::Any>;

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

/// The windows a booking draft may choose ([`for_booking`]), once the draft is a shipment.
#[tracing::instrument(level = "debug", skip_all, fields(customer_id = customer_id))]
pub async fn for_draft(
    db: &Db,
    customer_id: i64,
    draft: &BookingDraft,
    purpose: SlotPurpose,
) -> Result<SlotList, AppError> {
    let req = super::quote::draft_request(db, customer_id, draft, DraftStage::Parcels).await?;
    for_booking(db, customer_id, &req, draft.service, purpose).await
}

/// The windows a booking may choose: deliveries in the recipient's area from the first day
/// `service` (`scheduled` when not chosen yet) can deliver, pickups in the sender's area from
/// today. The shipment is checked first, every problem named.
#[tracing::instrument(level = "debug", skip_all, fields(customer_id = customer_id))]
pub async fn for_booking(
    db: &Db,
    customer_id: i64,
    req: &QuoteRequest,
    service: Option<ServiceLevel>,
    purpose: SlotPurpose,
) -> Result<SlotList, AppError> {
    super::quote::parse_shipment(req)?;
    let (party, from) = match purpose {
        SlotPurpose::Pickup => (&req.sender, String::new()),
        SlotPurpose::Delivery => {
            let quote = super::quote::quote_for(db, customer_id, req).await?;
            let service = service.unwrap_or(ServiceLevel::Scheduled);
            let earliest = quote
                .options
                .iter()
                .find(|o| o.service == service)
                .map(|o| o.earliest_delivery.clone())
                .unwrap_or_default();
            (&req.recipient, earliest)
        }
    };
    windows_for(db, party, &from).await
}

/// Checks before a booking's transaction that its windows serve its addresses.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn check_areas(db: &Db, req: &BookingRequest) -> Result<(), AppError> {
    if req.delivery_slot_id.is_none() && req.pickup_slot_id.is_none() {
        return Ok(());
    }
    let templates = load_templates(db).await?;
    let mut errors = FieldErrors::new();
    for (field, slot, party) in [
        ("delivery_slot_id", req.delivery_slot_id, &req.recipient),
        ("pickup_slot_id", req.pickup_slot_id, &req.sender),
    ] {
        let Some(slot) = slot else { continue };
        let area = area_for(&templates, &party.country, &party.city, &party.postcode);
        match (template_of(db, slot).await?, area) {
            (None, _) => {
                errors.insert(field.into(), FieldError::Invalid);
            }
            (Some(t), Some(a)) if t == a.id => {}
            _ => {
                errors.insert(field.into(), FieldError::SlotNotInArea);
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::Validation(errors))
    }
}

/// Takes a new booking's windows (in id order, see the module note) and records them on the
/// shipment; a delivery window must not start before the service can deliver.
#[tracing::instrument(level = "debug", skip_all, fields(shipment_id = shipment_id))]
pub async fn attach(
    tx: &mut Tx<'_>,
    shipment_id: i64,
    req: &BookingRequest,
    earliest_delivery: &str,
    now: i64,
) -> Result<(), AppError> {
    let mut wanted = [
        (req.delivery_slot_id, "delivery_slot_id"),
        (req.pickup_slot_id, "pickup_slot_id"),
    ]
    .into_iter()
    .filter_map(|(id, f)| id.map(|id| (id, f)))
    .collect::<Vec<_>>();
    wanted.sort();
    let mut pickup = None;
    let mut delivery = None;
    for (id, field) in wanted {
        let taken = take(tx, id, now, field).await?;
        if field == "pickup_slot_id" {
            pickup = Some((id, taken.ends_at));
        } else {
            delivery = Some(taken);
        }
    }
    if let Some((pickup_id, pickup_end)) = pickup {
        super::store::set_pickup_slot(&mut **tx, shipment_id, pickup_id).await?;
        if delivery.as_ref().is_some_and(|d| d.starts_at < pickup_end) {
            return Err(AppError::field(
                "delivery_slot_id",
                FieldError::SlotTooEarly,
            ));
        }
    }
    if let Some(d) = delivery {
        if d.day.as_str() < earliest_delivery {
            return Err(AppError::field(
                "delivery_slot_id",
                FieldError::SlotTooEarly,
            ));
        }
        sqlx::query(
            "UPDATE shipments SET delivery_slot_id = $1, promised_from = $2, promised_to = $2 \
             WHERE id = $3",
        )
        .bind(d.id)
        .bind(&d.day)
        .bind(shipment_id)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// The template serving a shipment's destination, for the windows it may move to.
#[tracing::instrument(level = "debug", skip_all, fields(shipment_id = shipment_id))]
pub async fn destination_area(db: &Db, shipment_id: i64) -> Result<Option<Stored>, AppError> {
    area_of(db, &current_delivery(db, shipment_id).await?).await
}

/// The template serving the destination of a delivery as read.
#[tracing::instrument(level = "debug", skip_all, fields(shipment_id = c.id))]
async fn area_of(db: &Db, c: &Current) -> Result<Option<Stored>, AppError> {
    let templates = load_templates(db).await?;
    Ok(area_for(&templates, &c.country, &c.city, &c.postcode).cloned())
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

/// Gives a shipment a delivery window, moves it to another, or sends it to a pickup point.
/// One transaction: the new window is taken and the old one left together, or neither is;
/// the shipment row is only changed if nobody changed it meanwhile. Records a tracking event
/// and a notification for the shipper.
#[tracing::instrument(level = "debug", skip_all, fields(shipment_id = shipment_id))]
pub async fn change_delivery(
    db: &Db,
    shipment_id: i64,
    to: NewDelivery,
    by: ChangedBy,
) -> Result<(), AppError> {
    let c = current_delivery(db, shipment_id).await?;
    if !c.status.reschedulable() {
        return Err(AppError::Conflict(FieldErrors::from([(
            "status".to_string(),
            FieldError::NotReschedulable,
        )])));
    }
    let area = area_of(db, &c).await?;
    let field = match &to {
        NewDelivery::Window(_) => "slot_id",
        NewDelivery::PickupPoint(_) => "pickup_point",
    };
    match &to {
        NewDelivery::Window(slot) => {
            let t = template_of(db, *slot)
                .await?
                .ok_or_else(|| AppError::field(field, FieldError::Invalid))?;
            if area.as_ref().map(|a| a.id) != Some(t) {
                return Err(AppError::field(field, FieldError::SlotNotInArea));
            }
            if c.slot == Some(*slot) {
                return Ok(());
            }
        }
        NewDelivery::PickupPoint(point) => {
            if !area
                .as_ref()
                .is_some_and(|a| a.input.pickup_points.contains(point))
            {
                return Err(AppError::field(field, FieldError::Invalid));
            }
        }
    }
    let now = now_ms();
    let mut tx = db.pool.begin().await?;
    let mut new_window = None;
    // Slots in ascending id order, then the shipment (the module's locking order).
    let new_id = match &to {
        NewDelivery::Window(id) => Some(*id),
        NewDelivery::PickupPoint(_) => None,
    };
    let mut order = [c.slot.map(|s| (s, false)), new_id.map(|s| (s, true))]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>();
    order.sort();
    for (slot, is_new) in order {
        if is_new {
            new_window = Some(take(&mut tx, slot, now, field).await?);
        } else {
            leave(&mut tx, slot, now, "delivery_slot").await?;
        }
    }
    let (note, point) = match (&to, &new_window) {
        (NewDelivery::Window(_), Some(w)) => {
            let t = area.as_ref().or_internal("a new window without its area")?;
            (
                format!(
                    "slot:{} {}-{}",
                    w.day,
                    local_hm(&t.pattern.tz, w.starts_at),
                    local_hm(&t.pattern.tz, w.ends_at)
                ),
                None,
            )
        }
        (NewDelivery::PickupPoint(p), _) => (format!("pickup_point:{p}"), Some(p.clone())),
        _ => return Err(AppError::internal("a new delivery without its window")),
    };
    let day = new_window.as_ref().map(|w| w.day.clone());
    let changed = sqlx::query(
        "UPDATE shipments SET delivery_slot_id = $1, pickup_point = $2, \
         promised_from = COALESCE($3, promised_from), promised_to = COALESCE($3, promised_to), \
         updated_at = $4 WHERE id = $5 AND status = $6 AND COALESCE(delivery_slot_id, 0) = $7",
    )
    .bind(new_window.as_ref().map(|w| w.id))
    .bind(point)
    .bind(day)
    .bind(now)
    .bind(c.id)
    .bind(c.status.as_str())
    .bind(c.slot.unwrap_or(0))
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if changed != 1 {
        return Err(AppError::Conflict(FieldErrors::from([(
            field.to_string(),
            FieldError::ChangedMeanwhile,
        )])));
    }
    let (sql, arguments) = Insert::into("tracking_events")
        .value("shipment_id", c.id)
        .value("status", c.status.as_str())
        .value("occurred_at", now)
        .value("source", "customer")
        .value("note", &note)
        .value("created_at", now)
        .build("RETURNING id")?;
    let event_id: i64 = sqlx::query_scalar_with(&sql, arguments)
        .fetch_one(&mut *tx)
        .await?;
    let payload = serde_json::json!({
        "tracking_number": c.tracking_number,
        "change": note,
        "by": by.as_str(),
    });
    // The shipper hears about the recipient's changes; its own need no message.
    if by == ChangedBy::Recipient {
        crate::notifications::service::record(
            &mut tx,
            c.customer_id,
            Some(c.id),
            crate::notifications::NotificationKind::DeliveryChanged,
            payload,
        )
        .await?;
    }
    tx.commit().await?;
    let event = ShipmentEvent {
        status: c.status,
        time: now,
        place: None,
        note: Some(note),
    };
    announce(db, &c.tracking_number, event_id, event).await;
    Ok(())
}

/// The shipper moves its own shipment's delivery window; another customer's is not found.
#[tracing::instrument(
    level = "debug",
    skip_all,
    fields(customer_id = customer_id, slot_id = slot_id)
)]
pub async fn shipper_reschedule(
    db: &Db,
    customer_id: i64,
    tracking_number: &str,
    slot_id: i64,
) -> Result<Shipment, AppError> {
    let id = own_shipment_id(db, customer_id, tracking_number).await?;
    change_delivery(db, id, NewDelivery::Window(slot_id), ChangedBy::Shipper).await?;
    super::shipments::get(db, customer_id, tracking_number).await
}
