use app::accounts::service::require_customer;
use app::notifications::{service, NotificationList};
use app::platform::AppState;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;

use super::{ApiError, ErrorBody};

/// The caller's latest 50 messages, newest first, with the unread count: bookings confirmed,
/// deliveries changed by recipients, out for delivery, delivered, exceptions.
#[utoipa::path(get, path = "/api/v1/notifications", tag = "notifications",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = NotificationList), (status = 401, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<NotificationList>, ApiError> {
    let customer = require_customer(&state.db, &headers).await?;
    Ok(Json(service::list(&state.db, customer, 50).await?))
}

/// Marks every message read.
#[utoipa::path(post, path = "/api/v1/notifications/read", tag = "notifications",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = NotificationList), (status = 401, body = ErrorBody)))]
pub async fn read_all(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<NotificationList>, ApiError> {
    let customer = require_customer(&state.db, &headers).await?;
    service::mark_all_read(&state.db, customer).await?;
    Ok(Json(service::list(&state.db, customer, 50).await?))
}
