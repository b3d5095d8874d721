//! The public view of a shipment and the recipient's proof.

use std::net::IpAddr;
use std::time::Duration;

use super::delays::{Facts, Standing};
use super::{CourierPosition, GeoPoint, PublicShipment, RecipientView, RouteMap};
use crate::domain::{fold_key, TrackingNumber};
use crate::error::{AppError, FieldError, OrInternal};
use crate::orders::delivery::{ChangedBy, NewDelivery};
use crate::orders::{ServiceLevel, ShipmentEvent, ShipmentStatus};
use crate::platform::{links, now_ms, rate_limit, Db, Settings};
use crate::slots::service as slots;

/// Wrong proofs allowed per tracking number, and per client address, in `PROOF_WINDOW`.
const PROOF_LIMIT_PER_SHIPMENT: u32 = 5;
const PROOF_LIMIT_PER_CLIENT: u32 = 20;
const PROOF_WINDOW: Duration = Duration::from_secs(15 * 60);
/// The fewest trailing phone digits accepted as proof.
const PHONE_SUFFIX_DIGITS: usize = 4;

struct Row_ {
    id: i64,
    /// Everything, as the recipient sees it; `redact` makes the public view of it.
    shipment: PublicShipment,
    recipient_name: String,
    address: String,
    phone: String,
    postcode: String,
}

async fn load(db: &Db, tracking_number: &str) -> Result<Row_, AppError> {
    let tn = TrackingNumber::parse(tracking_number).map_err(|_| AppError::NotFound)?;
    let row = crate::orders::store::tracked_shipment(&db.pool, tn.as_str())
        .await?
        .ok_or(AppError::NotFound)?;
    let id = row.id;
    let slot = match row.delivery_slot_id {
        Some(s) => slots::slot_by_id(db, s, now_ms()).await?,
        None => None,
    };
    let status =
        ShipmentStatus::parse(&row.status).or_internal("shipments.status is not a status")?;
    let service =
        ServiceLevel::parse(&row.service).or_internal("shipments.service is not a service")?;
    let origin = GeoPoint {
        lat: row.sender_lat,
        lng: row.sender_lon,
    };
    let destination = GeoPoint {
        lat: row.recipient_lat,
        lng: row.recipient_lon,
    };
    // Newest first: the first is the latest scan.
    let events = crate::orders::shipments::events(db, id).await?;
    let (path, last_position) = scan_path(db, id).await?;
    let standing = Standing::assess(
        &Facts {
            status,
            service,
            origin: (origin.lat, origin.lng),
            destination: (destination.lat, destination.lng),
            promised_to: row.promised_to.clone(),
            slot_ends_at: row.slot_ends_at,
            booked_at: row.created_at,
            last_scan: events.first().map(|e| e.time),
            last_position,
        },
        now_ms(),
    );
    let city = row.recipient_city;
    let postcode = row.recipient_postcode;
    let address = [
        Some(row.recipient_line1),
        row.recipient_line2.filter(|l| !l.is_empty()),
        Some(format!("{postcode} {city}")),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(", ");
    Ok(Row_ {
        id,
        shipment: PublicShipment {
            tracking_number: row.tracking_number,
            status,
            service,
            origin_city: row.sender_city,
            destination_city: city,
            promised_from: row.promised_from,
            promised_to: row.promised_to,
            delivery_slot: slot,
            pickup_point: row.pickup_point,
            eta_earliest: standing.eta.map(|e| e.earliest),
            eta_latest: standing.eta.map(|e| e.latest),
            running_late: !standing.causes().is_empty(),
            map: RouteMap {
                tile_url: None,
                origin,
                destination,
                path,
            },
            events,
        },
        recipient_name: row.recipient_name,
        address,
        phone: row.recipient_phone,
        postcode,
    })
}

/// Where a parcel's scans were made, oldest first, rounded to about ten kilometres (city
/// level: the public sees no more), repeats of the same place dropped; and the latest scanned
/// position as it was reported (for the ETA).
async fn scan_path(
    db: &Db,
    shipment_id: i64,
) -> Result<(Vec<GeoPoint>, Option<(f64, f64)>), AppError> {
    let rows = crate::orders::store::scan_points(&db.pool, shipment_id).await?;
    let mut path: Vec<GeoPoint> = Vec::with_capacity(rows.len());
    let mut last = None;
    for r in rows {
        let (lat, lng) = (r.lat, r.lon);
        last = Some((lat, lng));
        let point = city_level(lat, lng);
        if path.last() != Some(&point) {
            path.push(point);
        }
    }
    Ok((path, last))
}

/// A position rounded to 0.1 degree.
pub fn city_level(lat: f64, lng: f64) -> GeoPoint {
    GeoPoint {
        lat: (lat * 10.0).round() / 10.0,
        lng: (lng * 10.0).round() / 10.0,
    }
}

/// The courier's latest position while the parcel is out for delivery.
async fn courier(
    db: &Db,
    shipment_id: i64,
    status: ShipmentStatus,
) -> Result<Option<CourierPosition>, AppError> {
    if status != ShipmentStatus::OutForDelivery {
        return Ok(None);
    }
    let found: Option<CourierRow> = sqlx::query_as(
        "SELECT lat, lon, recorded_at FROM courier_positions WHERE shipment_id = $1",
    )
    .bind(shipment_id)
    .fetch_optional(&db.pool)
    .await?;
    Ok(found.map(|r| CourierPosition {
        point: GeoPoint {
            lat: r.lat,
            lng: r.lon,
        },
        time: r.recorded_at,
    }))
}

/// A courier's latest position as stored.
#[derive(sqlx::FromRow)]
struct CourierRow {
    lat: f64,
    lon: f64,
    recorded_at: i64,
}

/// The shipment's events after `after_id` (oldest first): what a reconnecting stream missed.
/// Whole: the public stream sends each through `public_event`.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn events_after(
    db: &Db,
    tracking_number: &str,
    after_id: i64,
) -> Result<Vec<super::LiveEvent>, AppError> {
    let tn = TrackingNumber::parse(tracking_number).map_err(|_| AppError::NotFound)?;
    let rows = crate::orders::store::events_after(&db.pool, tn.as_str(), after_id).await?;
    rows.into_iter()
        .map(|r| {
            Ok(super::LiveEvent {
                tracking_number: tn.as_str().to_string(),
                id: r.id,
                event: ShipmentEvent {
                    status: ShipmentStatus::parse(&r.status)
                        .or_internal("tracking_events.status is not a status")?,
                    time: r.occurred_at,
                    place: r.place,
                    note: r.note,
                },
            })
        })
        .collect()
}

