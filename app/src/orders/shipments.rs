//! Booking and the shipment store: one transaction per booking, idempotency keys for retries,
//! the customer's list with keyset pagination, detail, cancel.

use argon2::password_hash::rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};
use sqlx::Row;

use super::service::{parse_shipment, price, ParsedShipment};
use super::{
    BookingRequest, ParcelInput, PriceLine, ServiceLevel, Shipment, ShipmentEvent, ShipmentPage,
    ShipmentQuery, ShipmentSort, ShipmentStatus, ShipmentSummary,
};
use crate::addresses::service::ParsedAddress;
use crate::addresses::AddressInput;
use crate::domain::{single_line, TrackingNumber};
use crate::error::{AppError, FieldError, FieldErrors};
use crate::kpi_rollup::{Counted, Subject};
use crate::platform::{now_ms, Db};

/// A claimed key whose booking has not finished after this long is taken to have crashed,
/// and the next retry runs the booking again (should the first finish after all, it finds the
/// key no longer its own and rolls back).
const STALE_CLAIM_MS: i64 = 60_000;
pub const MAX_REFERENCE_CHARS: usize = 100;
pub const MAX_PAGE: u32 = 100;
/// The longest search text read.
pub const MAX_SEARCH_CHARS: usize = 100;
pub const DEFAULT_PAGE: u32 = 25;
/// The longest `Idempotency-Key` read, of visible ASCII characters.
pub const MAX_IDEMPOTENCY_KEY_BYTES: usize = 255;

/// An 8-digit serial, uniform on 0..10^8, from the operating system's CSPRNG: one tracking
/// number says nothing about any other (a counter, even scrambled, gave them all away).
pub fn random_serial() -> u32 {
    const SPAN: u32 = 100_000_000;
    // The largest multiple of SPAN a u32 holds: draws above it would favour the low serials.
    const FAIR: u32 = u32::MAX / SPAN * SPAN;
    loop {
        let draw = OsRng.next_u32();
        if draw < FAIR {
            return draw % SPAN;
        }
    }
}

/// Draws before a booking gives up on finding a free number. Serials are unique per service
/// prefix and country: with a tenth of those 10^8 numbers taken, eight taken draws in a row
/// happen once in 10^8 bookings.
const SERIAL_DRAWS: usize = 8;

/// S10 service indicators: E for express (as EMS), C for parcels.
fn service_prefix(service: ServiceLevel) -> &'static str {
    match service {
        ServiceLevel::Standard => "CP",
        ServiceLevel::Express => "EP",
        ServiceLevel::Scheduled => "CD",
        ServiceLevel::PickupPoint => "CL",
    }
}

/// What a booking stores, checked and priced.
pub struct ValidBooking {
    pub shipment: ParsedShipment,
    pub service: ServiceLevel,
    pub insure: bool,
    pub reference: Option<String>,
    pub parcels: Vec<ParcelInput>,
}

/// Checks the whole request (addresses, parcels, reference) and reports every problem at once.
pub fn validate(req: &BookingRequest) -> Result<ValidBooking, AppError> {
    let reference = single_line(
        req.reference.as_deref().unwrap_or(""),
        MAX_REFERENCE_CHARS,
        false,
    );
    let shipment = parse_shipment(&req.quote_request());
    match (shipment, reference) {
        (Ok(shipment), Ok(reference)) => Ok(ValidBooking {
            shipment,
            service: req.service,
            insure: req.insure,
            reference,
            parcels: req
                .parcels
                .iter()
                .map(|p| ParcelInput {
                    contents: p.contents.trim().to_string(),
                    ..p.clone()
                })
                .collect(),
        }),
        (shipment, reference) => {
            let mut fields = match shipment {
                Err(AppError::Validation(f)) => f,
                Err(other) => return Err(other),
                Ok(_) => FieldErrors::new(),
            };
            if let Err(e) = reference {
                fields.insert("reference".into(), e);
            }
            Err(AppError::Validation(fields))
        }
    }
}

