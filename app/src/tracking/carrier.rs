//! Carriers' scans: checked one by one, each stored with its status change in one transaction,
//! a repeated event id stored once, an illegal transition refused with its reason while the
//! rest of the batch is kept.

use super::{
    CarrierBatch, CarrierBatchResult, CarrierEvent, CarrierEventResult, CourierBatch,
    CourierBatchResult, CourierPing, LivePosition,
};
use crate::accounts::service::{random_token, token_hash};
use crate::domain::{single_line, TrackingNumber};
use crate::error::{AppError, FieldError, FieldErrors, OrInternal};
use crate::i18n::Locale;
use crate::kpi_rollup::{Counted, Subject};
use crate::orders::store::{
    carrier_event_stored, insert_scan_event, move_by_scan, scanned_shipment, shipment_outline,
    ScanEvent, ScanMove,
};
use crate::orders::ShipmentStatus;
use crate::platform::{now_ms, Db};

/// Events one request may carry.
pub const MAX_BATCH: usize = 1_000;
/// How far ahead of the server's clock an event's time may be (carriers' clocks drift).
const FUTURE_SLACK_MS: i64 = 10 * 60 * 1000;

/// A carrier's API credentials, valid for `ttl`; only the hash is kept. Returns the token to
/// hand over once.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn create_token(
    db: &Db,
    name: &str,
    ttl: std::time::Duration,
) -> Result<String, AppError> {
    let name = single_line(name, 100, true)
        .map_err(|e| AppError::field("name", e))?
        .unwrap_or_default();
    let token = format!("pc_{}", random_token());
    let now = now_ms();
    sqlx::query(
        "INSERT INTO carrier_tokens (name, token_hash, created_at, expires_at) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(name)
    .bind(token_hash(&token))
    .bind(now)
    .bind(now + ttl.as_millis() as i64)
    .execute(&db.pool)
    .await?;
    Ok(token)
}

/// A carrier token as the operator sees it (`server carrier-tokens`), without the token.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct CarrierToken {
    pub id: i64,
    pub name: String,
    /// Unix milliseconds.
    pub created_at: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
}

impl CarrierToken {
    pub fn is_live(&self, now: i64) -> bool {
        self.revoked_at.is_none() && self.expires_at > now
    }
}

/// Every carrier token ever made, oldest first (revoked and expired ones too: scans name them).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn tokens(db: &Db) -> Result<Vec<CarrierToken>, AppError> {
    Ok(sqlx::query_as(
        "SELECT id, name, created_at, expires_at, revoked_at FROM carrier_tokens ORDER BY id",
    )
    .fetch_all(&db.pool)
    .await?)
}

/// Revokes a carrier token at once; its scans stay.
#[tracing::instrument(level = "debug", skip_all, fields(id = id))]
pub async fn revoke_token(db: &Db, id: i64) -> Result<(), AppError> {
    let done = sqlx::query(
        "UPDATE carrier_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
    )
    .bind(now_ms())
    .bind(id)
    .execute(&db.pool)
    .await?;
    if done.rows_affected() == 0 {
        return Err(AppError::NotFound);
    }
    tracing::info!(target: "security", carrier = id, "carrier token revoked");
    Ok(())
}

/// A carrier, by its bearer token: the id of the carrier token, else 401.
pub struct Carrier(pub i64);

impl axum::extract::FromRequestParts<crate::platform::AppState> for Carrier {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut http::request::Parts,
        state: &crate::platform::AppState,
    ) -> Result<Self, AppError> {
        require_carrier(&state.db, &parts.headers).await.map(Self)
    }
}

/// The carrier a request's bearer token belongs to, while the token is neither expired nor
/// revoked.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn require_carrier(db: &Db, headers: &http::HeaderMap) -> Result<i64, AppError> {
    let token = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .ok_or(AppError::Unauthenticated)?;
    sqlx::query_scalar(
        "SELECT id FROM carrier_tokens WHERE token_hash = $1 AND expires_at > $2 \
         AND revoked_at IS NULL",
    )
    .bind(token_hash(token))
    .bind(now_ms())
    .fetch_optional(&db.pool)
    .await?
    .ok_or(AppError::Unauthenticated)
}

/// A checked event, ready to store.
#[derive(Debug, PartialEq)]
pub struct ValidEvent {
    pub event_id: String,
    pub tracking_number: String,
    pub status: ShipmentStatus,
    pub time_ms: i64,
    pub place: Option<String>,
    pub point: Option<(f64, f64)>,
    pub note: Option<String>,
}

