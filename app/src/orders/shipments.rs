//! The shipment store: one shipment's detail and history, the customer's list with keyset
//! pagination, cancel, the label, and the announcement of a new event. Booking is in `booking`
//! and `idempotency`, re-exported here under the paths callers use.

pub(crate) use super::booking::insert;
pub use super::booking::{random_serial, validate, ValidBooking, MAX_REFERENCE_CHARS};
pub use super::idempotency::{
    book_claimed, book_once, book_once_at, book_once_drawing, claim_key, Booked, Claim, KeyClaim,
    MAX_IDEMPOTENCY_KEY_BYTES,
};
use super::{
    ParcelInput, PriceLine, ServiceLevel, Shipment, ShipmentEvent, ShipmentPage, ShipmentQuery,
    ShipmentSort, ShipmentStatus, ShipmentSummary,
};
use crate::addresses::AddressInput;
use crate::domain::{single_line, TrackingNumber};
use crate::error::{AppError, FieldError, FieldErrors, OrInternal};
use crate::kpi_rollup::{Counted, Subject};
use crate::platform::{now_ms, Db};

pub const MAX_PAGE: u32 = 100;
/// The longest search text read.
pub const MAX_SEARCH_CHARS: usize = 100;
pub const DEFAULT_PAGE: u32 = 25;

const DETAIL_COLUMNS: &str = "id, tracking_number, status, service, reference, \
    sender_name, sender_company, sender_phone, sender_line1, sender_line2, sender_city, \
    sender_postcode, sender_country, recipient_name, recipient_company, recipient_phone, \
    recipient_line1, recipient_line2, recipient_city, recipient_postcode, recipient_country, \
    parcels, insured, currency, price_lines, total, promised_from, promised_to, created_at, \
    delivery_slot_id, pickup_slot_id, pickup_point";

/// A shipment's columns its detail shows.
#[derive(sqlx::FromRow)]
struct DetailRow {
    id: i64,
    tracking_number: String,
    status: String,
    service: String,
    reference: Option<String>,
    sender_name: String,
    sender_company: Option<String>,
    sender_phone: String,
    sender_line1: String,
    sender_line2: Option<String>,
    sender_city: String,
    sender_postcode: String,
    sender_country: String,
    recipient_name: String,
    recipient_company: Option<String>,
    recipient_phone: String,
    recipient_line1: String,
    recipient_line2: Option<String>,
    recipient_city: String,
    recipient_postcode: String,
    recipient_country: String,
    parcels: String,
    insured: i64,
    currency: String,
    price_lines: String,
    total: i64,
    promised_from: String,
    promised_to: String,
    created_at: i64,
    delivery_slot_id: Option<i64>,
    pickup_slot_id: Option<i64>,
    pickup_point: Option<String>,
}

/// A tracking event's columns a shipment's history shows.
#[derive(sqlx::FromRow)]
struct EventRow {
    status: String,
    occurred_at: i64,
    place: Option<String>,
    note: Option<String>,
}

/// A shipment's columns the list shows.
#[derive(sqlx::FromRow)]
struct SummaryRow {
    id: i64,
    tracking_number: String,
    status: String,
    service: String,
    reference: Option<String>,
    recipient_name: String,
    recipient_city: String,
    recipient_country: String,
    parcel_count: i64,
    weight_g: i64,
    total: i64,
    currency: String,
    promised_to: String,
    created_at: i64,
}

impl SummaryRow {
    fn into_summary(self) -> Result<ShipmentSummary, AppError> {
        Ok(ShipmentSummary {
            tracking_number: self.tracking_number,
            status: status_of(&self.status)?,
            service: service_of(&self.service)?,
            reference: self.reference,
            recipient_name: self.recipient_name,
            recipient_city: self.recipient_city,
            recipient_country: self.recipient_country,
            parcel_count: self.parcel_count,
            weight_g: self.weight_g,
            total: self.total,
            currency: self.currency,
            promised_to: self.promised_to,
            created_at: self.created_at,
        })
    }
}

fn status_of(s: &str) -> Result<ShipmentStatus, AppError> {
    ShipmentStatus::parse(s).or_internal("shipments.status is not a status")
}

fn service_of(s: &str) -> Result<ServiceLevel, AppError> {
    ServiceLevel::parse(s).or_internal("shipments.service is not a service")
}