/// Numbers, prices and stores one checked booking with its first tracking event, inside the
/// caller's transaction (a booking, or the way back of an approved return). `now` is the
/// booking's time; its promised window counts from that day (the demo's history books in the
/// past).
pub(crate) async fn insert(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    customer_id: i64,
    v: &ValidBooking,
    tier: &str,
    now: i64,
    serials: &mut (dyn FnMut() -> u32 + Send),
) -> Result<(i64, String), AppError> {
    let quote = price(&v.shipment, v.insure, tier);
    let option = quote
        .options
        .iter()
        .find(|o| o.service == v.service)
        .ok_or(AppError::Internal)?;
    // The quote counts the window from today; the booking counts it from its own day.
    let day = now.div_euclid(86_400_000);
    let promised = |days: u32| {
        crate::domain::format_date(super::pricing::add_business_days(day, days) * 86_400_000)
    };
    let (earliest, latest) = (
        promised(option.transit_days.0),
        promised(option.transit_days.1),
    );
    let (s, r) = (&v.shipment.sender, &v.shipment.recipient);
    let search_text = [
        Some(r.name.as_str()),
        r.company.as_ref().map(|c| c.as_str()),
        Some(r.city.name.as_str()),
        Some(r.postcode.as_str()),
        v.reference.as_deref(),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" ")
    .to_lowercase();
    let parcels_json = serde_json::to_string(&v.parcels).map_err(|_| AppError::Internal)?;
    let lines_json = serde_json::to_string(&option.lines).map_err(|_| AppError::Internal)?;
    let weight_g: i64 = v.parcels.iter().map(|p| p.weight_g).sum();
    // A drawn number already taken inserts nothing (no error, so the transaction goes on) and
    // the next draw is tried.
    let mut numbered = None;
    for _ in 0..SERIAL_DRAWS {
        let tracking = TrackingNumber::from_parts(
            service_prefix(v.service),
            serials(),
            &v.shipment.sender.city.country,
        )
        .ok_or(AppError::Internal)?;
        let query = sqlx::query(
            "INSERT INTO shipments (customer_id, tracking_number, service, status, reference, \
         sender_name, sender_company, sender_phone, sender_line1, sender_line2, sender_city, \
         sender_postcode, sender_country, sender_lat, sender_lon, \
         recipient_name, recipient_company, recipient_phone, recipient_line1, recipient_line2, \
         recipient_city, recipient_postcode, recipient_country, recipient_lat, recipient_lon, \
         parcels, parcel_count, weight_g, insured, price_lines, total, currency, promised_from, \
         promised_to, search_text, created_at, updated_at, tier, industry) VALUES ($1, $2, $3, \
         $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, \
         $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32, $33, $34, $35, $36, $36, $37, \
         (SELECT industry FROM customers WHERE id = $1)) \
         ON CONFLICT (tracking_number) DO NOTHING RETURNING id",
        )
        .bind(customer_id)
        .bind(tracking.as_str().to_string())
        .bind(v.service.as_str())
        .bind(ShipmentStatus::Created.as_str())
        .bind(v.reference.clone());
        let inserted = bind_party(bind_party(query, s), r)
            .bind(parcels_json.clone())
            .bind(v.parcels.len() as i64)
            .bind(weight_g)
            .bind(i64::from(v.insure))
            .bind(lines_json.clone())
            .bind(option.total)
            .bind(option.currency.clone())
            .bind(earliest.clone())
            .bind(latest.clone())
            .bind(search_text.clone())
            .bind(now)
            // The tier that priced it, kept for the KPIs' tier filter.
            .bind(tier)
            .fetch_optional(&mut **tx)
            .await?;
        if let Some(row) = inserted {
            numbered = Some((row.try_get::<i64, _>(0)?, tracking));
            break;
        }
    }
    let Some((id, tracking)) = numbered else {
        tracing::error!("no free tracking number in {SERIAL_DRAWS} draws");
        return Err(AppError::Internal);
    };
    Counted::inserted(tx, Subject::Shipment(id)).await?;
    sqlx::query(
        "INSERT INTO tracking_events (shipment_id, status, occurred_at, place, lat, lon, note, \
         source, created_at) VALUES ($1, $2, $3, $4, $5, $6, NULL, 'system', $3)",
    )
    .bind(id)
    .bind(ShipmentStatus::Created.as_str())
    .bind(now)
    .bind(s.city.name.clone())
    .bind(s.city.lat)
    .bind(s.city.lon)
    .execute(&mut **tx)
    .await?;
    crate::notifications::service::record(
        tx,
        customer_id,
        Some(id),
        crate::notifications::NotificationKind::BookingConfirmed,
        serde_json::json!({ "tracking_number": tracking.as_str() }),
    )
    .await?;
    Ok((id, earliest))
}

