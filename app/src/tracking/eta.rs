//! The expected arrival of a parcel from its progress, and the rules that say it is late.
//! Pure functions of their inputs, so the rules are tested without a database or a clock.

use crate::orders::{ServiceLevel, ShipmentStatus};

/// Carriers' road and air speeds, in km per hour, door to door with sorting (the simulator
/// moves demo parcels at these speeds too).
pub const ROAD_KMH: f64 = 55.0;
pub const AIR_KMH: f64 = 350.0;
const HOUR_MS: f64 = 3_600_000.0;
/// From booking to the parcel leaving the origin hub.
const FIRST_MILE_H: f64 = 6.0;
/// Sorting at the destination hub, then the courier's round.
const LAST_MILE_H: f64 = 9.0;
/// A courier's round once the parcel is on the van.
const ROUND_H: f64 = 3.0;
/// A reported delay or a failed attempt costs a day: the next day's round.
const SETBACK_H: f64 = 24.0;
/// Within this distance of the destination only the last mile remains.
const ARRIVED_KM: f64 = 30.0;
/// The estimate is a window: this share of the time left either side, at least an hour.
const SPREAD: f64 = 0.2;

/// Where a parcel stands.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Progress {
    pub status: ShipmentStatus,
    pub service: ServiceLevel,
    /// The latest scan's time (the booking's, before any scan).
    pub last_scan_ms: i64,
    /// Great-circle kilometres from the last known position to the destination city.
    pub remaining_km: f64,
}

/// The expected arrival, as a window around the most likely time (Unix milliseconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Eta {
    pub earliest: i64,
    pub expected: i64,
    pub latest: i64,
}

/// Why a parcel is late; each raises one alert. Its name is stored with the alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
pub enum DelayCause {
    /// At its current progress it arrives after the promised window.
    Eta,
    /// The carrier scanned it as delayed.
    Delayed,
    /// A delivery attempt failed.
    DeliveryFailed,
}