/// A shipment's history, newest first.
#[tracing::instrument(level = "debug", skip_all, fields(shipment_id = shipment_id))]
pub async fn events(db: &Db, shipment_id: i64) -> Result<Vec<ShipmentEvent>, AppError> {
    sqlx::query_as::<_, EventRow>(
        "SELECT status, occurred_at, place, note FROM tracking_events WHERE shipment_id = $1 \
         ORDER BY occurred_at DESC, id DESC",
    )
    .bind(shipment_id)
    .fetch_all(&db.pool)
    .await?
    .into_iter()
    .map(|e| {
        Ok(ShipmentEvent {
            status: status_of(&e.status)?,
            time: e.occurred_at,
            place: e.place,
            note: e.note,
        })
    })
    .collect()
}

async fn shipment_from_row(db: &Db, row: DetailRow) -> Result<Shipment, AppError> {
    let id = row.id;
    let parcels: Vec<ParcelInput> = serde_json::from_str(&row.parcels)
        .map_err(|e| AppError::internal(format_args!("shipment {id}: bad parcels JSON: {e}")))?;
    let price_lines: Vec<PriceLine> = serde_json::from_str(&row.price_lines)
        .map_err(|e| AppError::internal(format_args!("shipment {id}: bad price JSON: {e}")))?;
    let events = events(db, id).await?;
    let now = now_ms();
    let slot = async |slot_id: Option<i64>| -> Result<Option<crate::slots::Slot>, AppError> {
        match slot_id {
            Some(id) => crate::slots::service::slot_by_id(db, id, now).await,
            None => Ok(None),
        }
    };
    let delivery_slot = slot(row.delivery_slot_id).await?;
    let pickup_slot = slot(row.pickup_slot_id).await?;
    Ok(Shipment {
        tracking_number: row.tracking_number,
        status: status_of(&row.status)?,
        service: service_of(&row.service)?,
        reference: row.reference,
        sender: AddressInput {
            name: row.sender_name,
            company: row.sender_company.unwrap_or_default(),
            phone: row.sender_phone,
            line1: row.sender_line1,
            line2: row.sender_line2.unwrap_or_default(),
            city: row.sender_city,
            postcode: row.sender_postcode,
            country: row.sender_country,
        },
        recipient: AddressInput {
            name: row.recipient_name,
            company: row.recipient_company.unwrap_or_default(),
            phone: row.recipient_phone,
            line1: row.recipient_line1,
            line2: row.recipient_line2.unwrap_or_default(),
            city: row.recipient_city,
            postcode: row.recipient_postcode,
            country: row.recipient_country,
        },
        parcels,
        insured: row.insured != 0,
        currency: row.currency,
        price_lines,
        total: row.total,
        promised_from: row.promised_from,
        promised_to: row.promised_to,
        created_at: row.created_at,
        delivery_slot,
        pickup_slot,
        pickup_point: row.pickup_point,
        events,
    })
}

pub(super) async fn get_by_id(db: &Db, customer_id: i64, id: i64) -> Result<Shipment, AppError> {
    let row: DetailRow = sqlx::query_as(&format!(
        "SELECT {DETAIL_COLUMNS} FROM shipments WHERE id = $1 AND customer_id = $2"
    ))
    .bind(id)
    .bind(customer_id)
    .fetch_optional(&db.pool)
    .await?
    .ok_or(AppError::NotFound)?;
    shipment_from_row(db, row).await
}

/// One of the customer's shipments. Another customer's, a malformed number and an unknown one
/// all answer "not found", so nothing is learnt by guessing.
#[tracing::instrument(level = "debug", skip_all, fields(customer_id = customer_id))]
pub async fn get(db: &Db, customer_id: i64, tracking_number: &str) -> Result<Shipment, AppError> {
    let tn = TrackingNumber::parse(tracking_number).map_err(|_| AppError::NotFound)?;
    let row: DetailRow = sqlx::query_as(&format!(
        "SELECT {DETAIL_COLUMNS} FROM shipments WHERE tracking_number = $1 AND customer_id = $2"
    ))
    .bind(tn.as_str().to_string())
    .bind(customer_id)
    .fetch_optional(&db.pool)
    .await?
    .ok_or(AppError::NotFound)?;
    shipment_from_row(db, row).await
}

