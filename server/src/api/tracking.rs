use std::collections::VecDeque;
use std::convert::Infallible;

use app::error::{AppError, FieldError};
use app::i18n::locale_from_headers;
use app::orders::delivery::NewDelivery;
use app::platform::db::LIVE_RESUMED;
use app::platform::lifecycle::Shutdown;
use app::platform::rate_limit::StreamSlot;
use app::platform::{AppState, Db};
use app::tracking::carrier::{record, record_positions, require_carrier, Carrier};
use app::tracking::service;
use app::tracking::{
    CarrierBatch, CarrierBatchResult, CourierBatch, CourierBatchResult, LiveEvent, LivePosition,
    PublicShipment, RecipientView,
};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::Json;
use futures::{Stream, StreamExt};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast::error::RecvError;
use utoipa::ToSchema;

use super::{ApiError, ApiJson, ApiPath, ApiQuery, ClientIp, ErrorBody};

/// Scans from a carrier, in order. Each event is recorded with the shipment's new status, or
/// refused on its own (an illegal transition, an unknown number, a malformed field) while the
/// rest of the batch is kept; an event id already stored is reported as a duplicate.
#[utoipa::path(post, path = "/api/v1/carrier/events", tag = "tracking", request_body = CarrierBatch,
    security(("bearer" = [])),
    responses((status = 200, body = CarrierBatchResult, description = "One result per event"),
        (status = 401, description = "No valid carrier token", body = ErrorBody),
        (status = 422, description = "More than 1,000 events", body = ErrorBody)))]
pub async fn carrier_events(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(batch): ApiJson<CarrierBatch>,
) -> Result<Json<CarrierBatchResult>, ApiError> {
    // Not a `Carrier` argument: the body is read first, so an oversized batch is refused (413)
    // before its token is looked at, whoever sends it.
    let carrier = require_carrier(&state.db, &headers).await?;
    let locale = locale_from_headers(&headers);
    Ok(Json(record(&state.db, carrier, &batch, locale).await?))
}

/// Couriers' positions for parcels out for delivery, in order; only the newest per parcel is
/// kept (an older one is `stale`). Open tracking pages are told a position arrived; only a
/// verified recipient sees where.
#[utoipa::path(post, path = "/api/v1/carrier/positions", tag = "tracking", request_body = CourierBatch,
    security(("bearer" = [])),
    responses((status = 200, body = CourierBatchResult, description = "One result per position"),
        (status = 401, description = "No valid carrier token", body = ErrorBody),
        (status = 422, description = "More than 1,000 positions", body = ErrorBody)))]
pub async fn carrier_positions(
    State(state): State<AppState>,
    Carrier(carrier): Carrier,
    headers: HeaderMap,
    ApiJson(batch): ApiJson<CourierBatch>,
) -> Result<Json<CourierBatchResult>, ApiError> {
    let locale = locale_from_headers(&headers);
    Ok(Json(
        record_positions(&state.db, carrier, &batch, locale).await?,
    ))
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TrackQuery {
    /// The recipient's postcode, or at least the last four digits of their phone number.
    #[serde(default)]
    pub verify: Option<String>,
}

/// What `GET /api/v1/track/{tracking_number}` answers: the recipient's view with a right
/// `verify`, the public view without one.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum TrackView {
    /// With `verify`: everything, with name, address, the windows and pickup points it may
    /// move to.
    Recipient(Box<RecipientView>),
    /// Without: no delivery window's times, no pickup point (both fields absent), no notes.
    Public(Box<PublicShipment>),
}

/// One parcel for anyone holding its number: status, cities, the promised days and the
/// history without its notes; no delivery window's times and no pickup point (both fields are
/// absent). With `verify`, the recipient's view: all of those, name, address, the windows it
/// may move to and the pickup points. Wrong proofs are rate limited, and an unknown number
/// with `verify` is refused exactly like a wrong proof; public look-ups are rate limited per
/// client address (`TRACK_LOOKUP_LIMIT`).
#[utoipa::path(get, path = "/api/v1/track/{tracking_number}", tag = "tracking",
    params(("tracking_number" = inline(app::domain::TrackingNumber), Path), TrackQuery),
    responses((status = 200, body = TrackView,
            description = "With `verify`, a RecipientView; without it, the public view (PublicShipment)"),
        (status = 404, description = "Unknown number (without `verify`)", body = ErrorBody),
        (status = 422, description = "`proof_wrong`", body = ErrorBody),
        (status = 429, body = ErrorBody)))]
pub async fn track(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiPath(tracking_number): ApiPath<String>,
    ApiQuery(q): ApiQuery<TrackQuery>,
) -> Result<Json<TrackView>, ApiError> {
    Ok(Json(match q.verify.filter(|v| !v.trim().is_empty()) {
        Some(proof) => {
            let view = service::open(&state.db, &tracking_number, &proof, ip).await?;
            TrackView::Recipient(Box::new(view.with_tiles(&state.settings)))
        }
        None => {
            let public = service::public(&state.db, &state.settings, ip, &tracking_number).await?;
            TrackView::Public(Box::new(public.with_tiles(&state.settings)))
        }
    }))
}

