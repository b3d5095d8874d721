//! The return loop: requesting (the shipper signed in, or the recipient by a signed link from
//! the tracking page), an agent's decision, the return shipment booked through the booking code
//! with its own number and label, its scans moving the return, and the refund.

use super::{
    within_window, RefundInput, Return, ReturnDecision, ReturnItem, ReturnLink, ReturnMethod,
    ReturnOptions, ReturnReason, ReturnRequest, ReturnStatus, ReturnStep, ReturnSummary,
};
use crate::accounts::service::{require_customer, Party};
use crate::accounts::User;
use crate::domain::{free_text, single_line, TrackingNumber};
use crate::domain::{ServiceLevel, ShipmentStatus};
use crate::error::{AppError, FieldError, FieldErrors, OrInternal};
use crate::notifications::NotificationKind;
use crate::orders::{BookingRequest, ParcelInput};
use crate::platform::insert::Insert;
use crate::platform::uploads::{self, Owner};
use crate::platform::{links, now_ms, Db, Settings};
use crate::slots::service as slots;

const DAY_MS: i64 = 86_400_000;
const HOUR_MS: i64 = 3_600_000;
pub const MAX_NOTE_CHARS: usize = 1000;
/// The longest drop-off point read (one of the area's points, which are shorter).
pub const MAX_POINT_CHARS: usize = 200;
/// A recipient's link to request a return lasts a day; the link to follow it, 90 days.
const REQUEST_LINK_TTL_MS: i64 = DAY_MS;
const VIEW_LINK_TTL_MS: i64 = 90 * DAY_MS;
const REQUEST_PURPOSE: &str = "return-request";
const VIEW_PURPOSE: &str = "return";

type Tx<'a> = sqlx::Transaction<'a, sqlx::Any>;

/// Who is asking for a return of a shipment.
pub enum Requester {
    /// The shipper, signed in (its own shipments only).
    Shipper(i64),
    /// The recipient, by the signed link the tracking page gave after the postcode proof.
    Recipient,
}

/// Who is looking at a return.
pub enum Caller {
    Customer(i64),
    Staff(User),
    /// The signed link of this return (its recipient).
    Link(i64),
}

/// The signed link the tracking page gives a recipient who proved the postcode: path and query.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn request_link(db: &Db, tracking_number: &str, now: i64) -> Result<String, AppError> {
    let key = links::key(db).await?;
    let exp = now + REQUEST_LINK_TTL_MS;
    let sig = links::sign(&key, REQUEST_PURPOSE, tracking_number, exp);
    Ok(format!(
        "/returns/new?tn={tracking_number}&exp={exp}&sig={sig}"
    ))
}

async fn view_link(db: &Db, id: i64, now: i64) -> Result<String, AppError> {
    let key = links::key(db).await?;
    let exp = now + VIEW_LINK_TTL_MS;
    let sig = links::sign(&key, VIEW_PURPOSE, &id.to_string(), exp);
    Ok(format!("/returns/{id}?exp={exp}&sig={sig}"))
}

