use app::accounts::callers::Customer;
use app::notifications::{
    service, CreatedWebhook, NewWebhook, NotificationList, NotificationPreferences, Webhook,
    WebhookDelivery,
};
use app::platform::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

use super::{ApiError, ApiJson, ApiPath, ErrorBody};

/// The caller's latest 50 messages, newest first, with the unread count: bookings confirmed,
/// deliveries changed by recipients, out for delivery, delivered, exceptions.
#[utoipa::path(get, path = "/api/v1/notifications", tag = "notifications",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = NotificationList), (status = 401, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Customer(customer): Customer,
) -> Result<Json<NotificationList>, ApiError> {
    Ok(Json(service::list(&state.db, customer, 50).await?))
}

/// Marks every message read.
#[utoipa::path(post, path = "/api/v1/notifications/read", tag = "notifications",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = NotificationList), (status = 401, body = ErrorBody)))]
pub async fn read_all(
    State(state): State<AppState>,
    Customer(customer): Customer,
) -> Result<Json<NotificationList>, ApiError> {
    service::mark_all_read(&state.db, customer).await?;
    Ok(Json(service::list(&state.db, customer, 50).await?))
}

/// Every message kind's channels (email, webhook, in the portal) and the language of email.
#[utoipa::path(get, path = "/api/v1/notification-preferences", tag = "notifications",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = NotificationPreferences), (status = 401, body = ErrorBody)))]
pub async fn preferences(
    State(state): State<AppState>,
    Customer(customer): Customer,
) -> Result<Json<NotificationPreferences>, ApiError> {
    Ok(Json(service::preferences(&state.db, customer).await?))
}

/// Changes the listed kinds' channels and the email language; kinds left out keep theirs.
#[utoipa::path(put, path = "/api/v1/notification-preferences", tag = "notifications",
    request_body = NotificationPreferences, security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = NotificationPreferences), (status = 422, body = ErrorBody),
        (status = 401, body = ErrorBody)))]
pub async fn save_preferences(
    State(state): State<AppState>,
    Customer(customer): Customer,
    ApiJson(input): ApiJson<NotificationPreferences>,
) -> Result<Json<NotificationPreferences>, ApiError> {
    Ok(Json(
        service::save_preferences(&state.db, customer, &input).await?,
    ))
}

/// The caller's webhook endpoints (secrets are not shown again).
#[utoipa::path(get, path = "/api/v1/webhooks", tag = "notifications",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = Vec<Webhook>), (status = 401, body = ErrorBody)))]
pub async fn webhooks(
    State(state): State<AppState>,
    Customer(customer): Customer,
) -> Result<Json<Vec<Webhook>>, ApiError> {
    Ok(Json(service::webhooks(&state.db, customer).await?))
}

/// Registers an endpoint (at most 5). Each message is POSTed as JSON with the headers
/// `Parcelport-Event-Id` (the same on every retry), `Parcelport-Timestamp` (Unix seconds) and
/// `Parcelport-Signature: v1=<hex HMAC-SHA256 of "{timestamp}.{body}" with the secret>`.
/// The secret is in this answer only.
#[utoipa::path(post, path = "/api/v1/webhooks", tag = "notifications", request_body = NewWebhook,
    security(("bearer" = []), ("session" = [])),
    responses((status = 201, body = CreatedWebhook), (status = 422, body = ErrorBody),
        (status = 401, body = ErrorBody)))]
pub async fn create_webhook(
    State(state): State<AppState>,
    Customer(customer): Customer,
    ApiJson(input): ApiJson<NewWebhook>,
) -> Result<(StatusCode, Json<CreatedWebhook>), ApiError> {
    let created = service::create_webhook(
        &state.db,
        customer,
        &input,
        state.settings.webhook_allow_private,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// Removes an endpoint; messages still waiting for it are not sent (another customer's: 404).
#[utoipa::path(delete, path = "/api/v1/webhooks/{id}", tag = "notifications",
    params(("id" = i64, Path, minimum = 1)), security(("bearer" = []), ("session" = [])),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete_webhook(
    State(state): State<AppState>,
    Customer(customer): Customer,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    service::delete_webhook(&state.db, customer, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The latest 50 messages sent to an endpoint, each with every attempt (time, HTTP status,
/// error) and its state: `pending` (retrying), `sent`, `failed` or `skipped`.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}/deliveries", tag = "notifications",
    params(("id" = i64, Path, minimum = 1)), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = Vec<WebhookDelivery>), (status = 404, body = ErrorBody)))]
pub async fn webhook_deliveries(
    State(state): State<AppState>,
    Customer(customer): Customer,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<WebhookDelivery>>, ApiError> {
    Ok(Json(
        service::webhook_deliveries(&state.db, customer, id, 50).await?,
    ))
}