/// Counts one public look-up of a number by `client`, refused past `TRACK_LOOKUP_LIMIT` in the
/// window: anyone may follow a parcel, nobody may try numbers by the thousand.
async fn count_lookup(db: &Db, settings: &Settings, client: IpAddr) -> Result<(), AppError> {
    let bucket = format!("track-ip:{client}");
    rate_limit::hit(
        db,
        &bucket,
        settings.track_lookup_limit,
        settings.rate_limit_window,
    )
    .await
}

/// Whether anyone booked this number (a stream for an unknown one is a 404); a public look-up.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn exists(
    db: &Db,
    settings: &Settings,
    client: IpAddr,
    tracking_number: &str,
) -> Result<bool, AppError> {
    count_lookup(db, settings, client).await?;
    let Ok(tn) = TrackingNumber::parse(tracking_number) else {
        return Ok(false);
    };
    let found = crate::orders::store::shipment_outline(&db.pool, tn.as_str()).await?;
    Ok(found.is_some())
}

/// Whether an event is a change of the delivery rather than a scan: its whole content is its
/// note, which names the window or the pickup point (`slot:…`, `pickup_point:…`).
fn is_delivery_change(e: &ShipmentEvent) -> bool {
    e.note
        .as_deref()
        .is_some_and(|n| n.starts_with("slot:") || n.starts_with("pickup_point:"))
}

