//! Public tracking: what anyone holding a tracking number sees, and what the recipient can do
//! after proving it is them (the recipient's postcode or the last digits of their phone).

#[cfg(feature = "ssr")]
pub mod carrier;
#[cfg(feature = "ssr")]
pub mod delays;
pub mod eta;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod simulator;
pub mod track_page;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::orders::{ServiceLevel, ShipmentEvent, ShipmentStatus};
use crate::slots::{Slot, SlotList};

/// A shipment as the public sees it: status, cities, days; no names or street addresses. Before
/// the recipient's proof (`service::redact`) it carries no event notes, no delivery window and
/// no pickup point; in the recipient's view (`RecipientView::shipment`) it carries them all.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PublicShipment {
    pub tracking_number: String,
    pub status: ShipmentStatus,
    pub service: ServiceLevel,
    pub origin_city: String,
    pub destination_city: String,
    /// `YYYY-MM-DD`; with a delivery window held, both are its day.
    pub promised_from: String,
    pub promised_to: String,
    /// The delivery window held: recipients only, absent from the public view.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery_slot: Option<Slot>,
    /// The pickup point chosen: recipients only, absent from the public view.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pickup_point: Option<String>,
    /// The expected arrival window from the parcel's progress (Unix milliseconds); none once
    /// it is delivered or has ended.
    pub eta_earliest: Option<i64>,
    pub eta_latest: Option<i64>,
    /// At its current progress, or by a reported delay, it misses the promised window.
    pub running_late: bool,
    pub map: RouteMap,
    /// Newest first. In the public view: status, time and place only (no `note`), and no
    /// changes of the delivery.
    pub events: Vec<ShipmentEvent>,
}

/// A point on the map.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct GeoPoint {
    pub lat: f64,
    pub lng: f64,
}

/// What the map draws for everyone: the two cities and the scans' path, at city precision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RouteMap {
    /// The tile template (`{z}/{x}/{y}`); none when the portal runs without tiles, and the
    /// route and markers draw on a plain background.
    pub tile_url: Option<String>,
    pub origin: GeoPoint,
    pub destination: GeoPoint,
    /// Where the parcel was scanned, oldest first.
    pub path: Vec<GeoPoint>,
}

/// The courier's last reported position (recipients only).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CourierPosition {
    pub point: GeoPoint,
    /// Unix milliseconds.
    pub time: i64,
}

/// One courier position from a carrier (`POST /api/v1/carrier/positions`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CourierPing {
    pub tracking_number: String,
    /// RFC 3339.
    pub time: String,
    pub lat: f64,
    pub lng: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CourierBatch {
    pub positions: Vec<CourierPing>,
}

/// What became of each position, in the order of the request: `recorded`, `stale` (an older
/// position than the one held) or `refused` with the reason by field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CourierBatchResult {
    pub recorded: usize,
    pub refused: usize,
    pub results: Vec<CarrierEventResult>,
}

/// The map's centre and zoom so every point fits a phone's map (260 px high; 200 px leaves
/// room for the pins) of 256 px tiles: the middle of their bounding box, zoomed out until its
/// longer side fits.
pub fn map_view(points: &[GeoPoint]) -> (GeoPoint, f64) {
    if points.is_empty() {
        return (GeoPoint { lat: 0.0, lng: 0.0 }, 2.0);
    }
    let (mut south, mut north, mut west, mut east) = (90.0_f64, -90.0_f64, 180.0_f64, -180.0_f64);
    for p in points {
        south = south.min(p.lat);
        north = north.max(p.lat);
        west = west.min(p.lng);
        east = east.max(p.lng);
    }
    let centre = GeoPoint {
        lat: (south + north) / 2.0,
        lng: (west + east) / 2.0,
    };
    // Degrees of longitude one tile-width spans at zoom z: 360 / 2^z; latitude is stretched
    // by 1/cos(lat) in Web Mercator.
    let stretch = 1.0 / centre.lat.to_radians().cos().max(0.2);
    let span = (east - west).max((north - south) * stretch);
    let zoom = if span <= 0.0 {
        11.0
    } else {
        (200.0 / 256.0 * 360.0 / span)
            .log2()
            .floor()
            .clamp(2.0, 11.0)
    };
    (centre, zoom)
}

/// A courier moved: announced to open pages without the position itself (the stream is
/// public); a verified recipient's page fetches it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LivePosition {
    pub tracking_number: String,
    pub position_at: i64,
}

/// What the recipient sees and may change once they proved who they are.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RecipientView {
    pub shipment: PublicShipment,
    pub recipient_name: String,
    /// Street, postcode and city on one line.
    pub address: String,
    /// False once the parcel is out for delivery, or its window's cut-off has passed.
    pub can_change: bool,
    pub slots: SlotList,
    pub pickup_points: Vec<String>,
    /// While out for delivery.
    pub courier: Option<CourierPosition>,
    /// Once delivered: the signed links to rate the delivery and to return items.
    #[serde(default)]
    pub rate_link: Option<String>,
    #[serde(default)]
    pub return_link: Option<String>,
}