/// An RFC 3339 time from a carrier, in Unix milliseconds; not (much) in the future.
fn scan_time(input: &str, now_ms: i64) -> Result<i64, FieldError> {
    match input.trim().parse::<jiff::Timestamp>() {
        Ok(t) if t.as_millisecond() <= now_ms + FUTURE_SLACK_MS => Ok(t.as_millisecond()),
        Ok(_) => Err(FieldError::InFuture),
        Err(_) => Err(FieldError::DateTimeInvalid),
    }
}

/// Checks one event's fields, all at once.
pub fn validate(e: &CarrierEvent, now_ms: i64) -> Result<ValidEvent, FieldErrors> {
    let mut errors = FieldErrors::new();
    let event_id = e.event_id.trim();
    if event_id.is_empty() {
        errors.insert("event_id".into(), FieldError::Required);
    } else if event_id.len() > 100 || !event_id.bytes().all(|b| b.is_ascii_graphic()) {
        errors.insert("event_id".into(), FieldError::Invalid);
    }
    let tn = TrackingNumber::parse(&e.tracking_number);
    if let Err(err) = &tn {
        errors.insert("tracking_number".into(), *err);
    }
    let status = match ShipmentStatus::parse(e.status.trim()) {
        Some(ShipmentStatus::Cancelled) => {
            errors.insert("status".into(), FieldError::NotForCarriers);
            None
        }
        Some(s) => Some(s),
        None => {
            errors.insert("status".into(), FieldError::StatusUnknown);
            None
        }
    };
    let time_ms = scan_time(&e.time, now_ms)
        .map_err(|err| errors.insert("time".into(), err))
        .ok();
    let point = match (e.lat, e.lng) {
        (None, None) => None,
        (Some(lat), Some(lng))
            if (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lng) =>
        {
            Some((lat, lng))
        }
        _ => {
            errors.insert("lat".into(), FieldError::Invalid);
            None
        }
    };
    let mut text = |field: &str, value: &Option<String>, max: usize| match single_line(
        value.as_deref().unwrap_or(""),
        max,
        false,
    ) {
        Ok(v) => v,
        Err(err) => {
            errors.insert(field.into(), err);
            None
        }
    };
    let place = text("place", &e.place, 120);
    let note = text("note", &e.note, 500);
    match (tn, status, time_ms) {
        (Ok(tn), Some(status), Some(time_ms)) if errors.is_empty() => Ok(ValidEvent {
            event_id: event_id.to_string(),
            tracking_number: tn.as_str().to_string(),
            status,
            time_ms,
            place,
            point,
            note,
        }),
        _ => Err(errors),
    }
}

enum Stored {
    Recorded,
    Duplicate,
}

/// Stores one checked event with the shipment's new status, as received at `now`. The status
/// changes only from the one just read (compare-and-set), so two scans at once cannot both pass
/// the transition check.
async fn store(db: &Db, carrier_id: i64, e: &ValidEvent, now: i64) -> Result<Stored, AppError> {
    if carrier_event_stored(&db.pool, carrier_id, &e.event_id).await? {
        return Ok(Stored::Duplicate);
    }
    let row = scanned_shipment(&db.pool, &e.tracking_number)
        .await?
        .ok_or_else(|| AppError::field("tracking_number", FieldError::Unknown))?;
    let (id, customer_id) = (row.id, row.customer_id);
    let on_time = super::eta::delivered_on_time(e.time_ms, row.slot_ends_at, &row.promised_to);
    let current =
        ShipmentStatus::parse(&row.status).or_internal("shipments.status is not a status")?;
    if !current.can_become(e.status) {
        return Err(AppError::Conflict(FieldErrors::from([(
            "status".to_string(),
            FieldError::TransitionIllegal,
        )])));
    }
    let mut tx = db.pool.begin().await?;
    let counted = Counted::read(&mut tx, Subject::Shipment(id)).await?;
    let scan = ScanMove {
        shipment_id: id,
        from: current,
        to: e.status,
        at: now,
        occurred_at: e.time_ms,
        on_time,
    };
    if !move_by_scan(&mut *tx, &scan).await? {
        return Err(AppError::Conflict(FieldErrors::from([(
            "status".to_string(),
            FieldError::ChangedMeanwhile,
        )])));
    }
    let scanned = ScanEvent {
        shipment_id: id,
        status: e.status,
        occurred_at: e.time_ms,
        place: e.place.clone(),
        point: e.point,
        note: e.note.clone(),
        received_at: now,
        carrier_id,
        event_id: &e.event_id,
    };
    let inserted = insert_scan_event(&mut *tx, &scanned).await?;
    match inserted {
        Some(event_id) => {
            if let Some(kind) = crate::notifications::NotificationKind::for_status(e.status) {
                let payload = serde_json::json!({
                    "tracking_number": e.tracking_number,
                    "status": e.status.as_str(),
                });
                crate::notifications::service::record(
                    &mut tx,
                    customer_id,
                    Some(id),
                    kind,
                    payload,
                )
                .await?;
            }
            super::delays::evaluate(&mut tx, id, now).await?;
            crate::returns::service::follow_scan(&mut tx, id, e.status, now).await?;
            counted.settle(&mut tx).await?;
            tx.commit().await?;
            let event = crate::orders::ShipmentEvent {
                status: e.status,
                time: e.time_ms,
                place: e.place.clone(),
                note: e.note.clone(),
            };
            crate::orders::shipments::announce(db, &e.tracking_number, event_id, event).await;
            Ok(Stored::Recorded)
        }
        // The same event arrived on another connection a moment ago: it is stored, once.
        None => Ok(Stored::Duplicate),
    }
}

