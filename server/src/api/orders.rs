use app::accounts::service::require_customer;
use app::orders::{service, QuoteRequest, QuoteResponse};
use app::platform::AppState;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;

use super::{ApiError, ApiJson, ErrorBody};

/// Prices every service level for a shipment, with its itemised breakdown and promised window.
#[utoipa::path(post, path = "/api/v1/quotes", tag = "orders", request_body = QuoteRequest,
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, body = QuoteResponse),
        (status = 401, body = ErrorBody),
        (status = 422, description = "Fields named like `recipient.postcode`, `parcels[0].weight_g`", body = ErrorBody)))]
pub async fn quote(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<QuoteRequest>,
) -> Result<Json<QuoteResponse>, ApiError> {
    let customer = require_customer(&state.db, &headers).await?;
    let tier = app::crm::service::tier(customer);
    Ok(Json(service::quote(&req, tier)?))
}