// A new tracking event, as announced to open tracking pages: orders announces it.
pub use crate::orders::LiveEvent;

/// One scan from a carrier (`POST /api/v1/carrier/events`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CarrierEvent {
    /// The carrier's own id for the event: a resent event is stored once.
    pub event_id: String,
    pub tracking_number: String,
    /// A normalised status: `picked_up`, `in_transit`, `at_hub`, `out_for_delivery`,
    /// `delivered`, `delayed`, `delivery_failed`, `damaged`, `lost`, `returned_to_sender`.
    pub status: String,
    /// RFC 3339, e.g. `2026-11-25T08:30:00+08:00`.
    pub time: String,
    #[serde(default)]
    pub place: Option<String>,
    #[serde(default)]
    pub lat: Option<f64>,
    #[serde(default)]
    pub lng: Option<f64>,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CarrierBatch {
    pub events: Vec<CarrierEvent>,
}

/// What became of one event: `recorded`, `duplicate` (stored before), or `refused` with the
/// reason by field, as in the API's error shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CarrierEventResult {
    pub event_id: String,
    pub outcome: String,
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub fields: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CarrierBatchResult {
    pub recorded: usize,
    pub duplicates: usize,
    pub refused: usize,
    /// In the order of the request.
    pub results: Vec<CarrierEventResult>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_map_fits_the_route() {
        let shanghai = GeoPoint {
            lat: 31.22,
            lng: 121.46,
        };
        let beijing = GeoPoint {
            lat: 39.91,
            lng: 116.40,
        };
        let (centre, zoom) = map_view(&[shanghai, beijing]);
        assert!((centre.lat - 35.565).abs() < 1e-9 && (centre.lng - 118.93).abs() < 1e-9);
        // About 10.7 degrees of (stretched) latitude: 200 px span 14 degrees at zoom 4.
        assert_eq!(zoom, 4.0);
        assert_eq!(map_view(&[beijing, beijing]).1, 11.0);
        assert_eq!(map_view(&[]).1, 2.0);
        let far = GeoPoint {
            lat: 40.7,
            lng: -74.0,
        };
        assert_eq!(map_view(&[beijing, far]).1, 2.0);
    }
}

/// Numbers one look-up may ask for, as with the big carriers' multi-track boxes.
pub const MAX_NUMBERS: usize = 20;

/// The public view of each number, `None` for a number nobody booked.
#[server(prefix = "/rpc", endpoint = "tracking/many", input = server_fn::codec::Json)]
pub async fn track_many(numbers: Vec<String>) -> Result<Vec<Option<PublicShipment>>, AppError> {
    use crate::platform::request::*;
    let (state, parts) = respond(server_fn_context())?;
    let client = client_ip(&parts, state.settings.trust_proxy);
    respond(service::find_many(&state.db, &state.settings, client, &numbers).await)
}

#[cfg(feature = "ssr")]
impl PublicShipment {
    /// Adds the configured map tiles (the service layer knows no settings).
    pub fn with_tiles(mut self, settings: &crate::platform::Settings) -> Self {
        self.map.tile_url = settings.map_tiles();
        self
    }
}

#[cfg(feature = "ssr")]
impl RecipientView {
    pub fn with_tiles(mut self, settings: &crate::platform::Settings) -> Self {
        self.shipment = self.shipment.with_tiles(settings);
        self
    }
}

/// A carrier or delay message in the reader's language: tracking words its own notifications
/// (messages.rs asks it).
pub fn notification_text(n: &crate::notifications::Notification, t: &crate::i18n::Texts) -> String {
    use crate::i18n::fill;
    use crate::notifications::NotificationKind;
    let tn = n.tracking_number.as_deref().unwrap_or("");
    match n.kind {
        NotificationKind::OutForDelivery => fill(t.note_out_for_delivery, &[("tn", tn)]),
        NotificationKind::Delivered => fill(t.note_delivered, &[("tn", tn)]),
        NotificationKind::Exception => fill(
            t.note_exception,
            &[
                ("tn", tn),
                ("status", n.status.map(|s| s.label(t)).unwrap_or_default()),
            ],
        ),
        NotificationKind::DelayAlert => {
            let cause = match n.cause.as_deref() {
                Some("delayed") => t.delay_cause_delayed,
                Some("delivery_failed") => t.delay_cause_delivery_failed,
                _ => t.delay_cause_eta,
            };
            fill(
                t.note_delay_alert,
                &[
                    ("tn", tn),
                    ("cause", cause),
                    ("eta", &notification_eta(n, t)),
                ],
            )
        }
        NotificationKind::DelayRecovered => fill(
            t.note_delay_recovered,
            &[("tn", tn), ("eta", &notification_eta(n, t))],
        ),
        other => unreachable!("{other:?} is not a tracking message"),
    }
}

/// The latest expected arrival a message was written with.
fn notification_eta(n: &crate::notifications::Notification, t: &crate::i18n::Texts) -> String {
    n.eta
        .map(crate::domain::format_date)
        .unwrap_or_else(|| t.eta_unknown.to_string())
}
