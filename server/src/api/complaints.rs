use app::accounts::callers::{Caller, Customer};
use app::accounts::service::Party;
use app::complaints::service;
use app::complaints::{Complaint, ComplaintSummary, ConfirmInput, MessageInput, NewComplaint};
use app::error::{AppError, FieldError};
use app::platform::{now_ms, AppState};
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;

use super::returns::{files, private_file};
use super::{ApiError, ApiJson, ApiPath, ErrorBody};

/// `POST /api/v1/complaints/{id}/resolve`
#[derive(serde::Deserialize, utoipa::ToSchema)]
pub struct ResolveInput {
    /// The resolution, as the customer will read it.
    #[schema(value_type = app::complaints::ComplaintText)]
    pub note: String,
}

/// `POST /api/v1/complaints/{id}/reopen`
#[derive(serde::Deserialize, utoipa::ToSchema)]
pub struct ReopenInput {
    /// Why the resolution does not settle it.
    #[schema(value_type = app::complaints::ComplaintText)]
    pub reason: String,
}

/// Files a complaint, about one of the caller's shipments (another's: 404) or none. Priority
/// and the first-response and resolution due times come from the customer's tier. At most
/// `COMPLAINTS_PER_DAY` per customer a day (UTC): 429 with `Retry-After` beyond.
#[utoipa::path(post, path = "/api/v1/complaints", tag = "complaints", request_body = NewComplaint,
    security(("bearer" = []), ("session" = [])),
    responses((status = 201, body = Complaint), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    Customer(customer): Customer,
    ApiJson(input): ApiJson<NewComplaint>,
) -> Result<(StatusCode, Json<Complaint>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(service::create(&state.db, &state.settings, customer, &input).await?),
    ))
}

/// The caller's complaints, newest first; for care agents, the queue of complaints waiting on
/// the care team, by due time (overdue first).
#[utoipa::path(get, path = "/api/v1/complaints", tag = "complaints",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = Vec<ComplaintSummary>), (status = 401, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Caller(caller): Caller,
) -> Result<Json<Vec<ComplaintSummary>>, ApiError> {
    Ok(Json(match caller {
        Party::Customer(c) => service::list(&state.db, Some(c), None).await?,
        Party::Staff(me) => service::list(&state.db, None, Some(me.id)).await?,
    }))
}

/// One complaint with its thread (another customer's: 404).
#[utoipa::path(get, path = "/api/v1/complaints/{id}", tag = "complaints",
    params(("id" = i64, Path, minimum = 1)), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = Complaint), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Complaint>, ApiError> {
    Ok(Json(service::get(&state.db, &caller, id).await?))
}

/// A message in the thread, from the customer or an agent. An agent's first message is the
/// first response and takes an open complaint into `in_progress`.
#[utoipa::path(post, path = "/api/v1/complaints/{id}/messages", tag = "complaints",
    params(("id" = i64, Path, minimum = 1)), request_body = MessageInput,
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = Complaint), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn message(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<MessageInput>,
) -> Result<Json<Complaint>, ApiError> {
    Ok(Json(
        service::message(&state.db, &caller, id, &input.body, now_ms()).await?,
    ))
}

/// The customer accepts the resolution (`closed`), optionally answering the follow-up question
/// (`satisfaction`, 1-5); after an automatic close, records only that answer.
#[utoipa::path(post, path = "/api/v1/complaints/{id}/confirm", tag = "complaints",
    params(("id" = i64, Path, minimum = 1)), request_body = ConfirmInput,
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = Complaint), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn confirm(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<ConfirmInput>,
) -> Result<Json<Complaint>, ApiError> {
    Ok(Json(
        service::confirm(&state.db, &caller, id, input.satisfaction, now_ms()).await?,
    ))
}

/// The customer reopens a resolved complaint, saying why.
#[utoipa::path(post, path = "/api/v1/complaints/{id}/reopen", tag = "complaints",
    params(("id" = i64, Path, minimum = 1)), request_body = ReopenInput,
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = Complaint), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn reopen(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<ReopenInput>,
) -> Result<Json<Complaint>, ApiError> {
    Ok(Json(
        service::reopen(&state.db, &caller, id, &input.reason, now_ms()).await?,
    ))
}

/// Agents: take the complaint (assigned to the caller, `in_progress`).
#[utoipa::path(post, path = "/api/v1/complaints/{id}/assign", tag = "complaints",
    params(("id" = i64, Path, minimum = 1)), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = Complaint), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn assign(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Complaint>, ApiError> {
    Ok(Json(
        service::assign(&state.db, &caller, id, now_ms()).await?,
    ))
}

/// Agents: resolve with a note; the customer then confirms or reopens, and silence closes it
/// after 7 days.
#[utoipa::path(post, path = "/api/v1/complaints/{id}/resolve", tag = "complaints",
    params(("id" = i64, Path, minimum = 1)), request_body = ResolveInput,
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = Complaint), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn resolve(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<ResolveInput>,
) -> Result<Json<Complaint>, ApiError> {
    Ok(Json(
        service::resolve(&state.db, &caller, id, &input.note, now_ms()).await?,
    ))
}

/// Adds attachments (multipart, one image per part; JPEG, PNG or WebP, at most 10 MB, five per
/// complaint; the type is read from the bytes).
#[utoipa::path(post, path = "/api/v1/complaints/{id}/attachments", tag = "complaints",
    params(("id" = i64, Path, minimum = 1)), security(("bearer" = []), ("session" = [])),
    request_body(content_type = "multipart/form-data", description = "One or more images"),
    responses((status = 200, body = Complaint), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn attach(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<i64>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Json<Complaint>, ApiError> {
    let mut last = None;
    for bytes in files(multipart, "attachment").await? {
        last = Some(service::attach(&state.db, &state.settings, &caller, id, &bytes).await?);
    }
    match last {
        Some(c) => Ok(Json(c)),
        None => Err(AppError::field("attachment", FieldError::FileEmpty).into()),
    }
}

/// One attachment, to the complaint's customer and staff only.
#[utoipa::path(get, path = "/api/v1/complaints/{id}/attachments/{attachment_id}",
    tag = "complaints",
    params(("id" = i64, Path, minimum = 1), ("attachment_id" = i64, Path, minimum = 1)),
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, description = "The image"), (status = 404, body = ErrorBody)))]
pub async fn attachment(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath((id, attachment_id)): ApiPath<(i64, i64)>,
) -> Result<Response, ApiError> {
    let (content_type, bytes) =
        service::attachment(&state.db, &state.settings, &caller, id, attachment_id).await?;
    Ok(private_file(&content_type, "inline", bytes))
}