fn refused(event_id: &str, error: &AppError, locale: Locale) -> CarrierEventResult {
    CarrierEventResult {
        event_id: event_id.to_string(),
        outcome: "refused".into(),
        code: Some(error.code().to_string()),
        fields: error.field_messages(locale),
    }
}

/// Records a batch in order; each event succeeds or is refused on its own.
#[tracing::instrument(level = "debug", skip_all, fields(carrier_id = carrier_id))]
pub async fn record(
    db: &Db,
    carrier_id: i64,
    batch: &CarrierBatch,
    locale: Locale,
) -> Result<CarrierBatchResult, AppError> {
    record_at(db, carrier_id, batch, locale, now_ms()).await
}

/// `record` as received at the clock `now`: events may not be later than it, and the status
/// change, the delay rules and a return's step are of that moment (the demo's history).
#[tracing::instrument(level = "debug", skip_all, fields(carrier_id = carrier_id))]
pub async fn record_at(
    db: &Db,
    carrier_id: i64,
    batch: &CarrierBatch,
    locale: Locale,
    now: i64,
) -> Result<CarrierBatchResult, AppError> {
    if batch.events.len() > MAX_BATCH {
        return Err(AppError::field(
            "events",
            FieldError::TooLarge { max: MAX_BATCH },
        ));
    }
    let mut out = CarrierBatchResult {
        recorded: 0,
        duplicates: 0,
        refused: 0,
        results: Vec::with_capacity(batch.events.len()),
    };
    for e in &batch.events {
        let result = match validate(e, now) {
            Err(fields) => Err(AppError::Validation(fields)),
            Ok(valid) => store(db, carrier_id, &valid, now).await,
        };
        let outcome = match result {
            Ok(Stored::Recorded) => {
                out.recorded += 1;
                "recorded"
            }
            Ok(Stored::Duplicate) => {
                out.duplicates += 1;
                "duplicate"
            }
            // The batch fails whole, not this one event: the carrier sends it again (after the
            // `Retry-After` of a 503), and what was stored meanwhile comes back as duplicates.
            Err(err @ (AppError::Internal(_) | AppError::Unavailable)) => return Err(err),
            Err(err) => {
                out.refused += 1;
                out.results.push(refused(&e.event_id, &err, locale));
                continue;
            }
        };
        out.results.push(CarrierEventResult {
            event_id: e.event_id.clone(),
            outcome: outcome.into(),
            code: None,
            fields: Default::default(),
        });
    }
    Ok(out)
}

/// A checked courier position.
#[derive(Debug, PartialEq)]
pub struct ValidPing {
    pub tracking_number: String,
    pub time_ms: i64,
    pub lat: f64,
    pub lng: f64,
}

pub fn validate_ping(p: &CourierPing, now_ms: i64) -> Result<ValidPing, FieldErrors> {
    let mut errors = FieldErrors::new();
    let tn = TrackingNumber::parse(&p.tracking_number);
    if let Err(err) = &tn {
        errors.insert("tracking_number".into(), *err);
    }
    let time_ms = scan_time(&p.time, now_ms)
        .map_err(|err| errors.insert("time".into(), err))
        .ok();
    if !(-90.0..=90.0).contains(&p.lat) || !(-180.0..=180.0).contains(&p.lng) {
        errors.insert("lat".into(), FieldError::Invalid);
    }
    match (tn, time_ms) {
        (Ok(tn), Some(time_ms)) if errors.is_empty() => Ok(ValidPing {
            tracking_number: tn.as_str().to_string(),
            time_ms,
            lat: p.lat,
            lng: p.lng,
        }),
        _ => Err(errors),
    }
}

