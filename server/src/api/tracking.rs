use app::i18n::locale_from_headers;
use app::platform::AppState;
use app::tracking::carrier::{record, require_carrier};
use app::tracking::{CarrierBatch, CarrierBatchResult};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;

use super::{ApiError, ApiJson, ErrorBody};

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
    let carrier = require_carrier(&state.db, &headers).await?;
    let locale = locale_from_headers(&headers);
    Ok(Json(record(&state.db, carrier, &batch, locale).await?))
}