/// Cancels a shipment that has not been picked up; the change is a conditional UPDATE, so a
/// pickup scan arriving at the same moment wins or loses cleanly.
#[tracing::instrument(level = "debug", skip_all, fields(customer_id = customer_id))]
pub async fn cancel(
    db: &Db,
    customer_id: i64,
    tracking_number: &str,
) -> Result<Shipment, AppError> {
    let shipment = get(db, customer_id, tracking_number).await?;
    let not_cancellable = || {
        AppError::Conflict(FieldErrors::from([(
            "status".to_string(),
            FieldError::NotCancellable,
        )]))
    };
    // The rule is `ShipmentStatus::cancellable`, which the page also asks; the UPDATE only
    // confirms the status is still the one just read.
    if !shipment.status.cancellable() {
        return Err(not_cancellable());
    }
    let now = now_ms();
    let held: Vec<i64> = [&shipment.delivery_slot, &shipment.pickup_slot]
        .into_iter()
        .flatten()
        .map(|s| s.id)
        .collect();
    // Read before the transaction: on SQLite its first statement must be a write.
    let id = super::store::own_shipment_id(db, customer_id, &shipment.tracking_number).await?;
    let mut tx = db.pool.begin().await?;
    // Windows first (the slots module's locking order); the shipment's UPDATE then confirms
    // nothing changed since it was read, or the whole cancellation rolls back.
    crate::slots::service::free_for_cancelled(&mut tx, &held).await?;
    let counted = Counted::read(&mut tx, Subject::Shipment(id)).await?;
    let changed = sqlx::query(
        "UPDATE shipments SET status = $1, updated_at = $2, delivery_slot_id = NULL, \
         pickup_slot_id = NULL WHERE tracking_number = $3 AND customer_id = $4 AND status = $5 \
         AND COALESCE(delivery_slot_id, 0) = $6 AND COALESCE(pickup_slot_id, 0) = $7",
    )
    .bind(ShipmentStatus::Cancelled.as_str())
    .bind(now)
    .bind(shipment.tracking_number.clone())
    .bind(customer_id)
    .bind(shipment.status.as_str())
    .bind(shipment.delivery_slot.as_ref().map_or(0, |s| s.id))
    .bind(shipment.pickup_slot.as_ref().map_or(0, |s| s.id))
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if changed != 1 {
        return Err(not_cancellable());
    }
    let event_id: i64 = sqlx::query_scalar(
        "INSERT INTO tracking_events (shipment_id, status, occurred_at, source, note, created_at) \
         SELECT id, $1, $2, 'customer', NULL, $2 FROM shipments WHERE tracking_number = $3 \
         RETURNING id",
    )
    .bind(ShipmentStatus::Cancelled.as_str())
    .bind(now)
    .bind(shipment.tracking_number.clone())
    .fetch_one(&mut *tx)
    .await?;
    counted.settle(&mut tx).await?;
    tx.commit().await?;
    let event = ShipmentEvent {
        status: ShipmentStatus::Cancelled,
        time: now,
        place: None,
        note: None,
    };
    announce(db, &shipment.tracking_number, event_id, event).await;
    get(db, customer_id, &shipment.tracking_number).await
}

/// Tells open tracking pages of the shipment about a new event (after it is committed).
#[tracing::instrument(level = "debug", skip_all, fields(id = id))]
pub async fn announce(db: &Db, tracking_number: &str, id: i64, event: ShipmentEvent) {
    let live = super::LiveEvent {
        tracking_number: tracking_number.to_string(),
        id,
        event,
    };
    match serde_json::to_string(&live) {
        Ok(payload) => db.announce(payload).await,
        Err(e) => tracing::error!("announcement not encoded: {e}"),
    }
}

/// The label PDF of one of the customer's shipments; its QR code opens the public tracking page.
#[tracing::instrument(level = "debug", skip_all, fields(customer_id = customer_id))]
pub async fn label(
    db: &Db,
    customer_id: i64,
    tracking_number: &str,
    public_url: &str,
) -> Result<Vec<u8>, AppError> {
    let shipment = get(db, customer_id, tracking_number).await?;
    if shipment.status == ShipmentStatus::Cancelled {
        return Err(AppError::Conflict(FieldErrors::from([(
            "status".to_string(),
            FieldError::Cancelled,
        )])));
    }
    let url = format!("{public_url}/track/{}", shipment.tracking_number);
    Ok(super::label::render(&shipment, &url))
}

enum Arg {
    Int(i64),
    Text(String),
}