/// Keeps the newest position of a parcel out for delivery; an older one than held is stale.
async fn store_ping(db: &Db, carrier_id: i64, p: &ValidPing) -> Result<bool, AppError> {
    let row = shipment_outline(&db.pool, &p.tracking_number)
        .await?
        .ok_or_else(|| AppError::field("tracking_number", FieldError::Unknown))?;
    let id = row.id;
    if row.status != ShipmentStatus::OutForDelivery.as_str() {
        return Err(AppError::Conflict(FieldErrors::from([(
            "status".to_string(),
            FieldError::NotOutForDelivery,
        )])));
    }
    let stored = sqlx::query(
        "INSERT INTO courier_positions (shipment_id, lat, lon, recorded_at, carrier_id) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (shipment_id) DO UPDATE SET lat = excluded.lat, \
         lon = excluded.lon, recorded_at = excluded.recorded_at, carrier_id = excluded.carrier_id \
         WHERE courier_positions.recorded_at < excluded.recorded_at",
    )
    .bind(id)
    .bind(p.lat)
    .bind(p.lng)
    .bind(p.time_ms)
    .bind(carrier_id)
    .execute(&db.pool)
    .await?
    .rows_affected();
    if stored == 1 {
        let live = LivePosition {
            tracking_number: p.tracking_number.clone(),
            position_at: p.time_ms,
        };
        if let Ok(payload) = serde_json::to_string(&live) {
            db.announce(payload).await;
        }
    }
    Ok(stored == 1)
}

