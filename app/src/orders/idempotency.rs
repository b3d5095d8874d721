//! Booking at most once per idempotency key: the key's claim, the replay of a booked key, and
//! the booking's transaction, kept only while the attempt still holds the key.

use sha2::{Digest, Sha256};

use super::booking::{insert, random_serial, validate, ValidBooking};
use super::shipments::get_by_id;
use super::{BookingRequest, Shipment};
use crate::error::{AppError, FieldError, FieldErrors, OrInternal};
use crate::platform::{now_ms, Db};

/// A claimed key whose booking has not finished after this long is taken to have crashed,
/// and the next retry runs the booking again (should the first finish after all, it finds the
/// key no longer its own and rolls back).
const STALE_CLAIM_MS: i64 = 60_000;
/// The longest `Idempotency-Key` read, of visible ASCII characters.
pub const MAX_IDEMPOTENCY_KEY_BYTES: usize = 255;

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
#[tracing::instrument(level = "debug", skip_all, fields(customer_id = customer_id))]
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
#[tracing::instrument(level = "debug", skip_all, fields(customer_id = customer_id))]
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
#[tracing::instrument(level = "debug", skip_all, fields(customer_id = customer_id))]
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

/// An idempotency key as stored.
#[derive(sqlx::FromRow)]
struct KeyRow {
    request_hash: String,
    shipment_id: Option<i64>,
    created_at: i64,
}

/// The key's row as other attempts left it: its shipment once booked, and when it was
/// claimed; `None` when no attempt holds it. The same key with another body is refused.
async fn key_state(
    db: &Db,
    customer_id: i64,
    key: &str,
    hash: &str,
) -> Result<Option<(Option<i64>, i64)>, AppError> {
    let Some(row) = sqlx::query_as::<_, KeyRow>(
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
    if row.request_hash != hash {
        return Err(AppError::field(KEY_FIELD, FieldError::IdempotencyKeyReused));
    }
    Ok(Some((row.shipment_id, row.created_at)))
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
#[tracing::instrument(level = "debug", skip_all, fields(customer_id = customer_id))]
pub async fn claim_key(
    db: &Db,
    customer_id: i64,
    key: &str,
    req: &BookingRequest,
    now: i64,
) -> Result<Claim, AppError> {
    let key = check_key(key)?;
    let hash = hex(&Sha256::digest(
        serde_json::to_vec(req).or_internal("the booking request as JSON")?,
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
#[tracing::instrument(level = "debug", skip_all, fields(customer_id = customer_id))]
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
    let tier = crate::accounts::store::tier(&db.pool, customer_id)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idempotency_keys_must_be_printable_and_bounded() {
        assert!(check_key(" abc-123 ").is_ok());
        assert!(check_key("").is_err());
        assert!(check_key("has space").is_err());
        assert!(check_key(&"k".repeat(256)).is_err());
    }
}