type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

/// Binds one party's ten columns in the order of the INSERT.
fn bind_party<'q>(q: AnyQuery<'q>, a: &ParsedAddress) -> AnyQuery<'q> {
    q.bind(a.name.as_str().to_string())
        .bind(a.company.as_ref().map(|c| c.as_str().to_string()))
        .bind(a.phone.as_str().to_string())
        .bind(a.line1.clone())
        .bind(a.line2.clone())
        .bind(a.city.name.clone())
        .bind(a.postcode.as_str().to_string())
        .bind(a.city.country.clone())
        .bind(a.city.lat)
        .bind(a.city.lon)
}

/// The outcome of an idempotent booking: `replayed` when the key had already booked it.
pub struct Booked {
    pub shipment: Shipment,
    pub replayed: bool,
}

const KEY_FIELD: &str = "Idempotency-Key";

fn check_key(key: &str) -> Result<&str, AppError> {
    let key = key.trim();
    if key.is_empty() {
        return Err(AppError::field(KEY_FIELD, FieldError::Required));
    }
    if key.len() > MAX_IDEMPOTENCY_KEY_BYTES || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(AppError::field(KEY_FIELD, FieldError::Invalid));
    }
    Ok(key)
}

/// Books at most once per key: the same key and body return the first shipment; the same key
/// with another body is refused (422); a retry while the first attempt runs gets 409.
pub async fn book_once(
    db: &Db,
    customer_id: i64,
    key: &str,
    req: &BookingRequest,
) -> Result<Booked, AppError> {
    book_once_at(db, customer_id, key, req, now_ms()).await
}

/// `book_once` at the clock `now`: the key's claim, the shipment's created and updated times,
/// its first event and its promised window are all of that moment.
pub async fn book_once_at(
    db: &Db,
    customer_id: i64,
    key: &str,
    req: &BookingRequest,
    now: i64,
) -> Result<Booked, AppError> {
    book_once_drawing(db, customer_id, key, req, now, &mut random_serial).await
}

/// `book_once_at` with the tracking serials drawn from `serials` (a test forces collisions
/// with it; everything else draws `random_serial`).
pub async fn book_once_drawing(
    db: &Db,
    customer_id: i64,
    key: &str,
    req: &BookingRequest,
    now: i64,
    serials: &mut (dyn FnMut() -> u32 + Send),
) -> Result<Booked, AppError> {
    // The key is checked first, then the body: nothing invalid claims a key.
    check_key(key)?;
    let valid = validate(req)?;
    super::delivery::check_areas(db, req).await?;
    match claim_key(db, customer_id, key, req, now).await? {
        Claim::Booked(id) => replay(db, customer_id, id).await,
        Claim::Held(claim) => {
            book_claimed(db, customer_id, &claim, &valid, req, now, serials).await
        }
    }
}

/// A booking attempt's hold on its idempotency key: the key, the request's hash, and the
/// moment this attempt claimed it (or took it over), which only this attempt wrote.
pub struct KeyClaim {
    key: String,
    hash: String,
    at: i64,
}

/// What claiming a key found.
pub enum Claim {
    /// This attempt holds the key: it books.
    Held(KeyClaim),
    /// The key already booked this shipment (its id): the answer is a replay.
    Booked(i64),
}

fn in_progress() -> AppError {
    AppError::Conflict(FieldErrors::from([(
        KEY_FIELD.to_string(),
        FieldError::RequestInProgress,
    )]))
}

