//! The versioned REST API (`/api/v1`), `/healthz` and `/readyz`. Handlers parse, call the same
//! service functions as the pages, and answer JSON; every error has one shape:
//! `{"error": {"code": "...", "message": "...", "fields": {"<field>": "<message>"}}}`.

mod accounts;
mod addresses;
mod complaints;
mod crm;
mod health;
mod notifications;
mod orders;
mod ratings;
mod returns;
mod slots;
mod tracking;

use std::collections::BTreeMap;

use app::error::{AppError, FieldError, FieldErrors};
use app::i18n::{locale_from_headers, Locale};
use app::platform::AppState;
use axum::extract::rejection::JsonRejection;
use axum::extract::DefaultBodyLimit;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use axum::{Json, Router};
use serde::Serialize;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Parcelport API",
        version = "1",
        description = "Book, track and manage parcels. Authenticate with a bearer token from \
                       `POST /api/v1/tokens`. Errors share one shape (ErrorBody)."
    ),
    modifiers(&SecuritySchemes),
    components(schemas(ErrorBody, ErrorDetail, app::tracking::PublicShipment))
)]
struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new("pp_session"))),
        );
    }
}

/// What one request may send (413 beyond). JSON is small; a CSV import, photos and a carrier's
/// batch of scans have their own limits.
pub mod limits {
    pub const JSON: usize = 256 * 1024;
    /// A CSV of `import::MAX_BYTES`, with room for the form around it.
    pub const CSV_IMPORT: usize = app::orders::import::MAX_BYTES + 64 * 1024;
    /// A few photos of `upload::MAX_BYTES` in one multipart body.
    pub const PHOTOS: usize = app::domain::upload::MAX_BYTES + 1024 * 1024;
    /// 1,000 scans or positions.
    pub const CARRIER_BATCH: usize = 1024 * 1024;
    /// Server functions: JSON or form fields, and the two that carry a CSV or a photo
    /// (base64-encoded, a third larger).
    pub const RPC: usize = JSON;
    pub const RPC_FILE: usize = {
        let (csv, photo) = (
            app::orders::import::MAX_BYTES,
            app::domain::upload::MAX_BYTES,
        );
        (if csv > photo { csv } else { photo }) * 4 / 3 + 64 * 1024
    };
}

/// The API routes with their OpenAPI document, which is built from the same route list and so
/// cannot forget one.
pub fn router(state: AppState) -> Router<AppState> {
    let (router, doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(health::healthz))
        .routes(routes!(health::readyz))
        .routes(routes!(accounts::sign_up))
        .routes(routes!(accounts::create_token, accounts::list_tokens))
        .routes(routes!(accounts::revoke_token))
        .routes(routes!(accounts::me))
        .routes(routes!(crm::list_customers))
        .routes(routes!(crm::customer))
        .routes(routes!(crm::add_note))
        .routes(routes!(crm::set_account_manager))
        .routes(routes!(crm::segments_overview))
        .routes(routes!(crm::recompute))
        .routes(routes!(crm::retention))
        .routes(routes!(crm::outreach))
        .routes(routes!(crm::kpis))
        .routes(routes!(crm::kpi_items))
        .routes(routes!(addresses::list, addresses::create))
        .routes(routes!(addresses::update, addresses::delete))
        .routes(routes!(orders::quote))
        .routes(routes!(orders::book, orders::list))
        .routes(routes!(orders::get))
        .routes(routes!(orders::cancel))
        .routes(routes!(orders::label))
        .routes(routes!(orders::import_template))
        .routes(routes!(slots::list))
        .routes(routes!(slots::choose))
        .routes(routes!(slots::templates, slots::create_template))
        .routes(routes!(slots::update_template))
        .routes(routes!(slots::update_slot))
        .routes(routes!(notifications::list))
        .routes(routes!(notifications::read_all))
        .routes(routes!(
            notifications::preferences,
            notifications::save_preferences
        ))
        .routes(routes!(
            notifications::webhooks,
            notifications::create_webhook
        ))
        .routes(routes!(notifications::delete_webhook))
        .routes(routes!(notifications::webhook_deliveries))
        .routes(routes!(returns::create))
        .routes(routes!(returns::list))
        .routes(routes!(returns::get))
        .routes(routes!(returns::label))
        .routes(routes!(returns::photo))
        .routes(routes!(returns::decide))
        .routes(routes!(returns::refund))
        .routes(routes!(ratings::get, ratings::put))
        .routes(routes!(complaints::create, complaints::list))
        .routes(routes!(complaints::get))
        .routes(routes!(complaints::message))
        .routes(routes!(complaints::confirm))
        .routes(routes!(complaints::reopen))
        .routes(routes!(complaints::assign))
        .routes(routes!(complaints::resolve))
        .routes(routes!(complaints::attachment))
        .routes(routes!(tracking::track))
        .routes(routes!(tracking::stream))
        // Bodies larger than JSON, each with its own limit (the router's is for JSON).
        .merge(
            OpenApiRouter::new()
                .routes(routes!(orders::import_csv))
                .layer(DefaultBodyLimit::max(limits::CSV_IMPORT)),
        )
        .merge(
            OpenApiRouter::new()
                .routes(routes!(returns::add_photos))
                .routes(routes!(complaints::attach))
                .layer(DefaultBodyLimit::max(limits::PHOTOS)),
        )
        .merge(
            OpenApiRouter::new()
                .routes(routes!(tracking::carrier_events))
                .routes(routes!(tracking::carrier_positions))
                .layer(DefaultBodyLimit::max(limits::CARRIER_BATCH)),
        )
        .split_for_parts();
    let doc = std::sync::Arc::new(doc);
    router
        .route(
            "/api/v1/openapi.json",
            get(move || {
                let doc = doc.clone();
                async move { Json(doc.as_ref().clone()) }
            }),
        )
        .route(
            "/api/{*rest}",
            any(|| async { ApiError(AppError::NotFound) }),
        )
        .layer(axum::middleware::from_fn(localise_errors))
        .layer(DefaultBodyLimit::max(limits::JSON))
        .with_state::<AppState>(state.clone())
        .with_state(state)
}

