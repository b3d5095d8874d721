use app::accounts::callers::Customer;
use app::error::{AppError, FieldError, OrInternal};
use app::orders::{
    import, quote, shipments, BookingRequest, ImportPreview, ImportResult, QuoteRequest,
    QuoteResponse, Shipment, ShipmentPage, ShipmentQuery,
};
use app::platform::AppState;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::{ApiError, ApiJson, ApiPath, ApiQuery, ErrorBody};

/// Prices every service level for a shipment, with its itemised breakdown and promised window.
#[utoipa::path(post, path = "/api/v1/quotes", tag = "orders", request_body = QuoteRequest,
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, body = QuoteResponse),
        (status = 401, body = ErrorBody),
        (status = 422, description = "Fields named like `recipient.postcode`, `parcels[0].weight_g`", body = ErrorBody)))]
pub async fn quote(
    State(state): State<AppState>,
    Customer(customer): Customer,
    ApiJson(req): ApiJson<QuoteRequest>,
) -> Result<Json<QuoteResponse>, ApiError> {
    Ok(Json(quote::quote_for(&state.db, customer, &req).await?))
}

/// Books a shipment. Send a fresh `Idempotency-Key` per booking and the same key when retrying:
/// a retry never books twice. Each address is checked against its country's postcode format
/// and the gazetteer's cities, and a chosen window against the address's area (422 naming the
/// field).
#[utoipa::path(post, path = "/api/v1/shipments", tag = "orders", request_body = BookingRequest,
    params(("Idempotency-Key" = String, Header, description = "Unique per booking; reuse it to retry safely: visible ASCII characters",
        min_length = 1, max_length = 255, pattern = "^[!-~]+$")),
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 201, body = Shipment, description = "Booked; `Idempotent-Replayed: true` when the key had already booked it"),
        (status = 401, body = ErrorBody),
        (status = 409, description = "The first request with this key is still running (`request_in_progress`)", body = ErrorBody),
        (status = 422, description = "Invalid fields, or the key was used with a different body (`idempotency_key_reused`)", body = ErrorBody)))]
pub async fn book(
    State(state): State<AppState>,
    Customer(customer): Customer,
    headers: HeaderMap,
    ApiJson(req): ApiJson<BookingRequest>,
) -> Result<Response, ApiError> {
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let booked = shipments::book_once(&state.db, customer, key, &req).await?;
    let mut response = (StatusCode::CREATED, Json(booked.shipment)).into_response();
    if booked.replayed {
        response
            .headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(response)
}

/// The caller's shipments, newest first, filtered and paged with a cursor.
#[utoipa::path(get, path = "/api/v1/shipments", tag = "orders", params(ShipmentQuery),
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = ShipmentPage), (status = 401, body = ErrorBody),
        (status = 422, description = "A filter is malformed; the field is named", body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Customer(customer): Customer,
    ApiQuery(query): ApiQuery<ShipmentQuery>,
) -> Result<Json<ShipmentPage>, ApiError> {
    Ok(Json(shipments::list(&state.db, customer, &query).await?))
}

/// One of the caller's shipments with its price breakdown and events (another customer's: 404).
#[utoipa::path(get, path = "/api/v1/shipments/{tracking_number}", tag = "orders",
    params(("tracking_number" = inline(app::domain::TrackingNumber), Path)),
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = Shipment), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    Customer(customer): Customer,
    ApiPath(tracking_number): ApiPath<String>,
) -> Result<Json<Shipment>, ApiError> {
    Ok(Json(
        shipments::get(&state.db, customer, &tracking_number).await?,
    ))
}

/// Cancels a shipment that has not been picked up yet.
#[utoipa::path(post, path = "/api/v1/shipments/{tracking_number}/cancel", tag = "orders",
    params(("tracking_number" = inline(app::domain::TrackingNumber), Path)),
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = Shipment), (status = 404, body = ErrorBody),
        (status = 409, description = "Already picked up or ended (`not_cancellable`)", body = ErrorBody)))]