impl DelayCause {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// Hours of work left from the last scan; `None` when nothing is on its way any more.
pub fn hours_left(p: &Progress) -> Option<f64> {
    let kmh = if p.service == ServiceLevel::Express {
        AIR_KMH
    } else {
        ROAD_KMH
    };
    let line_haul = if p.remaining_km <= ARRIVED_KM {
        0.0
    } else {
        p.remaining_km / kmh
    };
    if !p.status.on_the_way() {
        return None;
    }
    use ShipmentStatus as S;
    Some(match p.status {
        S::Created => FIRST_MILE_H + line_haul + LAST_MILE_H,
        S::OutForDelivery => ROUND_H,
        S::Delayed => SETBACK_H + line_haul + LAST_MILE_H,
        S::DeliveryFailed => SETBACK_H + ROUND_H,
        _ => line_haul + LAST_MILE_H,
    })
}

/// The expected arrival seen at `now`. A parcel overdue on its own estimate is expected within
/// the hour, never in the past.
pub fn estimate(p: &Progress, now_ms: i64) -> Option<Eta> {
    let hours = hours_left(p)?;
    let by_plan = p.last_scan_ms + (hours * HOUR_MS) as i64;
    let expected = by_plan.max(now_ms + HOUR_MS as i64);
    let left_h = (expected - now_ms) as f64 / HOUR_MS;
    let spread = ((left_h * SPREAD).max(1.0) * HOUR_MS) as i64;
    Some(Eta {
        earliest: (expected - spread).max(now_ms),
        expected,
        latest: expected + spread,
    })
}

/// The end of the promised window: the held delivery window's end, else the end (UTC) of the
/// last promised day.
pub fn window_end(slot_ends_at: Option<i64>, promised_to: &str) -> Option<i64> {
    slot_ends_at.or_else(|| crate::domain::parse_date(promised_to).map(|d| (d + 1) * 86_400_000))
}

/// Whether a delivery at `delivered_at` kept the promise: by the end of the held window, else by
/// the end of the last promised day (the on-time KPI counts these).
pub fn delivered_on_time(delivered_at: i64, slot_ends_at: Option<i64>, promised_to: &str) -> bool {
    window_end(slot_ends_at, promised_to).is_some_and(|end| delivered_at <= end)
}

/// Every reason the parcel is late now. Empty means on time.
pub fn delay_causes(status: ShipmentStatus, eta: Option<&Eta>, window_end: i64) -> Vec<DelayCause> {
    let mut causes = Vec::new();
    match status {
        ShipmentStatus::Delayed => causes.push(DelayCause::Delayed),
        ShipmentStatus::DeliveryFailed => causes.push(DelayCause::DeliveryFailed),
        _ => {}
    }
    if eta.is_some_and(|e| e.expected > window_end) {
        causes.push(DelayCause::Eta);
    }
    causes
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_delivery_in_the_windows_last_minute_is_on_time() {
        // 2026-03-01 is day 20513; its promised day ends at 2026-03-02T00:00Z.
        let end = (20_513 + 1) * 86_400_000;
        assert!(delivered_on_time(end - 60_000, None, "2026-03-01"));
        assert!(delivered_on_time(end, None, "2026-03-01"));
        assert!(!delivered_on_time(end + 1, None, "2026-03-01"));
        // A held window ends earlier than the day: its end is the promise.
        let slot_end = end - 6 * 3_600_000;
        assert!(delivered_on_time(slot_end, Some(slot_end), "2026-03-01"));
        assert!(!delivered_on_time(
            slot_end + 60_000,
            Some(slot_end),
            "2026-03-01"
        ));
        assert!(!delivered_on_time(0, None, "not a date"));
    }

    use super::*;

    const H: i64 = 3_600_000;
    const T0: i64 = 1_795_000_000_000;

    fn progress(status: ShipmentStatus, km: f64) -> Progress {
        Progress {
            status,
            service: ServiceLevel::Standard,
            last_scan_ms: T0,
            remaining_km: km,
        }
    }

    #[test]
    fn time_left_follows_distance_speed_and_status() {
        // 1,100 km by road: 20 h of line haul, then the last mile.
        assert_eq!(
            hours_left(&progress(ShipmentStatus::InTransit, 1_100.0)),
            Some(29.0)
        );
        assert_eq!(
            hours_left(&progress(ShipmentStatus::Created, 1_100.0)),
            Some(35.0)
        );
        let mut express = progress(ShipmentStatus::InTransit, 1_050.0);
        express.service = ServiceLevel::Express;
        assert_eq!(hours_left(&express), Some(12.0));
        // At the destination only the last mile is left, whatever the service.
        assert_eq!(
            hours_left(&progress(ShipmentStatus::AtHub, 10.0)),
            Some(9.0)
        );
        assert_eq!(
            hours_left(&progress(ShipmentStatus::OutForDelivery, 0.0)),
            Some(3.0)
        );
        assert_eq!(
            hours_left(&progress(ShipmentStatus::Delayed, 0.0)),
            Some(33.0)
        );
        assert_eq!(
            hours_left(&progress(ShipmentStatus::DeliveryFailed, 0.0)),
            Some(27.0)
        );
        for done in [
            ShipmentStatus::Delivered,
            ShipmentStatus::Lost,
            ShipmentStatus::ReturnedToSender,
            ShipmentStatus::Cancelled,
        ] {
            assert_eq!(hours_left(&progress(done, 500.0)), None, "{done:?}");
        }
    }

    #[test]
    fn the_estimate_is_a_window_and_never_in_the_past() {
        let p = progress(ShipmentStatus::InTransit, 1_100.0);
        let e = estimate(&p, T0).unwrap();
        assert_eq!(e.expected, T0 + 29 * H);
        assert!(e.earliest < e.expected && e.expected < e.latest);
        assert_eq!(e.latest - e.expected, (29.0 * 0.2 * H as f64) as i64);
        // Three days without a scan: overdue on its plan, so expected within the hour.
        let late = estimate(&p, T0 + 72 * H).unwrap();
        assert_eq!(late.expected, T0 + 73 * H);
        assert_eq!(late.earliest, T0 + 72 * H);
        assert_eq!(late.latest, T0 + 74 * H);
    }

    #[test]
    fn the_window_ends_with_the_slot_or_the_last_promised_day() {
        assert_eq!(window_end(Some(T0), "2026-11-27"), Some(T0));
        // 2026-11-27 is Unix day 20_784; its end is the start of the next day.
        assert_eq!(window_end(None, "2026-11-27"), Some(20_785 * 86_400_000));
        assert_eq!(window_end(None, "soon"), None);
    }

    #[test]
    fn delay_rules_name_every_cause() {
        let on_time = Eta {
            earliest: T0,
            expected: T0 + H,
            latest: T0 + 2 * H,
        };
        let end = T0 + 2 * H;
        assert!(delay_causes(ShipmentStatus::InTransit, Some(&on_time), end).is_empty());
        // The latest edge may pass the window; the expected time decides.
        assert!(delay_causes(ShipmentStatus::InTransit, Some(&on_time), T0 + H).is_empty());
        assert_eq!(
            delay_causes(ShipmentStatus::InTransit, Some(&on_time), T0 + H - 1),
            [DelayCause::Eta]
        );
        assert_eq!(
            delay_causes(ShipmentStatus::Delayed, Some(&on_time), end),
            [DelayCause::Delayed]
        );
        assert_eq!(
            delay_causes(ShipmentStatus::DeliveryFailed, Some(&on_time), T0),
            [DelayCause::DeliveryFailed, DelayCause::Eta]
        );
        assert!(delay_causes(ShipmentStatus::Delivered, None, T0).is_empty());
    }

    #[test]
    fn causes_keep_their_stored_names() {
        assert_eq!(DelayCause::Eta.as_str(), "eta");
        assert_eq!(DelayCause::Delayed.as_str(), "delayed");
        assert_eq!(DelayCause::DeliveryFailed.as_str(), "delivery_failed");
    }
}
