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

use std::sync::OnceLock;

pub use app::error::{error_response, ErrorBody, ErrorDetail};
use app::error::{AppError, FieldError, FieldErrors};
use app::i18n::{locale_from_headers, Locale};
use app::platform::AppState;
use axum::body::{Body, Bytes};
use axum::extract::rejection::JsonRejection;
use axum::extract::DefaultBodyLimit;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::{Json, Router};
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Content, Header, Object, PathItem, Ref, RefOr, ResponseBuilder, Type};
use utoipa::{Modify, OpenApi};
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
    // `ShipmentSort` is named only by a query parameter, whose types utoipa does not collect.
    components(schemas(
        ErrorBody,
        ErrorDetail,
        app::tracking::PublicShipment,
        app::orders::ShipmentSort
    ))
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

/// The errors an operation can give besides its own, each in the one error shape: written once
/// here and added where they can happen (a 415 only where a JSON body is read, a 401 only
/// behind a security requirement). What a handler documents itself is kept. A 429 is
/// documented by the handlers that are rate limited, each naming its limit.
struct StandardErrors;

impl Modify for StandardErrors {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            let PathItem {
                get,
                put,
                post,
                delete,
                patch,
                ..
            } = item;
            for (writes, operation) in [
                (false, get),
                (true, put),
                (true, post),
                (true, delete),
                (true, patch),
            ] {
                if let Some(operation) = operation.as_mut() {
                    add_standard_errors(path, operation, writes);
                }
            }
        }
    }
}

fn add_standard_errors(path: &str, operation: &mut Operation, writes: bool) {
    let in_path = path.contains('{');
    let in_query = operation
        .parameters
        .iter()
        .flatten()
        .any(|p| p.parameter_in == ParameterIn::Query);
    let body = operation.request_body.as_ref();
    let json_body = body.is_some_and(|b| {
        b.content
            .keys()
            .any(|content_type| content_type.starts_with("application/json"))
    });
    let has_body = body.is_some();
    let secured = operation.security.as_ref().is_some_and(|s| !s.is_empty());
    let mut add = |status: &str, description: &str, retry: bool| {
        operation
            .responses
            .responses
            .entry(status.to_string())
            .or_insert_with(|| documented_error(description, retry));
    };
    if json_body {
        add(
            "400",
            "The body is not well-formed JSON (`bad_request`)",
            false,
        );
        add(
            "415",
            "The body is not sent as JSON (`unsupported_media_type`)",
            false,
        );
    }
    if has_body {
        add(
            "413",
            "The body is over this route's limit (`payload_too_large`)",
            false,
        );
    }
    if has_body || in_query {
        add(
            "422",
            "A field or parameter is missing or invalid, named in `fields` \
             (`validation_failed`, `invalid_body`)",
            false,
        );
    }
    if secured {
        add(
            "401",
            "No valid bearer token or session (`unauthenticated`)",
            false,
        );
    }
    if secured || writes {
        add(
            "403",
            "Not for the caller's role, or a write sent from another site (`forbidden`, \
             `cross_origin`)",
            false,
        );
    }
    if in_path {
        add(
            "404",
            "Nothing of the caller's by that name or number (`not_found`)",
            false,
        );
    }
    // Every request but the live stream is answered within the time limit.
    if !path.ends_with("/stream") {
        add(
            "503",
            "Timed out, or the database is out of reach (`unavailable`); retry after \
             `Retry-After` seconds",
            true,
        );
    }
}