/// Records courier positions in order; each succeeds or is refused on its own.
#[tracing::instrument(level = "debug", skip_all, fields(carrier_id = carrier_id))]
pub async fn record_positions(
    db: &Db,
    carrier_id: i64,
    batch: &CourierBatch,
    locale: Locale,
) -> Result<CourierBatchResult, AppError> {
    if batch.positions.len() > MAX_BATCH {
        return Err(AppError::field(
            "positions",
            FieldError::TooLarge { max: MAX_BATCH },
        ));
    }
    let now = now_ms();
    let mut out = CourierBatchResult {
        recorded: 0,
        refused: 0,
        results: Vec::with_capacity(batch.positions.len()),
    };
    for (i, p) in batch.positions.iter().enumerate() {
        let label = format!("{i}");
        let result = match validate_ping(p, now) {
            Err(fields) => Err(AppError::Validation(fields)),
            Ok(valid) => store_ping(db, carrier_id, &valid).await,
        };
        match result {
            Ok(fresh) => {
                out.recorded += usize::from(fresh);
                out.results.push(CarrierEventResult {
                    event_id: label,
                    outcome: if fresh { "recorded" } else { "stale" }.into(),
                    code: None,
                    fields: Default::default(),
                });
            }
            Err(err @ (AppError::Internal(_) | AppError::Unavailable)) => return Err(err),
            Err(err) => {
                out.refused += 1;
                out.results.push(refused(&label, &err, locale));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event() -> CarrierEvent {
        CarrierEvent {
            event_id: "scan-1".into(),
            tracking_number: TrackingNumber::from_parts("CP", 12_345_678, "CN")
                .unwrap()
                .as_str()
                .to_string(),
            status: "in_transit".into(),
            time: "2026-11-25T08:30:00+08:00".into(),
            place: Some("Shanghai hub".into()),
            lat: Some(31.2),
            lng: Some(121.5),
            note: None,
        }
    }

    const NOW: i64 = 1_795_000_000_000; // 2026-11-18

    #[test]
    fn a_good_event_is_normalised() {
        let mut e = event();
        e.time = "2026-11-18T00:00:00Z".into();
        let v = validate(&e, NOW + 86_400_000).unwrap();
        assert_eq!(v.status, ShipmentStatus::InTransit);
        assert_eq!(v.point, Some((31.2, 121.5)));
        assert_eq!(v.place.as_deref(), Some("Shanghai hub"));
    }

    #[test]
    fn positions_are_checked_field_by_field() {
        let ping = CourierPing {
            tracking_number: event().tracking_number,
            time: "2026-11-18T00:00:00Z".into(),
            lat: 39.9,
            lng: 116.4,
        };
        assert_eq!(validate_ping(&ping, NOW + 1).unwrap().lat, 39.9);
        let bad = CourierPing {
            tracking_number: "nope".into(),
            time: "noon".into(),
            lat: 100.0,
            lng: 0.0,
        };
        let f = validate_ping(&bad, NOW).unwrap_err();
        assert!(f.contains_key("tracking_number"));
        assert_eq!(f["time"], FieldError::DateTimeInvalid);
        assert_eq!(f["lat"], FieldError::Invalid);
    }

    #[test]
    fn bad_events_name_every_field() {
        let e = CarrierEvent {
            event_id: " ".into(),
            tracking_number: "XX1".into(),
            status: "teleported".into(),
            time: "yesterday".into(),
            place: None,
            lat: Some(91.0),
            lng: None,
            note: None,
        };
        let f = validate(&e, NOW).unwrap_err();
        assert_eq!(f["event_id"], FieldError::Required);
        assert!(f.contains_key("tracking_number"));
        assert_eq!(f["status"], FieldError::StatusUnknown);
        assert_eq!(f["time"], FieldError::DateTimeInvalid);
        assert_eq!(f["lat"], FieldError::Invalid);
        let mut cancel = event();
        cancel.status = "cancelled".into();
        cancel.time = "2026-11-17T00:00:00Z".into();
        assert_eq!(
            validate(&cancel, NOW).unwrap_err()["status"],
            FieldError::NotForCarriers
        );
        let mut future = event();
        future.time = "2027-01-01T00:00:00Z".into();
        assert_eq!(
            validate(&future, NOW).unwrap_err()["time"],
            FieldError::InFuture
        );
    }

    /// Inputs at the edges of a batch, for the fuzz target `carrier_batch` (fuzz/, README
    /// "Fuzzing"); an input it crashes on is added here.
    #[test]
    fn fuzz_regressions() {
        let batch = |json: &str| serde_json::from_str::<CarrierBatch>(json);
        // Not a batch, or a lone surrogate that is no text: refused before any check.
        assert!(batch("{}").is_err());
        assert!(batch(r#"{"events":{}}"#).is_err());
        assert!(batch(
            r#"{"events":[{"event_id":"\ud800","tracking_number":"","status":"","time":""}]}"#
        )
        .is_err());
        assert!(batch(r#"{"events":[]}"#).unwrap().events.is_empty());

        // 2026-11-17T00:00:00Z, a day before NOW.
        let at = 1_794_873_600_000;
        let mut e = event();
        e.time = "2026-11-17T00:00:00Z".into();
        // The longest event id, trimmed; the corners of the map.
        e.event_id = format!(" {} ", "x".repeat(100));
        (e.lat, e.lng) = (Some(90.0), Some(-180.0));
        let v = validate(&e, NOW).unwrap();
        assert_eq!((v.event_id.len(), v.point), (100, Some((90.0, -180.0))));
        // A scan may be ten minutes ahead of the clock, not a millisecond more.
        assert_eq!(validate(&e, at - FUTURE_SLACK_MS).unwrap().time_ms, at);
        assert_eq!(
            validate(&e, at - FUTURE_SLACK_MS - 1).unwrap_err()["time"],
            FieldError::InFuture
        );
        let with = |change: fn(&mut CarrierEvent)| {
            let mut bad = e.clone();
            change(&mut bad);
            bad
        };
        for (bad, field, error) in [
            (
                with(|b| b.event_id = "x".repeat(101)),
                "event_id",
                FieldError::Invalid,
            ),
            (
                with(|b| b.event_id = "scan 1".into()),
                "event_id",
                FieldError::Invalid,
            ),
            (
                with(|b| b.event_id = "\u{626b}\u{63cf}".into()),
                "event_id",
                FieldError::Invalid,
            ),
            (
                with(|b| b.tracking_number = String::new()),
                "tracking_number",
                FieldError::Required,
            ),
            (
                with(|b| b.status = "IN_TRANSIT".into()),
                "status",
                FieldError::StatusUnknown,
            ),
            (
                with(|b| b.time = "2026-11-17T00:00:00".into()),
                "time",
                FieldError::DateTimeInvalid,
            ),
            (
                with(|b| b.lat = Some(90.000_001)),
                "lat",
                FieldError::Invalid,
            ),
            (with(|b| b.lat = None), "lat", FieldError::Invalid),
            (
                with(|b| b.place = Some("Hub\n2".into())),
                "place",
                FieldError::ControlCharacters,
            ),
            (
                with(|b| b.place = Some("\u{e9}".repeat(121))),
                "place",
                FieldError::TooLong { max: 120 },
            ),
            (
                with(|b| b.note = Some("n".repeat(501))),
                "note",
                FieldError::TooLong { max: 500 },
            ),
        ] {
            let fields = validate(&bad, NOW).unwrap_err();
            assert_eq!(fields.get(field), Some(&error), "{bad:?}");
        }
    }
}