/// The customer's shipments, filtered and paged by id (keyset), so page 400 costs what page 1
/// costs. Bad filters are named (`status`, `from`, ...).
#[tracing::instrument(level = "debug", skip_all, fields(customer_id = customer_id))]
pub async fn list(db: &Db, customer_id: i64, q: &ShipmentQuery) -> Result<ShipmentPage, AppError> {
    let mut errors = FieldErrors::new();
    let mut sql = String::from(
        "SELECT id, tracking_number, status, service, reference, recipient_name, recipient_city, \
         recipient_country, parcel_count, weight_g, total, currency, promised_to, created_at \
         FROM shipments WHERE customer_id = $1",
    );
    let mut args = vec![Arg::Int(customer_id)];
    let mut push = |sql: &mut String, clause: &str, arg: Arg| {
        args.push(arg);
        sql.push_str(&clause.replace('?', &format!("${}", args.len())));
    };
    let sort = q.sort.unwrap_or_default();
    if let Some(text) = q.q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        if let Ok(tn) = TrackingNumber::parse(text) {
            push(
                &mut sql,
                " AND tracking_number = ?",
                Arg::Text(tn.as_str().into()),
            );
        } else {
            // One line, as the names and places searched are: PostgreSQL cannot even compare
            // a NUL, and would fail the whole search.
            match single_line(text, MAX_SEARCH_CHARS, false) {
                Ok(_) => push(
                    &mut sql,
                    " AND search_text LIKE ? ESCAPE '\\'",
                    Arg::Text(crate::platform::db::like_contains(text)),
                ),
                Err(e) => {
                    errors.insert("q".into(), e);
                }
            }
        }
    }
    if let Some(s) = q.status.as_deref().filter(|s| !s.is_empty()) {
        match ShipmentStatus::parse(s) {
            Some(s) => push(&mut sql, " AND status = ?", Arg::Text(s.as_str().into())),
            None => {
                errors.insert("status".into(), FieldError::Invalid);
            }
        }
    }
    if let Some(s) = q.service.as_deref().filter(|s| !s.is_empty()) {
        match ServiceLevel::parse(s) {
            Some(s) => push(&mut sql, " AND service = ?", Arg::Text(s.as_str().into())),
            None => {
                errors.insert("service".into(), FieldError::Invalid);
            }
        }
    }
    for (field, value, clause, end_of_day) in [
        ("from", &q.from, " AND created_at >= ?", false),
        ("to", &q.to, " AND created_at < ?", true),
    ] {
        if let Some(v) = value.as_deref().filter(|s| !s.trim().is_empty()) {
            match crate::domain::parse_date(v) {
                Some(days) => push(
                    &mut sql,
                    clause,
                    Arg::Int((days + i64::from(end_of_day)) * 86_400_000),
                ),
                None => {
                    errors.insert(field.into(), FieldError::DateInvalid);
                }
            }
        }
    }
    if let Some(c) = q.cursor.as_deref().filter(|s| !s.is_empty()) {
        match c.parse::<i64>() {
            Ok(id) if sort == ShipmentSort::Newest => push(&mut sql, " AND id < ?", Arg::Int(id)),
            Ok(id) => push(&mut sql, " AND id > ?", Arg::Int(id)),
            Err(_) => {
                errors.insert("cursor".into(), FieldError::Invalid);
            }
        }
    }
    let limit = q.limit.unwrap_or(DEFAULT_PAGE);
    if !(1..=MAX_PAGE).contains(&limit) {
        errors.insert(
            "limit".into(),
            FieldError::TooLarge {
                max: MAX_PAGE as usize,
            },
        );
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    sql.push_str(match sort {
        ShipmentSort::Newest => " ORDER BY id DESC",
        ShipmentSort::Oldest => " ORDER BY id ASC",
    });
    // One more than the page tells whether there is a next page without counting.
    sql.push_str(&format!(" LIMIT {}", limit + 1));
    let mut query = sqlx::query_as::<sqlx::Any, SummaryRow>(&sql);
    for a in args {
        query = match a {
            Arg::Int(i) => query.bind(i),
            Arg::Text(s) => query.bind(s),
        };
    }
    let rows = query.fetch_all(&db.pool).await?;
    let more = rows.len() > limit as usize;
    let mut shipments = Vec::with_capacity(limit as usize);
    let mut last_id = None;
    for row in rows.into_iter().take(limit as usize) {
        last_id = Some(row.id);
        shipments.push(row.into_summary()?);
    }
    Ok(ShipmentPage {
        shipments,
        next_cursor: if more {
            last_id.map(|i| i.to_string())
        } else {
            None
        },
    })
}