/// A response in the error shape (`ErrorBody`), with `Retry-After` when it says when to retry.
fn documented_error(description: &str, retry: bool) -> RefOr<utoipa::openapi::Response> {
    let mut response = ResponseBuilder::new().description(description).content(
        "application/json",
        Content::new(Some(Ref::from_schema_name("ErrorBody"))),
    );
    if retry {
        response = response.header("Retry-After", Header::new(Object::with_type(Type::Integer)));
    }
    response.into()
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
    /// The server functions that carry a file (a CSV or its rows, a photo): `RPC_FILE`.
    pub const RPC_CARRYING_FILES: [&str; 4] = [
        <app::orders::PreviewImport as leptos::server_fn::ServerFn>::PATH,
        <app::orders::BookImportRows as leptos::server_fn::ServerFn>::PATH,
        <app::returns::AddReturnPhoto as leptos::server_fn::ServerFn>::PATH,
        <app::complaints::AttachToComplaint as leptos::server_fn::ServerFn>::PATH,
    ];

    /// The body limit of the server function at `path`.
    pub fn for_rpc(path: &str) -> usize {
        if RPC_CARRYING_FILES.contains(&path) {
            RPC_FILE
        } else {
            RPC
        }
    }
}

/// Every route of the API, `/healthz` and `/readyz`, each with its entry in the document: the
/// one list both are built from, so the document cannot forget a route.
fn openapi_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(health::healthz))
        .routes(routes!(health::readyz))
        .routes(routes!(openapi_json))
        .routes(routes!(accounts::sign_up))
        .routes(routes!(accounts::create_token, accounts::list_tokens))
        .routes(routes!(accounts::revoke_token))
        .routes(routes!(accounts::me, accounts::update_profile))
        .routes(routes!(accounts::change_password))
        .routes(routes!(crm::my_account_manager))
        .routes(routes!(accounts::list_sessions))
        .routes(routes!(accounts::end_session))
        .routes(routes!(crm::list_customers))
        .routes(routes!(crm::overview))
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
        .routes(routes!(slots::for_booking))
        .routes(routes!(slots::choose))
        .routes(routes!(slots::for_shipment))
        .routes(routes!(slots::templates, slots::create_template))
        .routes(routes!(slots::update_template))
        .routes(routes!(slots::template_slots))
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
        .routes(routes!(returns::options))
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
        .routes(routes!(tracking::track_many))
        .routes(routes!(tracking::track))
        .routes(routes!(tracking::change_delivery))
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
}

/// The OpenAPI document as served: built once, from the same route list as the router.
pub fn openapi() -> &'static utoipa::openapi::OpenApi {
    static DOCUMENT: OnceLock<utoipa::openapi::OpenApi> = OnceLock::new();
    DOCUMENT.get_or_init(|| {
        let (_, mut document) = openapi_router().split_for_parts();
        StandardErrors.modify(&mut document);
        document
    })
}

/// Every route the API router mounts besides its fallback, as (method, path) with the method
/// in capitals and the path as written in the document (`/api/v1/addresses/{id}`).
pub fn api_routes() -> Vec<(String, String)> {
    let (_, document) = openapi_router().split_for_parts();
    let mut routes = Vec::new();
    for (path, item) in &document.paths.paths {
        for (method, operation) in [
            ("GET", &item.get),
            ("PUT", &item.put),
            ("POST", &item.post),
            ("DELETE", &item.delete),
            ("PATCH", &item.patch),
            ("HEAD", &item.head),
            ("OPTIONS", &item.options),
            ("TRACE", &item.trace),
        ] {
            if operation.is_some() {
                routes.push((method.to_string(), path.clone()));
            }
        }
    }
    routes
}

/// This document (OpenAPI 3.1): every route the server mounts under `/api`, with `/healthz`
/// and `/readyz`.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "service",
    responses((status = 200, content_type = "application/json", description = "The document")))]
pub async fn openapi_json() -> Json<&'static utoipa::openapi::OpenApi> {
    Json(openapi())
}

/// The API routes, and a JSON 404 (`no_such_route`) for any other path under `/api`: nothing
/// else is mounted there, so every route is in the document.
pub fn router(state: AppState) -> Router<AppState> {
    let (router, _) = openapi_router().split_for_parts();
    router
        .route(
            "/api/{*rest}",
            any(|| async { ApiError(AppError::NoSuchRoute) }),
        )
        .layer(axum::middleware::from_fn(localise_errors))
        .layer(DefaultBodyLimit::max(limits::JSON))
        .with_state::<AppState>(state.clone())
        .with_state(state)
}