async fn link_holds(
    db: &Db,
    purpose: &str,
    subject: &str,
    link: &ReturnLink,
) -> Result<bool, AppError> {
    let (Some(exp), Some(sig)) = (link.exp, link.sig.as_deref()) else {
        return Ok(false);
    };
    let key = links::key(db).await?;
    Ok(links::verify(&key, purpose, subject, exp, sig, now_ms()))
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn requester(
    db: &Db,
    headers: &http::HeaderMap,
    tracking_number: &str,
    link: &ReturnLink,
) -> Result<Requester, AppError> {
    if link.sig.is_some() {
        let tn = TrackingNumber::parse(tracking_number).map_err(|_| AppError::NotFound)?;
        return if link_holds(db, REQUEST_PURPOSE, tn.as_str(), link).await? {
            Ok(Requester::Recipient)
        } else {
            Err(AppError::field("link", FieldError::LinkExpired))
        };
    }
    Ok(Requester::Shipper(require_customer(db, headers).await?))
}

#[tracing::instrument(level = "debug", skip_all, fields(id = id))]
pub async fn caller(
    db: &Db,
    headers: &http::HeaderMap,
    id: i64,
    link: &ReturnLink,
) -> Result<Caller, AppError> {
    if link.sig.is_some() {
        return if link_holds(db, VIEW_PURPOSE, &id.to_string(), link).await? {
            Ok(Caller::Link(id))
        } else {
            Err(AppError::field("link", FieldError::LinkExpired))
        };
    }
    Ok(
        match crate::accounts::service::require_party(db, headers).await? {
            Party::Staff(user) => Caller::Staff(user),
            Party::Customer(c) => Caller::Customer(c),
        },
    )
}

/// A delivered shipment as the return rules read it.
struct Original {
    id: i64,
    customer_id: i64,
    tracking_number: String,
    status: ShipmentStatus,
    parcels: Vec<ParcelInput>,
    currency: String,
    delivered_at: Option<i64>,
}

async fn original(db: &Db, who: &Requester, tracking_number: &str) -> Result<Original, AppError> {
    let tn = TrackingNumber::parse(tracking_number).map_err(|_| AppError::NotFound)?;
    let row = crate::orders::store::parcels_by_number(&db.pool, tn.as_str())
        .await?
        .ok_or(AppError::NotFound)?;
    if let Requester::Shipper(c) = who {
        if *c != row.customer_id {
            return Err(AppError::NotFound);
        }
    }
    let parcels: Vec<ParcelInput> =
        serde_json::from_str(&row.parcels).or_internal("shipments.parcels is not parcels JSON")?;
    Ok(Original {
        id: row.id,
        customer_id: row.customer_id,
        tracking_number: tn.as_str().to_string(),
        status: ShipmentStatus::parse(&row.status)
            .or_internal("shipments.status is not a status")?,
        parcels,
        currency: row.currency,
        delivered_at: crate::orders::store::delivered_at(&db.pool, row.id).await?,
    })
}

async fn items_of(db: &Db, o: &Original) -> Result<Vec<ReturnItem>, AppError> {
    let taken: Vec<i64> =
        sqlx::query_scalar("SELECT parcel_index FROM return_items WHERE shipment_id = $1")
            .bind(o.id)
            .fetch_all(&db.pool)
            .await?;
    Ok(o.parcels
        .iter()
        .enumerate()
        .map(|(i, p)| ReturnItem {
            index: i as u32,
            contents: p.contents.clone(),
            weight_g: p.weight_g,
            declared_value: p.declared_value,
            in_return: taken.contains(&(i as i64)),
        })
        .collect())
}

/// The items, windows and points a return of this shipment may choose.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn options(
    db: &Db,
    who: &Requester,
    tracking_number: &str,
    window_days: u32,
) -> Result<ReturnOptions, AppError> {
    let o = original(db, who, tracking_number).await?;
    let area = crate::orders::delivery::destination_area(db, o.id).await?;
    Ok(ReturnOptions {
        tracking_number: o.tracking_number.clone(),
        delivered_at: o.delivered_at,
        window_ends_at: o.delivered_at.map(|d| d + i64::from(window_days) * DAY_MS),
        items: items_of(db, &o).await?,
        currency: o.currency.clone(),
        slots: slots::area_slots(db, area.as_ref()).await?,
        drop_off_points: area.map(|a| a.input.pickup_points).unwrap_or_default(),
    })
}

fn conflict(field: &str, error: FieldError) -> AppError {
    AppError::Conflict(FieldErrors::from([(field.to_string(), error)]))
}

/// Opens a return. Everything is checked first and every problem named; the return, its items
/// (each in one open return only, whatever the concurrency), its pickup window and its
/// notification are then written in one transaction.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn create(
    db: &Db,
    who: &Requester,
    tracking_number: &str,
    req: &ReturnRequest,
    window_days: u32,
) -> Result<Return, AppError> {
    create_at(db, who, tracking_number, req, window_days, now_ms()).await
}