/// `POST /api/v1/track`
#[derive(Debug, Deserialize, ToSchema)]
pub struct TrackMany {
    /// Tracking numbers; one that names no parcel, or is not a tracking number at all, answers
    /// `null`.
    // app::tracking::MAX_NUMBERS
    #[schema(max_items = 20)]
    pub numbers: Vec<String>,
}

/// The public view of several parcels at once, as the track box shows them: one entry per
/// number, in order, `null` for a number nobody booked. Each number counts as one public
/// look-up against `TRACK_LOOKUP_LIMIT`.
#[utoipa::path(post, path = "/api/v1/track", tag = "tracking", request_body = TrackMany,
    responses((status = 200, body = Vec<Option<PublicShipment>>),
        (status = 422, description = "More than 20 numbers (`numbers`)", body = ErrorBody),
        (status = 429, body = ErrorBody)))]
pub async fn track_many(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(req): ApiJson<TrackMany>,
) -> Result<Json<Vec<Option<PublicShipment>>>, ApiError> {
    Ok(Json(
        service::find_many(&state.db, &state.settings, ip, &req.numbers).await?,
    ))
}

/// `POST /api/v1/track/{tracking_number}/delivery`: the proof, and one of a window or a pickup
/// point.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RecipientChange {
    /// The recipient's postcode, or at least the last four digits of their phone number.
    pub verify: String,
    /// A window from the recipient's view (`slots`).
    #[serde(default)]
    #[schema(minimum = 1)]
    pub slot_id: Option<i64>,
    /// One of the view's `pickup_points`, instead of a window.
    #[serde(default)]
    pub pickup_point: Option<String>,
}

/// The recipient moves the delivery to another window or to a pickup point, as on the tracking
/// page: with the proof `GET` takes as `verify` (checked and limited the same way), while the
/// parcel is not yet out for delivery. Answers the recipient's view after the change.
#[utoipa::path(post, path = "/api/v1/track/{tracking_number}/delivery", tag = "tracking",
    params(("tracking_number" = inline(app::domain::TrackingNumber), Path)),
    request_body = RecipientChange,
    responses((status = 200, body = RecipientView),
        (status = 409, description = "`slot_full`, `cutoff_passed`, `slot_closed`, or out for delivery (`not_reschedulable`)", body = ErrorBody),
        (status = 422, description = "`proof_wrong` (also for an unknown number), nothing chosen, or a window or point that does not serve the address", body = ErrorBody),
        (status = 429, description = "Too many wrong proofs", body = ErrorBody)))]
pub async fn change_delivery(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiPath(tracking_number): ApiPath<String>,
    ApiJson(change): ApiJson<RecipientChange>,
) -> Result<Json<RecipientView>, ApiError> {
    let point = change.pickup_point.filter(|p| !p.trim().is_empty());
    let to = match (change.slot_id, point) {
        (Some(slot), None) => NewDelivery::Window(slot),
        (None, Some(point)) => NewDelivery::PickupPoint(point),
        (None, None) => return Err(AppError::field("slot_id", FieldError::NothingChosen).into()),
        // A window or a point, not both.
        (Some(_), Some(_)) => {
            return Err(AppError::field("pickup_point", FieldError::Invalid).into())
        }
    };
    let view =
        service::change_with_proof(&state.db, &tracking_number, &change.verify, ip, to).await?;
    Ok(Json(view.with_tiles(&state.settings)))
}

