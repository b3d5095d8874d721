//! A carrier's batch of scans (`POST /api/v1/carrier/events`): the body as the JSON extractor
//! reads it, then each event's checks (`app::tracking::carrier::validate`) as `record_at` makes
//! them before it touches the database.
#![no_main]

use app::domain::{single_line, TrackingNumber};
use app::orders::ShipmentStatus;
use app::tracking::carrier::{validate, MAX_BATCH};
use app::tracking::CarrierBatch;
use libfuzzer_sys::fuzz_target;

/// The server's clock: 2026-11-18T11:06:40Z.
const NOW: i64 = 1_795_000_000_000;
/// How far ahead of the clock a scan may be (`FUTURE_SLACK_MS` in carrier.rs).
const FUTURE_SLACK_MS: i64 = 10 * 60 * 1000;

fuzz_target!(|data: &[u8]| {
    let Ok(batch) = serde_json::from_slice::<CarrierBatch>(data) else {
        return;
    };
    if batch.events.len() > MAX_BATCH {
        return; // refused as a whole
    }
    for event in &batch.events {
        let valid = match validate(event, NOW) {
            Ok(valid) => valid,
            // A refusal names at least one field.
            Err(fields) => {
                assert!(!fields.is_empty(), "{event:?}");
                continue;
            }
        };
        // What is stored is in its normal form and passes every check again.
        assert_eq!(valid.event_id, event.event_id.trim());
        assert!(
            (1..=100).contains(&valid.event_id.len())
                && valid.event_id.bytes().all(|b| b.is_ascii_graphic()),
            "{event:?}"
        );
        let number = TrackingNumber::parse(&valid.tracking_number);
        assert_eq!(
            number.as_ref().map(TrackingNumber::as_str),
            Ok(valid.tracking_number.as_str())
        );
        assert_ne!(valid.status, ShipmentStatus::Cancelled);
        assert_eq!(
            ShipmentStatus::parse(event.status.trim()),
            Some(valid.status)
        );
        assert!(valid.time_ms <= NOW + FUTURE_SLACK_MS, "{event:?}");
        if let Some((lat, lng)) = valid.point {
            assert!((-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lng));
        }
        for (text, max) in [(&valid.place, 120), (&valid.note, 500)] {
            if let Some(text) = text {
                assert_eq!(single_line(text, max, true), Ok(Some(text.clone())));
            }
        }
    }
});