/// `create` at the clock `now` (the window is checked against it): the demo's history.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn create_at(
    db: &Db,
    who: &Requester,
    tracking_number: &str,
    req: &ReturnRequest,
    window_days: u32,
    now: i64,
) -> Result<Return, AppError> {
    let o = original(db, who, tracking_number).await?;
    if o.status != ShipmentStatus::Delivered {
        return Err(conflict("tracking_number", FieldError::NotDelivered));
    }
    if !o
        .delivered_at
        .is_some_and(|d| within_window(d, now, window_days))
    {
        return Err(conflict("tracking_number", FieldError::ReturnWindowClosed));
    }
    let mut errors = FieldErrors::new();
    let mut items: Vec<u32> = req.items.clone();
    items.sort_unstable();
    items.dedup();
    if items.is_empty() {
        errors.insert("items".into(), FieldError::NothingChosen);
    } else if items.iter().any(|i| *i as usize >= o.parcels.len()) {
        errors.insert("items".into(), FieldError::Invalid);
    }
    let note = match free_text(req.note.as_deref().unwrap_or(""), MAX_NOTE_CHARS, false) {
        Ok(n) => n,
        Err(e) => {
            errors.insert("note".into(), e);
            None
        }
    };
    let area = crate::orders::delivery::destination_area(db, o.id).await?;
    let (mut slot, mut point) = (None, None);
    match req.method {
        ReturnMethod::Pickup => match req.pickup_slot_id {
            None => {
                errors.insert("pickup_slot_id".into(), FieldError::Required);
            }
            Some(id) => match (slots::template_of(db, id).await?, &area) {
                (Some(t), Some(a)) if t == a.id => slot = Some(id),
                (None, _) => {
                    errors.insert("pickup_slot_id".into(), FieldError::Invalid);
                }
                _ => {
                    errors.insert("pickup_slot_id".into(), FieldError::SlotNotInArea);
                }
            },
        },
        ReturnMethod::DropOff => {
            let chosen = single_line(
                req.drop_off_point.as_deref().unwrap_or(""),
                MAX_POINT_CHARS,
                true,
            );
            let points = area
                .as_ref()
                .map(|a| a.input.pickup_points.clone())
                .unwrap_or_default();
            match chosen {
                Ok(Some(p)) if points.contains(&p) => point = Some(p),
                Ok(_) => {
                    errors.insert("drop_off_point".into(), FieldError::Invalid);
                }
                Err(e) => {
                    errors.insert("drop_off_point".into(), e);
                }
            }
        }
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let requested_by = match who {
        Requester::Shipper(_) => "shipper",
        Requester::Recipient => "recipient",
    };
    let mut tx = db.pool.begin().await?;
    let (sql, arguments) = Insert::into("returns")
        .value("customer_id", o.customer_id)
        .value("shipment_id", o.id)
        .value("requested_by", requested_by)
        .value(
            "items",
            serde_json::to_string(&items).or_internal("return items as JSON")?,
        )
        .value("reason", req.reason.as_str())
        .value("note", note)
        .value("method", req.method.as_str())
        .value("pickup_slot_id", slot)
        .value("drop_off_point", point)
        .value("status", ReturnStatus::Requested.as_str())
        .value("currency", &o.currency)
        .value("created_at", now)
        .value("updated_at", now)
        .build("RETURNING id")?;
    let id: i64 = sqlx::query_scalar_with(&sql, arguments)
        .fetch_one(&mut *tx)
        .await?;
    for i in &items {
        let claimed = sqlx::query(
            "INSERT INTO return_items (shipment_id, parcel_index, return_id) VALUES ($1, $2, $3)",
        )
        .bind(o.id)
        .bind(i64::from(*i))
        .bind(id)
        .execute(&mut *tx)
        .await;
        match claimed {
            Ok(_) => {}
            Err(e) if Db::is_unique_violation(&e) => {
                return Err(conflict("items", FieldError::AlreadyReturned))
            }
            Err(e) => return Err(e.into()),
        }
    }
    if let Some(s) = slot {
        slots::take(&mut tx, s, now, "pickup_slot_id").await?;
    }
    step(
        &mut tx,
        id,
        o.customer_id,
        ReturnStatus::Requested,
        None,
        None,
        now,
    )
    .await?;
    tx.commit().await?;
    let mut r = get(db, &Caller::Customer(o.customer_id), id).await?;
    if matches!(who, Requester::Recipient) {
        r.view_link = Some(view_link(db, id, now).await?);
    }
    Ok(r)
}

/// Records a step and tells the customer, in the caller's transaction.
async fn step(
    tx: &mut Tx<'_>,
    return_id: i64,
    customer_id: i64,
    status: ReturnStatus,
    user_id: Option<i64>,
    note: Option<&str>,
    now: i64,
) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO return_steps (return_id, status, user_id, note, at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(return_id)
    .bind(status.as_str())
    .bind(user_id)
    .bind(note.map(str::to_string))
    .bind(now)
    .execute(&mut **tx)
    .await?;
    let row: StepShipmentsRow = sqlx::query_as(
        "SELECT s.id AS shipment_id, s.tracking_number, rs.tracking_number AS return_tn \
         FROM returns JOIN shipments s ON s.id = returns.shipment_id \
         LEFT JOIN shipments rs ON rs.id = returns.return_shipment_id WHERE returns.id = $1",
    )
    .bind(return_id)
    .fetch_one(&mut **tx)
    .await?;
    let payload = serde_json::json!({
        "return_id": return_id,
        "step": status.as_str(),
        "tracking_number": row.tracking_number,
        "return_tracking_number": row.return_tn,
    });
    crate::notifications::service::record(
        tx,
        customer_id,
        Some(row.shipment_id),
        NotificationKind::ReturnUpdate,
        payload,
    )
    .await
}

/// The shipments a return step's notification names.
#[derive(sqlx::FromRow)]
struct StepShipmentsRow {
    shipment_id: i64,
    tracking_number: String,
    return_tn: Option<String>,
}

/// Moves a return from `from` to `to`, refusing if someone moved it meanwhile.
async fn advance(
    tx: &mut Tx<'_>,
    id: i64,
    from: ReturnStatus,
    to: ReturnStatus,
    now: i64,
) -> Result<(), AppError> {
    debug_assert!(from.can_become(to));
    let changed = sqlx::query(
        "UPDATE returns SET status = $1, updated_at = $2 WHERE id = $3 AND status = $4",
    )
    .bind(to.as_str())
    .bind(now)
    .bind(id)
    .bind(from.as_str())
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if changed == 1 {
        Ok(())
    } else {
        Err(conflict("status", FieldError::ChangedMeanwhile))
    }
}

fn check_move(from: ReturnStatus, to: ReturnStatus) -> Result<(), AppError> {
    if from.can_become(to) {
        Ok(())
    } else {
        Err(conflict("status", FieldError::TransitionIllegal))
    }
}

/// An agent approves (the return shipment is booked and its label issued at once) or rejects
/// it with a reason (its items and window are given back).
#[tracing::instrument(level = "debug", skip_all, fields(user = agent.id, id = id))]
pub async fn decide(
    db: &Db,
    agent: &User,
    id: i64,
    d: &ReturnDecision,
) -> Result<Return, AppError> {
    decide_at(db, agent, id, d, now_ms()).await
}

/// `decide` at the clock `now`; an approved return's shipment is booked at that moment.
#[tracing::instrument(level = "debug", skip_all, fields(user = agent.id, id = id))]
pub async fn decide_at(
    db: &Db,
    agent: &User,
    id: i64,
    d: &ReturnDecision,
    now: i64,
) -> Result<Return, AppError> {
    let r = get(db, &Caller::Staff(agent.clone()), id).await?;
    let note = free_text(d.note.as_deref().unwrap_or(""), MAX_NOTE_CHARS, !d.approve)
        .map_err(|e| AppError::field("note", e))?;
    let to = if d.approve {
        ReturnStatus::Approved
    } else {
        ReturnStatus::Rejected
    };
    check_move(r.status, to)?;
    let customer_id = customer_of(db, id).await?;
    let original = match d.approve {
        true => Some(crate::orders::shipments::get(db, customer_id, &r.tracking_number).await?),
        false => None,
    };
    let mut tx = db.pool.begin().await?;
    advance(&mut tx, id, r.status, to, now).await?;
    sqlx::query("UPDATE returns SET decision_note = $1 WHERE id = $2")
        .bind(note.clone())
        .bind(id)
        .execute(&mut *tx)
        .await?;
    step(
        &mut tx,
        id,
        customer_id,
        to,
        Some(agent.id),
        note.as_deref(),
        now,
    )
    .await?;
    if let Some(original) = original {
        let shipment_id = book_return_shipment(&mut tx, &original, customer_id, &r, now).await?;
        sqlx::query("UPDATE returns SET return_shipment_id = $1 WHERE id = $2")
            .bind(shipment_id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        advance(
            &mut tx,
            id,
            ReturnStatus::Approved,
            ReturnStatus::LabelIssued,
            now,
        )
        .await?;
        step(
            &mut tx,
            id,
            customer_id,
            ReturnStatus::LabelIssued,
            Some(agent.id),
            None,
            now,
        )
        .await?;
    } else {
        sqlx::query("DELETE FROM return_items WHERE return_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if let Some(s) = &r.pickup_slot {
            slots::free(&mut tx, s.id).await?;
        }
    }
    tx.commit().await?;
    get(db, &Caller::Staff(agent.clone()), id).await
}

async fn customer_of(db: &Db, id: i64) -> Result<i64, AppError> {
    Ok(
        sqlx::query_scalar("SELECT customer_id FROM returns WHERE id = $1")
            .bind(id)
            .fetch_one(&db.pool)
            .await?,
    )
}

/// Books the way back through the booking code: from the recipient to the shipper, the
/// returned items only, standard service, numbered and priced like any shipment. The pickup
/// window was taken when the return was requested.
async fn book_return_shipment(
    tx: &mut Tx<'_>,
    original: &crate::orders::Shipment,
    customer_id: i64,
    r: &Return,
    now: i64,
) -> Result<i64, AppError> {
    let parcels = r
        .items
        .iter()
        .filter_map(|i| original.parcels.get(i.index as usize).cloned())
        .collect();
    let booking = BookingRequest {
        sender: original.recipient.clone(),
        recipient: original.sender.clone(),
        parcels,
        service: ServiceLevel::Standard,
        insure: false,
        reference: Some(format!("RETURN {}", r.tracking_number)),
        delivery_slot_id: None,
        pickup_slot_id: None,
    };
    let valid = crate::orders::shipments::validate(&booking)?;
    let tier = crate::accounts::store::tier(&mut **tx, customer_id).await?;
    let (shipment_id, _) = crate::orders::shipments::insert(
        tx,
        customer_id,
        &valid,
        tier.as_str(),
        now,
        &mut crate::orders::shipments::random_serial,
    )
    .await?;
    if let Some(s) = &r.pickup_slot {
        crate::orders::store::set_pickup_slot(&mut **tx, shipment_id, s.id).await?;
    }
    Ok(shipment_id)
}

/// Once the parcel is back: refund the items' declared value, or close without a refund.
#[tracing::instrument(level = "debug", skip_all, fields(user = agent.id, id = id))]
pub async fn refund(
    db: &Db,
    agent: &User,
    id: i64,
    input: &RefundInput,
) -> Result<Return, AppError> {
    refund_at(db, agent, id, input, now_ms()).await
}

/// `refund` at the clock `now`.
#[tracing::instrument(level = "debug", skip_all, fields(user = agent.id, id = id))]
pub async fn refund_at(
    db: &Db,
    agent: &User,
    id: i64,
    input: &RefundInput,
    now: i64,
) -> Result<Return, AppError> {
    let r = get(db, &Caller::Staff(agent.clone()), id).await?;
    let note = free_text(input.note.as_deref().unwrap_or(""), MAX_NOTE_CHARS, false)
        .map_err(|e| AppError::field("note", e))?;
    let to = if input.refund {
        ReturnStatus::Refunded
    } else {
        ReturnStatus::Closed
    };
    check_move(r.status, to)?;
    let customer_id = customer_of(db, id).await?;
    let mut tx = db.pool.begin().await?;
    advance(&mut tx, id, r.status, to, now).await?;
    if input.refund {
        sqlx::query("UPDATE returns SET refund_amount = $1 WHERE id = $2")
            .bind(r.refundable)
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    step(
        &mut tx,
        id,
        customer_id,
        to,
        Some(agent.id),
        note.as_deref(),
        now,
    )
    .await?;
    tx.commit().await?;
    get(db, &Caller::Staff(agent.clone()), id).await
}

/// The return a return shipment carries, as `follow_scan` reads it.
#[derive(sqlx::FromRow)]
struct ReturnStateRow {
    id: i64,
    customer_id: i64,
    status: String,
}

/// A scan of a return shipment moves its return: picked up or on the way -> `in_transit`,
/// delivered back to the shipper -> `received`. Runs in the scan's transaction.
#[tracing::instrument(level = "debug", skip_all, fields(shipment_id = shipment_id))]
pub async fn follow_scan(
    tx: &mut Tx<'_>,
    shipment_id: i64,
    status: ShipmentStatus,
    now: i64,
) -> Result<(), AppError> {
    let followed: Option<ReturnStateRow> =
        sqlx::query_as("SELECT id, customer_id, status FROM returns WHERE return_shipment_id = $1")
            .bind(shipment_id)
            .fetch_optional(&mut **tx)
            .await?;
    let Some(row) = followed else {
        return Ok(());
    };
    let (id, customer_id) = (row.id, row.customer_id);
    let mut current =
        ReturnStatus::parse(&row.status).or_internal("returns.status is not a status")?;
    let target = match status {
        ShipmentStatus::PickedUp | ShipmentStatus::InTransit | ShipmentStatus::AtHub => {
            ReturnStatus::InTransit
        }
        ShipmentStatus::Delivered => ReturnStatus::Received,
        _ => return Ok(()),
    };
    // A delivery scan without an earlier pickup scan still passes through `in_transit`.
    for next in [ReturnStatus::InTransit, ReturnStatus::Received] {
        if current == target || !current.can_become(next) {
            continue;
        }
        advance(tx, id, current, next, now).await?;
        step(tx, id, customer_id, next, None, None, now).await?;
        current = next;
    }
    Ok(())
}

const RETURN_COLUMNS: &str = "r.id, s.tracking_number, x.tracking_number AS return_tn, \
     r.status, r.reason, r.note, r.method, r.pickup_slot_id, r.drop_off_point, r.items, \
     r.refund_amount, r.currency, r.decision_note, r.requested_by, c.name AS customer_name, \
     r.customer_id, r.shipment_id, r.created_at, c.tier AS customer_tier";

/// A return as `RETURN_COLUMNS` reads it.
#[derive(sqlx::FromRow)]
struct ReturnRow {
    id: i64,
    tracking_number: String,
    return_tn: Option<String>,
    status: String,
    reason: String,
    note: Option<String>,
    method: String,
    pickup_slot_id: Option<i64>,
    drop_off_point: Option<String>,
    /// The returned parcels' indexes, as JSON.
    items: String,
    refund_amount: Option<i64>,
    currency: String,
    decision_note: Option<String>,
    requested_by: String,
    customer_name: String,
    customer_id: i64,
    shipment_id: i64,
    created_at: i64,
    customer_tier: String,
}

/// A step of a return as stored.
#[derive(sqlx::FromRow)]
struct StepRow {
    status: String,
    at: i64,
    note: Option<String>,
}

impl StepRow {
    fn into_step(self) -> Result<ReturnStep, AppError> {
        Ok(ReturnStep {
            status: ReturnStatus::parse(&self.status)
                .or_internal("a return step's status is unknown")?,
            at: self.at,
            note: self.note,
        })
    }
}

/// One return the caller may see; anyone else's is "not found".
#[tracing::instrument(level = "debug", skip_all, fields(id = id))]
pub async fn get(db: &Db, caller: &Caller, id: i64) -> Result<Return, AppError> {
    let row: ReturnRow = sqlx::query_as(&format!(
        "SELECT {RETURN_COLUMNS} FROM returns r JOIN shipments s ON s.id = r.shipment_id \
         LEFT JOIN shipments x ON x.id = r.return_shipment_id \
         JOIN customers c ON c.id = r.customer_id WHERE r.id = $1"
    ))
    .bind(id)
    .fetch_optional(&db.pool)
    .await?
    .ok_or(AppError::NotFound)?;
    match caller {
        Caller::Customer(c) if *c != row.customer_id => return Err(AppError::NotFound),
        Caller::Link(r) if *r != id => return Err(AppError::NotFound),
        _ => {}
    }
    let parcels = crate::orders::store::parcels_json(&db.pool, row.shipment_id).await?;
    let parcels: Vec<ParcelInput> =
        serde_json::from_str(&parcels).or_internal("shipments.parcels is not parcels JSON")?;
    let indexes: Vec<u32> =
        serde_json::from_str(&row.items).or_internal("returns.items is not a list of indexes")?;
    let items: Vec<ReturnItem> = indexes
        .iter()
        .filter_map(|i| {
            parcels.get(*i as usize).map(|p| ReturnItem {
                index: *i,
                contents: p.contents.clone(),
                weight_g: p.weight_g,
                declared_value: p.declared_value,
                in_return: true,
            })
        })
        .collect();
    let pickup_slot = match row.pickup_slot_id {
        Some(s) => slots::slot_by_id(db, s, now_ms()).await?,
        None => None,
    };
    let steps: Vec<StepRow> = sqlx::query_as(
        "SELECT status, at, note FROM return_steps WHERE return_id = $1 ORDER BY id",
    )
    .bind(id)
    .fetch_all(&db.pool)
    .await?;
    let steps = steps
        .into_iter()
        .map(StepRow::into_step)
        .collect::<Result<Vec<_>, AppError>>()?;
    let tier = crate::domain::Tier::parse(&row.customer_tier)
        .or_internal("customers.tier is not a tier")?
        .as_str();
    Ok(Return {
        id: row.id,
        tracking_number: row.tracking_number,
        return_tracking_number: row.return_tn,
        status: ReturnStatus::parse(&row.status).or_internal("returns.status is not a status")?,
        reason: ReturnReason::parse(&row.reason).or_internal("returns.reason is not a reason")?,
        note: row.note,
        method: ReturnMethod::parse(&row.method).or_internal("returns.method is not a method")?,
        pickup_slot,
        drop_off_point: row.drop_off_point,
        refundable: items.iter().map(|i| i.declared_value).sum(),
        items,
        photos: uploads::list(db, photos_of(id)).await?,
        refund_amount: row.refund_amount,
        currency: row.currency,
        decision_note: row.decision_note,
        requested_by: row.requested_by,
        customer_name: row.customer_name,
        decision_due: decision_due(tier, row.created_at),
        tier: matches!(caller, Caller::Staff(_)).then(|| tier.to_string()),
        steps,
        created_at: row.created_at,
        view_link: None,
    })
}

/// An agent should decide within the tier's first-response time.
fn decision_due(tier: &str, created_at: i64) -> i64 {
    created_at + crate::domain::sla_for(tier).first_response_hours * HOUR_MS
}

/// A line of a return list as stored.
#[derive(sqlx::FromRow)]
struct SummaryRow {
    id: i64,
    tracking_number: String,
    return_tn: Option<String>,
    status: String,
    reason: String,
    customer_name: String,
    created_at: i64,
    updated_at: i64,
    customer_tier: String,
}

/// A customer's returns (newest first), or with `None` the care team's queue: returns waiting
/// for a decision or a refund, the most overdue first.
#[tracing::instrument(level = "debug", skip_all, fields(customer_id = customer))]
pub async fn list(db: &Db, customer: Option<i64>) -> Result<Vec<ReturnSummary>, AppError> {
    let (filter, order) = match customer {
        Some(_) => ("r.customer_id = $1", "r.id DESC"),
        // Waiting since it was opened, or since it arrived: the longest waiting first, so a
        // cap never hides the most overdue.
        None => (
            "r.status IN ('requested', 'received') AND $1 = 0",
            "CASE WHEN r.status = 'received' THEN r.updated_at ELSE r.created_at END, r.id",
        ),
    };
    let rows: Vec<SummaryRow> = sqlx::query_as(&format!(
        "SELECT r.id, s.tracking_number, x.tracking_number AS return_tn, r.status, r.reason, \
         c.name AS customer_name, r.customer_id, r.created_at, r.updated_at, \
         c.tier AS customer_tier FROM returns r JOIN shipments s ON s.id = r.shipment_id \
         LEFT JOIN shipments x ON x.id = r.return_shipment_id \
         JOIN customers c ON c.id = r.customer_id WHERE {filter} ORDER BY {order} LIMIT 200"
    ))
    .bind(customer.unwrap_or(0))
    .fetch_all(&db.pool)
    .await?;
    let mut out = rows
        .into_iter()
        .map(|r| {
            let status =
                ReturnStatus::parse(&r.status).or_internal("returns.status is not a status")?;
            let tier = crate::domain::Tier::parse(&r.customer_tier)
                .or_internal("customers.tier is not a tier")?
                .as_str();
            // Waiting for a decision since it was opened; for a refund since it arrived.
            let due_at = if status == ReturnStatus::Received {
                r.updated_at + crate::domain::sla_for(tier).first_response_hours * HOUR_MS
            } else {
                decision_due(tier, r.created_at)
            };
            Ok(ReturnSummary {
                id: r.id,
                tracking_number: r.tracking_number,
                return_tracking_number: r.return_tn,
                status,
                reason: ReturnReason::parse(&r.reason)
                    .or_internal("returns.reason is not a reason")?,
                customer_name: r.customer_name,
                tier: customer.is_none().then(|| tier.to_string()),
                due_at,
                created_at: r.created_at,
            })
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    if customer.is_none() {
        out.sort_by_key(|r| (r.due_at, r.id));
    }
    Ok(out)
}

#[tracing::instrument(level = "debug", skip_all, fields(id = id))]
pub async fn add_photo(
    db: &Db,
    settings: &Settings,
    caller: &Caller,
    id: i64,
    bytes: &[u8],
) -> Result<Return, AppError> {
    let r = get(db, caller, id).await?;
    if !r.status.open() {
        return Err(conflict("photo", FieldError::TransitionIllegal));
    }
    uploads::save(
        db,
        settings,
        photos_of(id),
        customer_id_of(db, id).await?,
        "photo",
        bytes,
    )
    .await?;
    get(db, caller, id).await
}

#[tracing::instrument(level = "debug", skip_all, fields(id = id, photo_id = photo_id))]
pub async fn photo(
    db: &Db,
    settings: &Settings,
    caller: &Caller,
    id: i64,
    photo_id: i64,
) -> Result<(String, Vec<u8>), AppError> {
    get(db, caller, id).await?;
    uploads::read(db, &settings.upload_dir, photos_of(id), photo_id).await
}

/// The return label: the return shipment's label, its QR code opening its tracking page.
#[tracing::instrument(level = "debug", skip_all, fields(id = id))]
pub async fn label(
    db: &Db,
    settings: &Settings,
    caller: &Caller,
    id: i64,
) -> Result<Vec<u8>, AppError> {
    let r = get(db, caller, id).await?;
    let Some(tn) = r.return_tracking_number else {
        return Err(conflict("status", FieldError::TransitionIllegal));
    };
    let customer_id = customer_of(db, id).await?;
    crate::orders::shipments::label(db, customer_id, &tn, &settings.public_url).await
}

/// A return's photos, as the uploads file them: the return's row is locked while one is counted.
fn photos_of(id: i64) -> Owner {
    Owner {
        kind: "return",
        table: "returns",
        id,
    }
}

/// The customer a return is for: its photos count against that customer's daily quota.
async fn customer_id_of(db: &Db, id: i64) -> Result<i64, AppError> {
    sqlx::query_scalar("SELECT customer_id FROM returns WHERE id = $1")
        .bind(id)
        .fetch_optional(&db.pool)
        .await?
        .ok_or(AppError::NotFound)
}