/// `{"error": {...}}`
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable, machine-readable: `validation_failed`, `conflict`, `unauthenticated`, ...
    pub code: String,
    /// For people, in the language of `Accept-Language` (English or Simplified Chinese).
    pub message: String,
    /// Field name -> what is wrong with it; empty when the error is not about fields.
    pub fields: BTreeMap<String, String>,
}

/// An error on its way out of the API.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        ApiError(e)
    }
}

pub fn error_response(err: &AppError, locale: Locale) -> Response {
    let body = ErrorBody {
        error: ErrorDetail {
            code: err.code().to_string(),
            message: err.message(locale),
            fields: err.field_messages(locale),
        },
    };
    let mut response = (err.status(), Json(body)).into_response();
    if let AppError::RateLimited { retry_after_secs } = err {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
    }
    response.headers_mut().insert(
        header::CONTENT_LANGUAGE,
        HeaderValue::from_static(locale.tag()),
    );
    response.extensions_mut().insert(err.clone());
    response
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        error_response(&self.0, Locale::En)
    }
}

/// Re-renders an error's message in the caller's language; handlers need not know it.
async fn localise_errors(request: Request, next: Next) -> Response {
    let locale = locale_from_headers(request.headers());
    let response = next.run(request).await;
    match response.extensions().get::<AppError>() {
        Some(err) if locale != Locale::En => error_response(&err.clone(), locale),
        _ => response,
    }
}

/// The caller's address: the socket peer, or `X-Forwarded-For` when `TRUST_PROXY` is set.
pub struct ClientIp(pub std::net::IpAddr);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let trust_proxy = state.settings.trust_proxy;
        Ok(ClientIp(app::platform::request::client_ip(
            parts,
            trust_proxy,
        )))
    }
}

/// `Json` whose rejections are API errors: malformed JSON is 400, the wrong shape 422 with the
/// field named, a missing content type 415; never a 500.
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    Json<T>: FromRequest<S, Rejection = JsonRejection>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(ApiError(json_rejection(&rejection))),
        }
    }
}

/// `Query` whose rejections are API errors naming the parameter (422), never plain text.
pub struct ApiQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(ApiQuery(value)),
            Err(rejection) => {
                let detail = rejection.body_text();
                let fields = blamed_field(
                    detail
                        .strip_prefix("Failed to deserialize query string: ")
                        .unwrap_or(&detail),
                );
                Err(ApiError(AppError::InvalidBody { detail, fields }))
            }
        }
    }
}

fn json_rejection(rejection: &JsonRejection) -> AppError {
    match rejection {
        JsonRejection::JsonDataError(e) => {
            let detail = e.body_text();
            AppError::InvalidBody {
                fields: blamed_field(&detail),
                detail,
            }
        }
        JsonRejection::MissingJsonContentType(_) => AppError::UnsupportedMediaType,
        JsonRejection::BytesRejection(_) if rejection.status() == 413 => AppError::PayloadTooLarge,
        other => AppError::BadRequest(other.body_text()),
    }
}

/// Finds the field serde complained about ("missing field `email`", or "email: invalid type").
fn blamed_field(detail: &str) -> FieldErrors {
    let detail = detail
        .strip_prefix("Failed to deserialize the JSON body into the target type: ")
        .unwrap_or(detail);
    if let Some(rest) = detail.split("missing field `").nth(1) {
        if let Some((name, _)) = rest.split_once('`') {
            return FieldErrors::from([(name.to_string(), FieldError::Required)]);
        }
    }
    match detail.split_once(": ") {
        Some((path, _))
            if !path.is_empty()
                && path
                    .chars()
                    .all(|c| c.is_alphanumeric() || "_.[]".contains(c)) =>
        {
            FieldErrors::from([(path.to_string(), FieldError::Invalid)])
        }
        _ => FieldErrors::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blames_the_field_serde_names() {
        let f = blamed_field("Failed to deserialize the JSON body into the target type: missing field `email` at line 1 column 2");
        assert_eq!(f.get("email"), Some(&FieldError::Required));
        let f = blamed_field(
            "password: invalid type: integer `5`, expected a string at line 1 column 14",
        );
        assert_eq!(f.get("password"), Some(&FieldError::Invalid));
        assert!(blamed_field("trailing characters at line 1 column 3").is_empty());
    }
}
