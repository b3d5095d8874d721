//! The one error shape of every answer that is not a page:
//! `{"error": {"code": "...", "message": "...", "fields": {"<field>": "<message>"}}}`. Here,
//! beside the error, so a guard refusing a REST call and a handler's own refusal read alike.

use std::collections::BTreeMap;

use axum::response::{IntoResponse, Response};
use axum::Json;
use http::{header, HeaderValue};
use serde::Serialize;
use utoipa::ToSchema;

use super::{AppError, UNAVAILABLE_RETRY_SECS};
use crate::i18n::Locale;

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

/// `err` in the error shape, in `locale`, with the status and `Retry-After` it calls for. The
/// error rides along in the response's extensions, so a layer can re-render it in the
/// caller's language.
pub fn error_response(err: &AppError, locale: Locale) -> Response {
    let body = ErrorBody {
        error: ErrorDetail {
            code: err.code().to_string(),
            message: err.message(locale),
            fields: err.field_messages(locale),
        },
    };
    let mut response = (err.status(), Json(body)).into_response();
    match err {
        AppError::RateLimited { retry_after_secs } => {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
        }
        AppError::Unavailable => {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(UNAVAILABLE_RETRY_SECS),
            );
        }
        _ => {}
    }
    response.headers_mut().insert(
        header::CONTENT_LANGUAGE,
        HeaderValue::from_static(locale.tag()),
    );
    response.extensions_mut().insert(err.clone());
    response
}

/// In English; the API's `localise_errors` layer re-renders it for another language.
impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        error_response(&self, Locale::En)
    }
}