/// An error on its way out of the API.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        ApiError(e)
    }
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
/// field named, a missing content type 415; never a 500. Every body the API reads is a JSON
/// object, as the document says: serde would also fill a struct from an array of its fields
/// in order, which is refused (422).
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    Json<T>: FromRequest<S, Rejection = JsonRejection>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (parts, body) = req.into_parts();
        let bytes = Bytes::from_request(Request::from_parts(parts.clone(), body), state)
            .await
            .map_err(|rejection| {
                ApiError(if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    AppError::PayloadTooLarge
                } else {
                    AppError::BadRequest(rejection.body_text())
                })
            })?;
        let array = bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[');
        // JSON has one kind of number: `1.0` is the integer 1 to any client and to the
        // document's `integer`, while serde refuses it for an integer field.
        let bytes = match serde_json::from_slice::<serde_json::Value>(&bytes) {
            Ok(mut value) => {
                if whole_floats_as_integers(&mut value) {
                    serde_json::to_vec(&value).map_or(bytes, Bytes::from)
                } else {
                    bytes
                }
            }
            Err(_) => bytes,
        };
        let req = Request::from_parts(parts, Body::from(bytes));
        match Json::<T>::from_request(req, state).await {
            Ok(Json(_)) if array => Err(ApiError(AppError::InvalidBody {
                detail: "expected a JSON object, found an array".into(),
                fields: FieldErrors::new(),
            })),
            Ok(Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(ApiError(json_rejection(&rejection))),
        }
    }
}

/// Rewrites every number with no fraction written as a float (`1.0`, `2e3`) as an integer;
/// true when it changed one.
fn whole_floats_as_integers(value: &mut serde_json::Value) -> bool {
    use serde_json::Value;
    match value {
        Value::Number(n) if n.is_f64() => {
            let f = n.as_f64().unwrap_or(f64::NAN);
            // Only where the integer is exact: beyond 2^53 a float names no one integer.
            if f.fract() == 0.0 && f.abs() <= 9_007_199_254_740_992.0 {
                #[allow(clippy::cast_possible_truncation)]
                let whole = f as i64;
                *value = Value::from(whole);
                true
            } else {
                false
            }
        }
        // Every number is visited: no short-circuit.
        Value::Array(items) => items
            .iter_mut()
            .map(whole_floats_as_integers)
            .fold(false, |a, b| a | b),
        Value::Object(fields) => fields
            .values_mut()
            .map(whole_floats_as_integers)
            .fold(false, |a, b| a | b),
        _ => false,
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

/// `Path` whose rejection is an API error: a segment that cannot name anything (a word where an
/// id goes) names nothing, a 404 like an unknown id; never a plain-text 400.
pub struct ApiPath<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiPath<T>
where
    T: serde::de::DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(ApiPath(value)),
            // A route declared without its parameter: the server's fault, not the caller's.
            Err(rejection) if rejection.status().is_server_error() => Err(ApiError(
                AppError::internal(format_args!("path parameters: {}", rejection.body_text())),
            )),
            Err(_) => Err(ApiError(AppError::NotFound)),
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
    fn whole_floats_become_integers_and_others_stay() {
        let mut v = serde_json::json!({"a": 1.0, "b": [2.5, 3e2], "c": {"d": -0.0}, "e": 7});
        assert!(whole_floats_as_integers(&mut v));
        assert_eq!(
            v,
            serde_json::json!({"a": 1, "b": [2.5, 300], "c": {"d": 0}, "e": 7})
        );
        let mut big = serde_json::json!(1e300);
        assert!(!whole_floats_as_integers(&mut big));
        let mut plain = serde_json::json!({"a": 1, "b": "1.0"});
        assert!(!whole_floats_as_integers(&mut plain));
    }

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
