use app::accounts::callers::{Caller, Staff};
use app::accounts::service::Party;
use app::error::{AppError, FieldError};
use app::platform::AppState;
use app::returns::service;
use app::returns::{
    RefundInput, Return, ReturnDecision, ReturnLink, ReturnOptions, ReturnRequest, ReturnSummary,
};
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::{ApiError, ApiJson, ApiPath, ApiQuery, ErrorBody};

/// Query parameters of a signed link (`exp`, `sig`), for callers without a session. With `sig`
/// the link alone authorises the request: it must be the one the server gave, with its `exp`
/// and not yet expired (422 naming `link` otherwise).
#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LinkParams {
    /// Expiry of the signed link (Unix milliseconds).
    pub exp: Option<i64>,
    /// Signature of the signed link.
    // links::SIGNATURE_PATTERN
    #[param(pattern = "^[0-9A-Fa-f]{64}$")]
    pub sig: Option<String>,
}

impl From<LinkParams> for ReturnLink {
    fn from(p: LinkParams) -> Self {
        ReturnLink {
            exp: p.exp,
            sig: p.sig,
        }
    }
}

/// What a return of a delivered shipment may choose from: the items (each saying whether it is
/// already in a return), the window's end, and how it goes back: the pickup windows at the
/// recipient's address (`slots`) or the area's drop-off points. Authorised like the request:
/// the shipper signed in (another customer's shipment: 404), or the recipient's signed link.
#[utoipa::path(get, path = "/api/v1/shipments/{tracking_number}/return-options", tag = "returns",
    params(("tracking_number" = inline(app::domain::TrackingNumber), Path), LinkParams),
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = ReturnOptions,
            description = "`delivered_at` and `window_ends_at` are null until it is delivered"),
        (status = 404, body = ErrorBody),
        (status = 422, description = "The link is expired or not valid (`link`)", body = ErrorBody)))]
pub async fn options(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(tracking_number): ApiPath<String>,
    ApiQuery(link): ApiQuery<LinkParams>,
) -> Result<Json<ReturnOptions>, ApiError> {
    let who = service::requester(&state.db, &headers, &tracking_number, &link.into()).await?;
    Ok(Json(
        service::options(
            &state.db,
            &who,
            &tracking_number,
            state.settings.return_window_days,
        )
        .await?,
    ))
}

/// Requests a return of a delivered shipment (within the return window, 30 days by default):
/// the shipper signed in, or the recipient with the signed link the tracking page gives after
/// the postcode proof. The items are the shipment's parcels by index; an item can be in one
/// return only (409 `already_returned`).
#[utoipa::path(post, path = "/api/v1/shipments/{tracking_number}/returns", tag = "returns",
    params(("tracking_number" = inline(app::domain::TrackingNumber), Path), LinkParams),
    request_body = ReturnRequest,
    security(("bearer" = []), ("session" = [])),
    responses((status = 201, body = Return), (status = 404, body = ErrorBody),
        (status = 409, description = "Not delivered, window closed or items already in a return",
            body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(tracking_number): ApiPath<String>,
    ApiQuery(link): ApiQuery<LinkParams>,
    ApiJson(input): ApiJson<ReturnRequest>,
) -> Result<(StatusCode, Json<Return>), ApiError> {
    let who = service::requester(&state.db, &headers, &tracking_number, &link.into()).await?;
    let r = service::create(
        &state.db,
        &who,
        &tracking_number,
        &input,
        state.settings.return_window_days,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(r)))
}

/// The caller's returns, newest first; for care agents, the queue of returns waiting for a
/// decision or a refund, the most overdue first.
#[utoipa::path(get, path = "/api/v1/returns", tag = "returns",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = Vec<ReturnSummary>), (status = 401, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Caller(caller): Caller,
) -> Result<Json<Vec<ReturnSummary>>, ApiError> {
    let customer = match caller {
        Party::Customer(c) => Some(c),
        Party::Staff(_) => None,
    };
    Ok(Json(service::list(&state.db, customer).await?))
}

/// One return with its steps, items, photos and refund (another customer's: 404).
#[utoipa::path(get, path = "/api/v1/returns/{id}", tag = "returns",
    params(("id" = i64, Path, minimum = 1), LinkParams),
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = Return), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(link): ApiQuery<LinkParams>,
) -> Result<Json<Return>, ApiError> {
    let caller = service::caller(&state.db, &headers, id, &link.into()).await?;
    Ok(Json(service::get(&state.db, &caller, id).await?))
}