/// An event as the public sees it (the page, the API, the live stream): status, time and place,
/// never the note, free text a carrier may fill with a name, a door or a neighbour's flat.
pub fn public_event(e: &ShipmentEvent) -> ShipmentEvent {
    ShipmentEvent {
        note: None,
        ..e.clone()
    }
}

/// The one rule of what anyone holding the number sees before the recipient's proof: the
/// promised days (a held window's day) but not the window's times, no pickup point, and the
/// events without their notes, changes of the delivery left out. The recipient's view (a proof
/// or a grant) has it all.
pub fn redact(mut s: PublicShipment) -> PublicShipment {
    s.delivery_slot = None;
    s.pickup_point = None;
    s.events = s
        .events
        .iter()
        .filter(|e| !is_delivery_change(e))
        .map(public_event)
        .collect();
    s
}

/// The view anyone with the number sees (`redact`); a public look-up.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn public(
    db: &Db,
    settings: &Settings,
    client: IpAddr,
    tracking_number: &str,
) -> Result<PublicShipment, AppError> {
    count_lookup(db, settings, client).await?;
    Ok(redact(load(db, tracking_number).await?.shipment))
}

/// The public view, or `None` for a number nobody booked (the track box and page).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn find_public(
    db: &Db,
    settings: &Settings,
    client: IpAddr,
    tracking_number: &str,
) -> Result<Option<PublicShipment>, AppError> {
    match public(db, settings, client, tracking_number).await {
        Ok(s) => Ok(Some(s)),
        Err(AppError::NotFound) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The public view of each number (the track box), `None` for a number nobody booked: at most
/// [`super::MAX_NUMBERS`] at once, each counted as a public look-up.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn find_many(
    db: &Db,
    settings: &Settings,
    client: IpAddr,
    numbers: &[String],
) -> Result<Vec<Option<PublicShipment>>, AppError> {
    if numbers.len() > super::MAX_NUMBERS {
        return Err(AppError::field(
            "numbers",
            FieldError::TooMany {
                max: super::MAX_NUMBERS,
            },
        ));
    }
    let mut out = Vec::with_capacity(numbers.len());
    for n in numbers {
        out.push(
            find_public(db, settings, client, n)
                .await?
                .map(|s| s.with_tiles(settings)),
        );
    }
    Ok(out)
}

/// The recipient's postcode (spacing and case ignored), or at least the last four digits of
/// their phone number.
pub fn proves(proof: &str, postcode: &str, phone: &str) -> bool {
    let proof = fold_key(proof);
    if proof.is_empty() {
        return false;
    }
    if proof == fold_key(postcode) {
        return true;
    }
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    proof.len() >= PHONE_SUFFIX_DIGITS
        && proof.bytes().all(|b| b.is_ascii_digit())
        && digits.ends_with(&proof)
}

/// Checks a proof. An unknown number and a wrong proof get the same answer, and both count
/// against the limits; a right proof is given back. Every attempt is counted before it is
/// checked (one atomic statement per limit), so a burst of parallel guesses gets no more
/// answers than the limit.
async fn verify(db: &Db, tracking_number: &str, proof: &str, ip: IpAddr) -> Result<Row_, AppError> {
    let key = fold_key(tracking_number);
    let buckets = [
        (format!("proof:{key}"), PROOF_LIMIT_PER_SHIPMENT),
        (format!("proof-ip:{ip}"), PROOF_LIMIT_PER_CLIENT),
    ];
    for (bucket, limit) in &buckets {
        rate_limit::hit(db, bucket, *limit, PROOF_WINDOW).await?;
    }
    let found = match load(db, tracking_number).await {
        Ok(r) => Some(r),
        Err(AppError::NotFound) => None,
        Err(e) => return Err(e),
    };
    match found {
        Some(r) if proves(proof, &r.postcode, &r.phone) => {
            for (bucket, _) in &buckets {
                rate_limit::give_back(db, bucket, PROOF_WINDOW).await?;
            }
            Ok(r)
        }
        _ => {
            tracing::info!(target: "security", client = %ip, tracking_number, "wrong recipient proof");
            Err(AppError::field("proof", FieldError::ProofWrong))
        }
    }
}

/// The recipient's view: everything `redact` keeps from the public, and who and where.
async fn view(db: &Db, r: Row_) -> Result<RecipientView, AppError> {
    let area = crate::orders::delivery::destination_area(db, r.id).await?;
    let slots = slots::area_slots(db, area.as_ref()).await?;
    let before_cutoff = r
        .shipment
        .delivery_slot
        .as_ref()
        .is_none_or(|s| s.unavailable != Some(crate::slots::SlotUnavailable::CutoffPassed));
    let courier = courier(db, r.id, r.shipment.status).await?;
    let (rate_link, return_link) = if r.shipment.status == ShipmentStatus::Delivered {
        let tn = &r.shipment.tracking_number;
        (
            Some(crate::notifications::rating_link::link(db, tn, now_ms()).await?),
            Some(crate::returns::service::request_link(db, tn, now_ms()).await?),
        )
    } else {
        (None, None)
    };
    Ok(RecipientView {
        courier,
        rate_link,
        return_link,
        can_change: r.shipment.status.reschedulable() && before_cutoff && area.is_some(),
        slots,
        pickup_points: area.map(|a| a.input.pickup_points).unwrap_or_default(),
        recipient_name: r.recipient_name,
        address: r.address,
        shipment: r.shipment,
    })
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn open(
    db: &Db,
    tracking_number: &str,
    proof: &str,
    ip: IpAddr,
) -> Result<RecipientView, AppError> {
    let r = verify(db, tracking_number, proof, ip).await?;
    view(db, r).await
}

/// The cookie holding a recipient's grant, one per parcel (its path is the parcel's page).
pub const ACCESS_COOKIE: &str = "pp_recipient";
/// How long a right proof holds on the device that gave it.
pub const ACCESS_LIFETIME: Duration = Duration::from_secs(60 * 60);
const ACCESS_PURPOSE: &str = "recipient";

/// Checks a proof, as `open` does, and answers a grant for this device (the value of
/// `ACCESS_COOKIE`) instead of the recipient's view.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn prove(
    db: &Db,
    tracking_number: &str,
    proof: &str,
    ip: IpAddr,
    now: i64,
) -> Result<String, AppError> {
    verify(db, tracking_number, proof, ip).await?;
    grant_access(db, tracking_number, now).await
}

/// A right proof, kept: `<expiry>.<signature>` for this parcel, checked without the proof
/// (which the device then need not keep) and worthless for any other parcel.
async fn grant_access(db: &Db, tracking_number: &str, now: i64) -> Result<String, AppError> {
    let expires = now + ACCESS_LIFETIME.as_millis() as i64;
    let key = links::key(db).await?;
    let subject = fold_key(tracking_number);
    Ok(format!(
        "{expires}.{}",
        links::sign(&key, ACCESS_PURPOSE, &subject, expires)
    ))
}

/// The parcel's row when `access` is a grant for it that has not expired.
async fn with_access(
    db: &Db,
    tracking_number: &str,
    access: &str,
    now: i64,
) -> Result<Row_, AppError> {
    let (expires, signature) = access.split_once('.').ok_or(AppError::Unauthenticated)?;
    let expires: i64 = expires.parse().map_err(|_| AppError::Unauthenticated)?;
    let key = links::key(db).await?;
    let subject = fold_key(tracking_number);
    if !links::verify(&key, ACCESS_PURPOSE, &subject, expires, signature, now) {
        return Err(AppError::Unauthenticated);
    }
    load(db, tracking_number).await
}

/// The recipient's view for a device holding a grant.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn open_with_access(
    db: &Db,
    tracking_number: &str,
    access: &str,
    now: i64,
) -> Result<RecipientView, AppError> {
    let r = with_access(db, tracking_number, access, now).await?;
    view(db, r).await
}

