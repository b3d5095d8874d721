//! The demo simulator: moves parcels from the sender's city through hubs to the recipient as a
//! carrier would scan them, with some delays, failed attempts and damage, and records the scans
//! through the carrier-events service the API uses. A parcel's journey is a pure function of
//! its booking, and every scan has a fixed event id, so running the simulator again (or on two
//! instances) records nothing twice.

use super::eta::{AIR_KMH, ROAD_KMH};
use super::{carrier, CarrierBatch, CarrierEvent, CourierBatch, CourierPing};
use crate::error::OrInternal;
use crate::i18n::Locale;
use crate::orders::store::DemoParcel;
use crate::orders::ServiceLevel;
use crate::platform::gazetteer::{distance_m, City, Gazetteer};
use crate::platform::lifecycle::{isolate, Worker};
use crate::platform::Db;

const HOUR_MS: i64 = 3_600_000;
/// Routes longer than this pass a hub on the way.
const VIA_HUB_KM: f64 = 600.0;

/// What befalls a parcel on its way, decided by its number so it is the same on every run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    OnTime,
    Delayed,
    FailedAttempt,
    Damaged,
}

pub fn fate(tracking_number: &str) -> Fate {
    let h = tracking_number
        .bytes()
        .fold(17u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
    match h % 100 {
        0..=9 => Fate::Delayed,
        10..=14 => Fate::FailedAttempt,
        15..=17 => Fate::Damaged,
        _ => Fate::OnTime,
    }
}

/// Every scan of the journey, with times `speed` times faster than real.
pub fn journey(
    tracking_number: &str,
    service: ServiceLevel,
    booked_at: i64,
    from: &City,
    to: &City,
    speed: u32,
) -> Vec<CarrierEvent> {
    let speed = i64::from(speed.max(1));
    let km = distance_m(from, to) as f64 / 1000.0;
    let kmh = if service == ServiceLevel::Express {
        AIR_KMH
    } else {
        ROAD_KMH
    };
    let travel_h = (km / kmh).ceil() as i64;
    let hub = (km > VIA_HUB_KM)
        .then(|| {
            Gazetteer::bundled().hub_near(
                &from.country,
                (from.lat + to.lat) / 2.0,
                (from.lon + to.lon) / 2.0,
                km / 4.0,
            )
        })
        .flatten()
        .filter(|h| h.name != from.name && h.name != to.name);
    // (hours after booking, status, city, note)
    let mut legs: Vec<(i64, &str, &City, Option<&str>)> = vec![
        (3, "picked_up", from, None),
        (5, "at_hub", from, None),
        (6, "in_transit", from, None),
    ];
    let mut t = 6 + travel_h / 2;
    if let Some(hub) = hub {
        legs.push((t, "at_hub", hub, None));
        t += 1;
        legs.push((t, "in_transit", hub, None));
    }
    let fate = fate(tracking_number);
    if fate == Fate::Delayed {
        legs.push((
            t + 1,
            "delayed",
            hub.unwrap_or(from),
            Some("Weather on the route"),
        ));
        t += 24;
        legs.push((t, "in_transit", hub.unwrap_or(from), None));
    }
    t += (travel_h + 1) / 2;
    legs.push((t, "at_hub", to, None));
    if fate == Fate::Damaged {
        legs.push((
            t + 1,
            "damaged",
            to,
            Some("Outer box crushed; contents checked and repacked"),
        ));
    }
    t += 6;
    legs.push((t, "out_for_delivery", to, None));
    if fate == Fate::FailedAttempt {
        legs.push((t + 3, "delivery_failed", to, Some("Recipient not at home")));
        t += 24;
        legs.push((t, "out_for_delivery", to, None));
    }
    legs.push((t + 3, "delivered", to, None));
    legs.into_iter()
        .enumerate()
        .map(|(i, (hours, status, city, note))| CarrierEvent {
            event_id: format!("sim:{tracking_number}:{i}"),
            tracking_number: tracking_number.to_string(),
            status: status.to_string(),
            time: jiff::Timestamp::from_millisecond(booked_at + hours * HOUR_MS / speed)
                .map(|t| t.to_string())
                .unwrap_or_default(),
            place: Some(city.name.clone()),
            lat: Some(city.lat),
            lng: Some(city.lon),
            note: note.map(String::from),
        })
        .collect()
}

/// The simulator's own carrier identity, made once.
async fn carrier_id(db: &Db) -> Result<i64, crate::error::AppError> {
    const NAME: &str = "Parcelport demo simulator";
    let find = || {
        sqlx::query_scalar::<_, i64>(
            "SELECT id FROM carrier_tokens WHERE name = $1 ORDER BY id LIMIT 1",
        )
        .bind(NAME)
        .fetch_optional(&db.pool)
    };
    if let Some(id) = find().await? {
        return Ok(id);
    }
    // The portal scans for this carrier itself: nobody holds its token, so it never worked.
    carrier::create_token(db, NAME, std::time::Duration::ZERO).await?;
    find()
        .await?
        .or_internal("the simulator's carrier after creating its token")
}

/// Records every scan that is due by `now` for demo customers' parcels still on their way
/// (never a real customer's: see `accounts::service::mark_demo_customer`); returns how many
/// were new. Each parcel moves on its own task: one that fails is logged and the rest move on.
pub async fn step(db: &Db, speed: u32, now: i64) -> Result<usize, crate::error::AppError> {
    let carrier = carrier_id(db).await?;
    let rows = crate::orders::store::demo_parcels_on_the_way(&db.pool).await?;
    let g = Gazetteer::bundled();
    let mut recorded = 0;
    for row in rows {
        let parcel = match row.map(|row| Parcel::read(row, g)) {
            Ok(Some(p)) => p,
            Ok(None) => continue,
            Err(e) => {
                tracing::warn!("simulator: a parcel could not be read: {e}");
                continue;
            }
        };
        let what = format!("simulating parcel {}", parcel.tn);
        let moving = {
            let db = db.clone();
            async move { parcel.advance(&db, carrier, speed, now).await }
        };
        recorded += isolate(what, moving).await.unwrap_or(0);
    }
    Ok(recorded)
}

/// One demo parcel on its way, as the simulator moves it.
struct Parcel {
    tn: String,
    service: ServiceLevel,
    booked_at: i64,
    from: &'static City,
    to: &'static City,
}

impl Parcel {
    /// `None` when either city is not in the gazetteer (the parcel is not moved).
    fn read(row: DemoParcel, g: &'static Gazetteer) -> Option<Self> {
        let (Some(from), Some(to)) = (
            g.find(&row.sender_country, &row.sender_city),
            g.find(&row.recipient_country, &row.recipient_city),
        ) else {
            return None;
        };
        Some(Parcel {
            tn: row.tracking_number,
            service: ServiceLevel::parse(&row.service).unwrap_or(ServiceLevel::Standard),
            booked_at: row.created_at,
            from,
            to,
        })
    }

    /// Records its scans due by `now`; returns how many were new.
    async fn advance(
        self,
        db: &Db,
        carrier: i64,
        speed: u32,
        now: i64,
    ) -> Result<usize, crate::error::AppError> {
        let tn = &self.tn;
        let scans = journey(tn, self.service, self.booked_at, self.from, self.to, speed);
        let at = |e: &CarrierEvent| {
            e.time
                .parse::<jiff::Timestamp>()
                .map_or(i64::MAX, |t| t.as_millisecond())
        };
        let due: Vec<CarrierEvent> = scans.iter().filter(|e| at(e) <= now).cloned().collect();
        let Some(last) = due.last() else {
            return Ok(0);
        };
        // On the van: the courier's position between the depot and the door, reported as the
        // round goes on (recipients who prove the postcode see it on the map).
        let courier = (last.status == "out_for_delivery")
            .then(|| scans.get(due.len()).map(|next| (at(last), at(next))))
            .flatten()
            .map(|(left, arrives)| courier_ping(tn, self.to, left, arrives, now));
        let result =
            carrier::record(db, carrier, &CarrierBatch { events: due }, Locale::En).await?;
        if let Some(ping) = courier {
            carrier::record_positions(
                db,
                carrier,
                &CourierBatch {
                    positions: vec![ping],
                },
                Locale::En,
            )
            .await?;
        }
        Ok(result.recorded)
    }
}

/// Where the courier is at `now` on a round that left the depot (a few kilometres out of the
/// city centre) at `left` and reaches the door at `arrives`.
pub fn courier_ping(tn: &str, city: &City, left: i64, arrives: i64, now: i64) -> CourierPing {
    let done = ((now - left) as f64 / (arrives - left).max(1) as f64).clamp(0.0, 1.0);
    let (depot_lat, depot_lng) = (city.lat + 0.06, city.lon - 0.09);
    CourierPing {
        tracking_number: tn.to_string(),
        time: jiff::Timestamp::from_millisecond(now)
            .map(|t| t.to_string())
            .unwrap_or_default(),
        lat: depot_lat + (city.lat - depot_lat) * done,
        lng: depot_lng + (city.lon - depot_lng) * done,
    }
}

/// Runs `step` on the worker's schedule until the stop.
pub async fn run(worker: Worker, db: Db, speed: u32) {
    let db = &db;
    worker
        .rounds(|| async move {
            match step(db, speed, crate::platform::now_ms()).await {
                Ok(0) => {}
                Ok(n) => tracing::info!("simulator: {n} scans recorded"),
                Err(e) => tracing::warn!("simulator step failed: {e:?}"),
            }
        })
        .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn city(name: &str) -> &'static City {
        Gazetteer::bundled().find("CN", name).unwrap()
    }

    fn statuses(events: &[CarrierEvent]) -> Vec<&str> {
        events.iter().map(|e| e.status.as_str()).collect()
    }

    /// A number with the wanted fate, found by trying serials.
    fn number_with(f: Fate) -> String {
        (0..10_000)
            .map(|n| format!("CP{n:08}0CN"))
            .find(|tn| fate(tn) == f)
            .unwrap()
    }

    #[test]
    fn a_long_route_passes_a_hub_and_every_step_is_a_legal_transition() {
        let tn = number_with(Fate::OnTime);
        let events = journey(
            &tn,
            ServiceLevel::Standard,
            0,
            city("Shanghai"),
            city("Chengdu"),
            1,
        );
        assert_eq!(
            statuses(&events),
            [
                "picked_up",
                "at_hub",
                "in_transit",
                "at_hub",
                "in_transit",
                "at_hub",
                "out_for_delivery",
                "delivered"
            ]
        );
        let hub = events[3].place.as_deref().unwrap();
        assert!(hub != "Shanghai" && hub != "Chengdu", "{hub}");
        let mut status = crate::orders::ShipmentStatus::Created;
        let mut last = String::new();
        for e in &events {
            let next = crate::orders::ShipmentStatus::parse(&e.status).unwrap();
            assert!(
                status.can_become(next),
                "{} -> {}",
                status.as_str(),
                e.status
            );
            assert!(e.time >= last, "times only move forward");
            (status, last) = (next, e.time.clone());
        }
    }

    #[test]
    fn the_courier_drives_from_the_depot_to_the_door() {
        let beijing = city("Beijing");
        let start = courier_ping("X", beijing, 1_000, 2_000, 1_000);
        let half = courier_ping("X", beijing, 1_000, 2_000, 1_500);
        let end = courier_ping("X", beijing, 1_000, 2_000, 9_000);
        assert!((end.lat - beijing.lat).abs() < 1e-9 && (end.lng - beijing.lon).abs() < 1e-9);
        assert!((half.lat - (start.lat + end.lat) / 2.0).abs() < 1e-9);
        assert!(start.lat > half.lat && half.lat > end.lat);
    }

    #[test]
    fn fates_add_their_scans_and_speed_compresses_time() {
        let (from, to) = (city("Shanghai"), city("Hangzhou"));
        let delayed = journey(
            &number_with(Fate::Delayed),
            ServiceLevel::Standard,
            0,
            from,
            to,
            1,
        );
        assert!(statuses(&delayed).contains(&"delayed"));
        let failed = journey(
            &number_with(Fate::FailedAttempt),
            ServiceLevel::Standard,
            0,
            from,
            to,
            1,
        );
        assert_eq!(
            statuses(&failed)
                .iter()
                .filter(|s| **s == "out_for_delivery")
                .count(),
            2
        );
        let damaged = journey(
            &number_with(Fate::Damaged),
            ServiceLevel::Standard,
            0,
            from,
            to,
            1,
        );
        assert!(statuses(&damaged).contains(&"damaged"));
        let tn = number_with(Fate::OnTime);
        let slow = journey(&tn, ServiceLevel::Standard, 0, from, to, 1);
        let fast = journey(&tn, ServiceLevel::Standard, 0, from, to, 60);
        let end = |e: &[CarrierEvent]| {
            e.last()
                .unwrap()
                .time
                .parse::<jiff::Timestamp>()
                .unwrap()
                .as_millisecond()
        };
        assert_eq!(end(&slow), 60 * end(&fast));
        assert!(fast
            .iter()
            .zip(&slow)
            .all(|(a, b)| a.event_id == b.event_id));
    }
}