/// The return label (A6 PDF) of the return shipment, its QR code opening its tracking page;
/// 409 until the return is approved.
#[utoipa::path(get, path = "/api/v1/returns/{id}/label.pdf", tag = "returns",
    params(("id" = i64, Path, minimum = 1), LinkParams),
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, content_type = "application/pdf", description = "The label"),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn label(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(link): ApiQuery<LinkParams>,
) -> Result<Response, ApiError> {
    let caller = service::caller(&state.db, &headers, id, &link.into()).await?;
    let pdf = service::label(&state.db, &state.settings, &caller, id).await?;
    Ok(private_file(
        "application/pdf",
        &format!("inline; filename=\"return-{id}.pdf\""),
        pdf,
    ))
}

/// Adds photos (multipart, any field name, one file per part): JPEG, PNG or WebP, each at most
/// 10 MB, five per return. The type is read from the bytes: a renamed executable is refused.
#[utoipa::path(post, path = "/api/v1/returns/{id}/photos", tag = "returns",
    params(("id" = i64, Path, minimum = 1), LinkParams),
    security(("bearer" = []), ("session" = [])),
    request_body(content_type = "multipart/form-data", description = "One or more images"),
    responses((status = 200, body = Return), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn add_photos(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(link): ApiQuery<LinkParams>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Json<Return>, ApiError> {
    let caller = service::caller(&state.db, &headers, id, &link.into()).await?;
    let mut last = None;
    for bytes in files(multipart, "photo").await? {
        last = Some(service::add_photo(&state.db, &state.settings, &caller, id, &bytes).await?);
    }
    match last {
        Some(r) => Ok(Json(r)),
        None => Err(AppError::field("photo", FieldError::FileEmpty).into()),
    }
}

/// One photo, to the return's owner and staff only.
#[utoipa::path(get, path = "/api/v1/returns/{id}/photos/{photo_id}", tag = "returns",
    params(("id" = i64, Path, minimum = 1), ("photo_id" = i64, Path, minimum = 1), LinkParams),
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, description = "The image"), (status = 404, body = ErrorBody)))]
pub async fn photo(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath((id, photo_id)): ApiPath<(i64, i64)>,
    ApiQuery(link): ApiQuery<LinkParams>,
) -> Result<Response, ApiError> {
    let caller = service::caller(&state.db, &headers, id, &link.into()).await?;
    let (content_type, bytes) =
        service::photo(&state.db, &state.settings, &caller, id, photo_id).await?;
    Ok(private_file(&content_type, "inline", bytes))
}

/// Agents: approve (the return shipment is booked and its label issued) or reject with a note.
#[utoipa::path(post, path = "/api/v1/returns/{id}/decision", tag = "returns",
    params(("id" = i64, Path, minimum = 1)), request_body = ReturnDecision,
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = Return), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn decide(
    State(state): State<AppState>,
    Staff(agent): Staff,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<ReturnDecision>,
) -> Result<Json<Return>, ApiError> {
    Ok(Json(service::decide(&state.db, &agent, id, &input).await?))
}

/// Agents, once the parcel is back: refund the items' declared value, or close without one.
#[utoipa::path(post, path = "/api/v1/returns/{id}/refund", tag = "returns",
    params(("id" = i64, Path, minimum = 1)), request_body = RefundInput,
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = Return), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn refund(
    State(state): State<AppState>,
    Staff(agent): Staff,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<RefundInput>,
) -> Result<Json<Return>, ApiError> {
    Ok(Json(service::refund(&state.db, &agent, id, &input).await?))
}

/// The files of a multipart body; an unreadable body (or one that is not multipart at all) is
/// refused naming `field`.
pub async fn files(
    multipart: Result<Multipart, MultipartRejection>,
    field: &str,
) -> Result<Vec<Vec<u8>>, ApiError> {
    let unreadable = || ApiError(AppError::field(field, FieldError::FileUnreadable));
    let mut multipart = multipart.map_err(|_| unreadable())?;
    let mut out = Vec::new();
    while let Some(part) = multipart.next_field().await.map_err(|_| unreadable())? {
        out.push(part.bytes().await.map_err(|_| unreadable())?.to_vec());
    }
    Ok(out)
}

/// A file only its owner may read: never cached by shared caches, never sniffed as another
/// type by the browser.
pub fn private_file(content_type: &str, disposition: &str, bytes: Vec<u8>) -> Response {
    let value = |v: &str| HeaderValue::from_str(v).unwrap_or(HeaderValue::from_static("inline"));
    (
        [
            (header::CONTENT_TYPE, value(content_type)),
            (header::CONTENT_DISPOSITION, value(disposition)),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, no-store"),
            ),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
        ],
        bytes,
    )
        .into_response()
}