/// A move by a device holding a grant.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn change_with_access(
    db: &Db,
    tracking_number: &str,
    access: &str,
    now: i64,
    to: NewDelivery,
) -> Result<RecipientView, AppError> {
    let r = with_access(db, tracking_number, access, now).await?;
    change(db, r, to).await
}

/// A move by the recipient with the proof itself (API clients keep no grant): checked and
/// limited as [`open`] checks it.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn change_with_proof(
    db: &Db,
    tracking_number: &str,
    proof: &str,
    ip: IpAddr,
    to: NewDelivery,
) -> Result<RecipientView, AppError> {
    let r = verify(db, tracking_number, proof, ip).await?;
    change(db, r, to).await
}

/// The recipient's move of the delivery, and their view after it.
async fn change(db: &Db, r: Row_, to: NewDelivery) -> Result<RecipientView, AppError> {
    crate::orders::delivery::change_delivery(db, r.id, to, ChangedBy::Recipient).await?;
    let r = load(db, &r.shipment.tracking_number).await?;
    view(db, r).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_postcode_or_the_phones_last_digits_prove_it() {
        let (pc, phone) = ("200001", "+86 138 0013 8000");
        assert!(proves("200001", pc, phone));
        assert!(proves(" 200 001 ", pc, phone));
        assert!(proves("8000", pc, phone));
        assert!(proves("00138000", pc, phone));
        assert!(!proves("800", pc, phone), "three digits are too few");
        assert!(!proves("9000", pc, phone));
        assert!(!proves("", pc, phone));
        assert!(!proves("200002", pc, phone));
        assert!(proves("sw1a 1aa", "SW1A 1AA", phone));
    }

    #[test]
    fn the_public_sees_no_note_no_window_and_no_pickup_point() {
        let event = |status: ShipmentStatus, note: Option<&str>| ShipmentEvent {
            status,
            time: 1,
            place: Some("Beijing".into()),
            note: note.map(str::to_string),
        };
        let point = GeoPoint { lat: 0.0, lng: 0.0 };
        let full = PublicShipment {
            tracking_number: "CP123456785CN".into(),
            status: ShipmentStatus::InTransit,
            service: ServiceLevel::Scheduled,
            origin_city: "Shanghai".into(),
            destination_city: "Beijing".into(),
            promised_from: "2026-11-26".into(),
            promised_to: "2026-11-26".into(),
            delivery_slot: Some(crate::slots::Slot {
                id: 1,
                area: "beijing".into(),
                time_zone: "Asia/Shanghai".into(),
                day: "2026-11-26".into(),
                local_start: "13:10".into(),
                local_end: "15:50".into(),
                starts_at: String::new(),
                ends_at: String::new(),
                cutoff_at: String::new(),
                local_cutoff: "2026-11-25 18:00".into(),
                capacity: 5,
                remaining: 4,
                closed: false,
                bookable: true,
                unavailable: None,
            }),
            pickup_point: Some("Haidian locker".into()),
            eta_earliest: Some(1),
            eta_latest: Some(2),
            running_late: false,
            map: RouteMap {
                tile_url: None,
                origin: point,
                destination: point,
                path: vec![],
            },
            events: vec![
                event(
                    ShipmentStatus::InTransit,
                    Some("Left with Mr Wang, flat 1203"),
                ),
                event(ShipmentStatus::Created, Some("slot:2026-11-26 13:10-15:50")),
                event(ShipmentStatus::Created, None),
            ],
        };
        let public = redact(full);
        assert_eq!(public.delivery_slot, None);
        assert_eq!(public.pickup_point, None);
        assert_eq!(
            public.events,
            vec![
                event(ShipmentStatus::InTransit, None),
                event(ShipmentStatus::Created, None)
            ]
        );
        assert_eq!(
            (public.promised_from.as_str(), public.eta_latest),
            ("2026-11-26", Some(2))
        );
        let json = serde_json::to_string(&public).unwrap();
        for hidden in ["delivery_slot", "pickup_point", "Haidian", "13:10", "Wang"] {
            assert!(!json.contains(hidden), "{hidden} in {json}");
        }
    }
}