pub async fn cancel(
    State(state): State<AppState>,
    Customer(customer): Customer,
    ApiPath(tracking_number): ApiPath<String>,
) -> Result<Json<Shipment>, ApiError> {
    Ok(Json(
        shipments::cancel(&state.db, customer, &tracking_number).await?,
    ))
}

/// The shipping label: A6, one page per parcel, with a Code 128 barcode and a QR code.
#[utoipa::path(get, path = "/api/v1/shipments/{tracking_number}/label.pdf", tag = "orders",
    params(("tracking_number" = inline(app::domain::TrackingNumber), Path)),
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, content_type = "application/pdf", description = "The label"),
        (status = 404, body = ErrorBody),
        (status = 409, description = "The shipment was cancelled", body = ErrorBody)))]
pub async fn label(
    State(state): State<AppState>,
    Customer(customer): Customer,
    ApiPath(tracking_number): ApiPath<String>,
) -> Result<Response, ApiError> {
    let pdf = shipments::label(
        &state.db,
        customer,
        &tracking_number,
        &state.settings.public_url,
    )
    .await?;
    let filename = format!(
        "inline; filename=\"label-{}.pdf\"",
        tracking_number
            .trim()
            .to_ascii_uppercase()
            .replace(|c: char| !c.is_ascii_alphanumeric(), "")
    );
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/pdf"),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&filename).or_internal("the label's filename as a header")?,
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, no-store"),
            ),
        ],
        pdf,
    )
        .into_response())
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportParams {
    /// Check and price the rows without booking anything.
    #[serde(default)]
    pub dry_run: bool,
}

/// Books shipments from a CSV file (columns as in the template; UTF-8 with or without BOM, or
/// GBK; at most 10,000 rows). Valid rows are booked, each on its own; invalid rows are
/// reported by line and column and not booked. With an `Idempotency-Key`, sending the same
/// file again books no row twice.
#[utoipa::path(post, path = "/api/v1/shipments/import", tag = "orders",
    params(ImportParams, ("Idempotency-Key" = Option<String>, Header, description = "Makes a resend safe")),
    request_body(content = String, content_type = "text/csv"),
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, body = ImportResult, description = "Per-row results (with `dry_run`: an ImportPreview)"),
        (status = 401, body = ErrorBody),
        (status = 422, description = "The file as a whole is unusable: `file` (encoding, empty, too many rows) and `columns.<name>` for missing columns", body = ErrorBody)))]
pub async fn import_csv(
    State(state): State<AppState>,
    Customer(customer): Customer,
    headers: HeaderMap,
    ApiQuery(params): ApiQuery<ImportParams>,
    body: Result<axum::body::Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = body.map_err(|rejection| match rejection.status() {
        StatusCode::PAYLOAD_TOO_LARGE => AppError::PayloadTooLarge,
        _ => AppError::field("file", FieldError::FileUnreadable),
    })?;
    let locale = app::i18n::locale_from_headers(&headers);
    if params.dry_run {
        let tier = app::accounts::store::tier(&state.db.pool, customer).await?;
        let preview: ImportPreview = import::preview(&body, tier.as_str(), locale)?;
        return Ok(Json(preview).into_response());
    }
    let key = match headers.get("idempotency-key").and_then(|v| v.to_str().ok()) {
        Some(k) if !k.trim().is_empty() => format!("import:{}", k.trim()),
        _ => format!("import:{}", app::accounts::service::random_token()),
    };
    let result = import::import(&state.db, customer, &body, &key, locale).await?;
    Ok(Json(result).into_response())
}

/// The CSV template: every column and one example row.
#[utoipa::path(get, path = "/api/v1/shipments/import/template.csv", tag = "orders",
    responses((status = 200, content_type = "text/csv", description = "UTF-8 with BOM")))]
pub async fn import_template() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"parcelport-shipments.csv\"",
            ),
        ],
        import::template(),
    )
        .into_response()
}