/// Live updates of one parcel as server-sent events: each `tracking` event's `data` is the JSON
/// of the new tracking event as the public sees it (`status`, `time`, `place`; `note` is always
/// null, the stream being public) and its `id` the event's id;
/// a `position` event (`{"time"}`) says the courier reported a new position.
/// A reconnecting client sends `Last-Event-ID` and first gets what it missed. Public, like the
/// tracking page; an unknown number is a 404. One client address holds at most
/// `STREAMS_PER_CLIENT` streams open at once (429 beyond). When the server stops, the stream
/// ends with one last event without data: its `id` and a `retry` of 1 to 5 s, so the browser
/// reconnects after the pause and catches up. While the database is out of reach (restarted) the
/// stream stays open; events recorded around the restart come once the server hears from it
/// again.
#[utoipa::path(get, path = "/api/v1/track/{tracking_number}/stream", tag = "tracking",
    params(("tracking_number" = inline(app::domain::TrackingNumber), Path)),
    responses((status = 200, content_type = "text/event-stream", description = "Events as they happen"),
        (status = 404, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn stream(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    ApiPath(tracking_number): ApiPath<String>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    // A place among the client's open streams (`STREAMS_PER_CLIENT`), held by the stream
    // itself: it is freed when the stream ends or its client leaves.
    let slot = state
        .open_streams
        .open(ip, state.settings.streams_per_client)?;
    let tn = tracking_number.trim().to_ascii_uppercase();
    // Subscribed before the catch-up query, so nothing falls between the two.
    let live = state.db.announcements.subscribe();
    if !service::exists(&state.db, &state.settings, ip, &tn).await? {
        return Err(AppError::NotFound.into());
    }
    let after = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok());
    let missed = match after {
        Some(after) => service::events_after(&state.db, &tn, after).await?,
        None => Vec::new(),
    };
    // The newest event id the client has: the last one sent, else the one it came back with.
    let last_sent = missed.last().map_or(after.unwrap_or(0), |e| e.id);
    // A new client has the parcel as it was when the stream opened: a read-back after missed
    // announcements starts after the newest event then, not from the first.
    let known = match after {
        Some(_) => last_sent,
        None => service::events_after(&state.db, &tn, 0)
            .await?
            .last()
            .map_or(0, |e| e.id),
    };
    let catch_up = futures::stream::iter(missed.into_iter().map(|e| Ok(sse_event(&e))));
    let carried = Carried {
        rx: live,
        db: state.db.clone(),
        tn,
        last: last_sent,
        known,
        missed: VecDeque::new(),
        _slot: slot,
        shutdown: state.shutdown.clone(),
        ended: false,
    };
    let updates = futures::stream::unfold(carried, |mut c| async move {
        if c.ended {
            return None;
        }
        loop {
            if let Some(e) = c.missed.pop_front() {
                if e.id > c.last {
                    c.last = e.id;
                    return Some((Ok(sse_event(&e)), c));
                }
                continue;
            }
            let received = tokio::select! {
                biased;
                _ = c.shutdown.wait() => {
                    // The instance is stopping: the browser comes back (to another instance, or
                    // this one restarted) after the pause and catches up from the id.
                    c.ended = true;
                    let event = farewell(c.last);
                    return Some((Ok(event), c));
                }
                received = c.rx.recv() => received,
            };
            match received {
                // The instance heard nothing from the database for a while (PostgreSQL
                // restarted): what happened meanwhile is read back. Should that fail too, the
                // failure is logged and the page catches up at its next event.
                Ok(payload) if payload == LIVE_RESUMED => {
                    let after = c.last.max(c.known);
                    if let Ok(missed) = service::events_after(&c.db, &c.tn, after).await {
                        c.missed.extend(missed);
                    }
                }
                Ok(payload) => {
                    if let Ok(e) = serde_json::from_str::<LiveEvent>(&payload) {
                        if e.tracking_number == c.tn && e.id > c.last {
                            let event = sse_event(&e);
                            c.last = e.id;
                            return Some((Ok(event), c));
                        }
                    } else if let Ok(p) = serde_json::from_str::<LivePosition>(&payload) {
                        if p.tracking_number == c.tn {
                            let event = Event::default()
                                .event("position")
                                .data(format!("{{\"time\":{}}}", p.position_at));
                            return Some((Ok(event), c));
                        }
                    }
                }
                // A slow reader skipped some announcements; the page refetches on any event.
                Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => return None,
            }
        }
    });
    Ok(Sse::new(catch_up.chain(updates)).keep_alive(KeepAlive::default()))
}

/// What a live stream holds between events.
struct Carried {
    rx: tokio::sync::broadcast::Receiver<String>,
    db: Db,
    tn: String,
    /// The newest tracking event id the client has.
    last: i64,
    /// The newest event id when the stream opened (or the one the client came back with).
    known: i64,
    /// Events read back after the instance missed announcements, still to send.
    missed: VecDeque<LiveEvent>,
    /// The client's place among its open streams, freed when the stream ends.
    _slot: StreamSlot,
    shutdown: Shutdown,
    /// The farewell was sent: the stream ends.
    ended: bool,
}

/// The last event of a stream ended by the stop: no data (browsers dispatch nothing), the id the
/// client should come back with, and a pause before it does, spread over 1 to 5 s so the
/// clients of a stopping instance do not all return at the same moment.
fn farewell(last: i64) -> Event {
    use std::hash::BuildHasher;
    let spread = std::collections::hash_map::RandomState::new().hash_one(last) % 4_001;
    Event::default()
        .comment("the server is restarting")
        .retry(std::time::Duration::from_millis(1_000 + spread))
        .id(last.to_string())
}

/// An event as the public stream sends it: through the public view's rule, never its note.
fn sse_event(e: &LiveEvent) -> Event {
    Event::default()
        .event("tracking")
        .id(e.id.to_string())
        .data(serde_json::to_string(&service::public_event(&e.event)).unwrap_or_default())
}