/// The key's row as other attempts left it: its shipment once booked, and when it was
/// claimed; `None` when no attempt holds it. The same key with another body is refused.
async fn key_state(
    db: &Db,
    customer_id: i64,
    key: &str,
    hash: &str,
) -> Result<Option<(Option<i64>, i64)>, AppError> {
    let Some(row) = sqlx::query(
        "SELECT request_hash, shipment_id, created_at FROM idempotency_keys \
         WHERE customer_id = $1 AND idempotency_key = $2",
    )
    .bind(customer_id)
    .bind(key)
    .fetch_optional(&db.pool)
    .await?
    else {
        return Ok(None);
    };
    let (stored_hash, shipment_id, started): (String, Option<i64>, i64) =
        (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
    if stored_hash != hash {
        return Err(AppError::field(KEY_FIELD, FieldError::IdempotencyKeyReused));
    }
    Ok(Some((shipment_id, started)))
}

async fn replay(db: &Db, customer_id: i64, id: i64) -> Result<Booked, AppError> {
    Ok(Booked {
        shipment: get_by_id(db, customer_id, id).await?,
        replayed: true,
    })
}

/// The first half of `book_once_at`: claims `key` for this request at `now`, or takes over a
/// claim older than `STALE_CLAIM_MS` whose booking is taken to have died. Public so a test can
/// hold a claim unfinished, as a slow first attempt does.
pub async fn claim_key(
    db: &Db,
    customer_id: i64,
    key: &str,
    req: &BookingRequest,
    now: i64,
) -> Result<Claim, AppError> {
    let key = check_key(key)?;
    let hash = hex(&Sha256::digest(
        serde_json::to_vec(req).map_err(|_| AppError::Internal)?,
    ));
    let claimed = sqlx::query(
        "INSERT INTO idempotency_keys (customer_id, idempotency_key, request_hash, shipment_id, \
         created_at) VALUES ($1, $2, $3, NULL, $4) ON CONFLICT DO NOTHING",
    )
    .bind(customer_id)
    .bind(key)
    .bind(&hash)
    .bind(now)
    .execute(&db.pool)
    .await?
    .rows_affected()
        == 1;
    if !claimed {
        let started = match key_state(db, customer_id, key, &hash).await? {
            Some((Some(id), _)) => return Ok(Claim::Booked(id)),
            Some((None, started)) => started,
            // Released just now by an attempt that failed: the next retry claims it afresh.
            None => return Err(in_progress()),
        };
        // Take over a claim whose booking died; the compare-and-set lets one retry win.
        let taken = started < now - STALE_CLAIM_MS
            && sqlx::query(
                "UPDATE idempotency_keys SET created_at = $1 WHERE customer_id = $2 \
                 AND idempotency_key = $3 AND created_at = $4 AND shipment_id IS NULL",
            )
            .bind(now)
            .bind(customer_id)
            .bind(key)
            .bind(started)
            .execute(&db.pool)
            .await?
            .rows_affected()
                == 1;
        if !taken {
            return Err(in_progress());
        }
    }
    Ok(Claim::Held(KeyClaim {
        key: key.to_string(),
        hash,
        at: now,
    }))
}

/// The second half of `book_once_at`: books under `claim` in one transaction whose last write
/// gives the key its shipment, only while this attempt still holds the key. A booking slower
/// than `STALE_CLAIM_MS` whose key a retry took over meanwhile is rolled back whole and answers
/// with the retry's shipment (409 while the retry is still booking): one key, one shipment.
/// Public so a test can finish an attempt after its claim was taken over.
pub async fn book_claimed(
    db: &Db,
    customer_id: i64,
    claim: &KeyClaim,
    valid: &ValidBooking,
    req: &BookingRequest,
    now: i64,
    serials: &mut (dyn FnMut() -> u32 + Send),
) -> Result<Booked, AppError> {
    match write_booking(db, customer_id, claim, valid, req, now, serials).await {
        Ok(Some(id)) => Ok(Booked {
            shipment: get_by_id(db, customer_id, id).await?,
            replayed: false,
        }),
        // Another attempt holds the key now: nothing of this one was kept.
        Ok(None) => match key_state(db, customer_id, &claim.key, &claim.hash).await? {
            Some((Some(id), _)) => replay(db, customer_id, id).await,
            _ => Err(in_progress()),
        },
        Err(e) => {
            // Nothing was booked: release this attempt's claim (never a retry's that took it
            // over) so the same request can be retried.
            let _ = sqlx::query(
                "DELETE FROM idempotency_keys WHERE customer_id = $1 AND idempotency_key = $2 \
                 AND created_at = $3 AND shipment_id IS NULL",
            )
            .bind(customer_id)
            .bind(claim.key.as_str())
            .bind(claim.at)
            .execute(&db.pool)
            .await;
            Err(e)
        }
    }
}

/// The booking's transaction: its shipment's id, or `None` (rolled back) when the key is no
/// longer this attempt's.
async fn write_booking(
    db: &Db,
    customer_id: i64,
    claim: &KeyClaim,
    valid: &ValidBooking,
    req: &BookingRequest,
    now: i64,
    serials: &mut (dyn FnMut() -> u32 + Send),
) -> Result<Option<i64>, AppError> {
    let tier = crate::accounts::service::tier(&db.pool, customer_id)
        .await?
        .as_str();
    let mut tx = db.pool.begin().await?;
    let (id, earliest) = insert(&mut tx, customer_id, valid, tier, now, serials).await?;
    super::delivery::attach(&mut tx, id, req, &earliest, now).await?;
    let still_held = sqlx::query(
        "UPDATE idempotency_keys SET shipment_id = $1 WHERE customer_id = $2 \
         AND idempotency_key = $3 AND created_at = $4 AND shipment_id IS NULL",
    )
    .bind(id)
    .bind(customer_id)
    .bind(claim.key.as_str())
    .bind(claim.at)
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    if !still_held {
        tx.rollback().await?;
        return Ok(None);
    }
    tx.commit().await?;
    Ok(Some(id))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

const DETAIL_COLUMNS: &str = "id, tracking_number, status, service, reference, \
    sender_name, sender_company, sender_phone, sender_line1, sender_line2, sender_city, \
    sender_postcode, sender_country, recipient_name, recipient_company, recipient_phone, \
    recipient_line1, recipient_line2, recipient_city, recipient_postcode, recipient_country, \
    parcels, insured, currency, price_lines, total, promised_from, promised_to, created_at, \
    delivery_slot_id, pickup_slot_id, pickup_point";

fn party(row: &sqlx::any::AnyRow, prefix: &str) -> Result<AddressInput, sqlx::Error> {
    let col = |c: &str| format!("{prefix}_{c}");
    Ok(AddressInput {
        name: row.try_get(col("name").as_str())?,
        company: row
            .try_get::<Option<String>, _>(col("company").as_str())?
            .unwrap_or_default(),
        phone: row.try_get(col("phone").as_str())?,
        line1: row.try_get(col("line1").as_str())?,
        line2: row
            .try_get::<Option<String>, _>(col("line2").as_str())?
            .unwrap_or_default(),
        city: row.try_get(col("city").as_str())?,
        postcode: row.try_get(col("postcode").as_str())?,
        country: row.try_get(col("country").as_str())?,
    })
}

fn status_of(s: &str) -> Result<ShipmentStatus, AppError> {
    ShipmentStatus::parse(s).ok_or(AppError::Internal)
}

fn service_of(s: &str) -> Result<ServiceLevel, AppError> {
    ServiceLevel::parse(s).ok_or(AppError::Internal)
}

/// A shipment's history, newest first.
pub async fn events(db: &Db, shipment_id: i64) -> Result<Vec<ShipmentEvent>, AppError> {
    sqlx::query(
        "SELECT status, occurred_at, place, note FROM tracking_events WHERE shipment_id = $1 \
         ORDER BY occurred_at DESC, id DESC",
    )
    .bind(shipment_id)
    .fetch_all(&db.pool)
    .await?
    .into_iter()
    .map(|e| {
        Ok(ShipmentEvent {
            status: status_of(&e.try_get::<String, _>(0)?)?,
            time: e.try_get(1)?,
            place: e.try_get(2)?,
            note: e.try_get(3)?,
        })
    })
    .collect()
}

async fn shipment_from_row(db: &Db, row: sqlx::any::AnyRow) -> Result<Shipment, AppError> {
    let id: i64 = row.try_get("id")?;
    let parcels: Vec<ParcelInput> = serde_json::from_str(&row.try_get::<String, _>("parcels")?)
        .map_err(|e| {
            tracing::error!("shipment {id}: bad parcels JSON: {e}");
            AppError::Internal
        })?;
    let price_lines: Vec<PriceLine> =
        serde_json::from_str(&row.try_get::<String, _>("price_lines")?).map_err(|e| {
            tracing::error!("shipment {id}: bad price JSON: {e}");
            AppError::Internal
        })?;
    let events = events(db, id).await?;
    let now = now_ms();
    let slot = async |column: &str| -> Result<Option<crate::slots::Slot>, AppError> {
        match row.try_get::<Option<i64>, _>(column)? {
            Some(id) => crate::slots::service::slot_by_id(db, id, now).await,
            None => Ok(None),
        }
    };
    let delivery_slot = slot("delivery_slot_id").await?;
    let pickup_slot = slot("pickup_slot_id").await?;
    Ok(Shipment {
        tracking_number: row.try_get("tracking_number")?,
        status: status_of(&row.try_get::<String, _>("status")?)?,
        service: service_of(&row.try_get::<String, _>("service")?)?,
        reference: row.try_get("reference")?,
        sender: party(&row, "sender")?,
        recipient: party(&row, "recipient")?,
        parcels,
        insured: row.try_get::<i64, _>("insured")? != 0,
        currency: row.try_get("currency")?,
        price_lines,
        total: row.try_get("total")?,
        promised_from: row.try_get("promised_from")?,
        promised_to: row.try_get("promised_to")?,
        created_at: row.try_get("created_at")?,
        delivery_slot,
        pickup_slot,
        pickup_point: row.try_get("pickup_point")?,
        events,
    })
}

async fn get_by_id(db: &Db, customer_id: i64, id: i64) -> Result<Shipment, AppError> {
    let row = sqlx::query(&format!(
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
pub async fn get(db: &Db, customer_id: i64, tracking_number: &str) -> Result<Shipment, AppError> {
    let tn = TrackingNumber::parse(tracking_number).map_err(|_| AppError::NotFound)?;
    let row = sqlx::query(&format!(
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
    let id: i64 = sqlx::query_scalar(
        "SELECT id FROM shipments WHERE tracking_number = $1 AND customer_id = $2",
    )
    .bind(shipment.tracking_number.clone())
    .bind(customer_id)
    .fetch_one(&db.pool)
    .await?;
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
    let mut query = sqlx::query(&sql);
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
        last_id = Some(row.try_get::<i64, _>("id")?);
        shipments.push(ShipmentSummary {
            tracking_number: row.try_get("tracking_number")?,
            status: status_of(&row.try_get::<String, _>("status")?)?,
            service: service_of(&row.try_get::<String, _>("service")?)?,
            reference: row.try_get("reference")?,
            recipient_name: row.try_get("recipient_name")?,
            recipient_city: row.try_get("recipient_city")?,
            recipient_country: row.try_get("recipient_country")?,
            parcel_count: row.try_get("parcel_count")?,
            weight_g: row.try_get("weight_g")?,
            total: row.try_get("total")?,
            currency: row.try_get("currency")?,
            promised_to: row.try_get("promised_to")?,
            created_at: row.try_get("created_at")?,
        });
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serials_are_random_eight_digit_numbers_without_a_pattern() {
        let draws: Vec<u32> = (0..100_000).map(|_| random_serial()).collect();
        assert!(draws.iter().all(|&s| s < 100_000_000));
        // 100,000 draws from 10^8 repeat about 50 times (the booking draws again then); a
        // counter or a narrow range would repeat far more, or never.
        let distinct = draws.iter().collect::<std::collections::HashSet<_>>().len();
        assert!(distinct > 99_800, "{distinct}");
        // Not an arithmetic progression: the steps between consecutive draws vary.
        let steps: std::collections::HashSet<i64> = draws
            .windows(2)
            .map(|w| i64::from(w[1]) - i64::from(w[0]))
            .collect();
        assert!(steps.len() > 99_000, "{}", steps.len());
        // Every leading digit occurs (uniform over the whole range, not a corner of it).
        let leading: std::collections::HashSet<u32> =
            draws.iter().map(|s| s / 10_000_000).collect();
        assert_eq!(leading.len(), 10);
    }

    #[test]
    fn idempotency_keys_must_be_printable_and_bounded() {
        assert!(check_key(" abc-123 ").is_ok());
        assert!(check_key("").is_err());
        assert!(check_key("has space").is_err());
        assert!(check_key(&"k".repeat(256)).is_err());
    }
}
