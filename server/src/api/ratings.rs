use app::platform::{now_ms, AppState};
use app::ratings::{service, LinkProof, RatingInput, RatingView};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;

use super::returns::LinkParams;
use super::{ApiError, ApiJson, ApiPath, ApiQuery, ErrorBody};

fn proof(p: LinkParams) -> LinkProof {
    LinkProof {
        exp: p.exp,
        sig: p.sig,
    }
}

/// The shipment's rating if given, whether it can be rated now, and the signed rating link
/// (`rate_link`, 30 days) that works without signing in. Authorised by the owner's session or
/// by that link's `exp` and `sig`.
#[utoipa::path(get, path = "/api/v1/shipments/{tracking_number}/rating", tag = "ratings",
    params(("tracking_number" = inline(app::domain::TrackingNumber), Path), LinkParams),
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = RatingView), (status = 404, body = ErrorBody),
        (status = 422, description = "The link is expired or not valid", body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(tracking_number): ApiPath<String>,
    ApiQuery(link): ApiQuery<LinkParams>,
) -> Result<Json<RatingView>, ApiError> {
    let access = service::authorize(&state.db, &headers, &tracking_number, &proof(link)).await?;
    Ok(Json(service::view(&state.db, &access).await?))
}

/// Rates a delivered shipment: `csat` 1-5, optional `nps` 0-10, `tags` and `comment`. Saving
/// again within 7 days of the first rating changes it; later it is refused (409
/// `rating_locked`). A score outside its scale is refused (422 naming the field).
#[utoipa::path(put, path = "/api/v1/shipments/{tracking_number}/rating", tag = "ratings",
    params(("tracking_number" = inline(app::domain::TrackingNumber), Path), LinkParams),
    request_body = RatingInput,
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = RatingView), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(tracking_number): ApiPath<String>,
    ApiQuery(link): ApiQuery<LinkParams>,
    ApiJson(input): ApiJson<RatingInput>,
) -> Result<Json<RatingView>, ApiError> {
    let access = service::authorize(&state.db, &headers, &tracking_number, &proof(link)).await?;
    Ok(Json(
        service::save(&state.db, &access, &input, now_ms()).await?,
    ))
}
