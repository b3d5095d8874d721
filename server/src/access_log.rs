//! One line per request at info (method, path, status, time, client), a `security` event for
//! each refusal, and a time limit on every request but the live stream. The query is never
//! logged: it can hold a recipient's proof (`?verify=`).

use std::time::Instant;

use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use app::error::AppError;
use app::platform::request::client_ip_from;
use app::platform::AppState;

pub async fn log(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let peer = req
        .extensions()
        .get::<ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0);
    let client = client_ip_from(req.headers(), peer, state.settings.trust_proxy);
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    // Kept to name the user in a refusal; looked up only then, as refusals are rare.
    let credentials = credentials_of(req.headers());
    let res = next.run(req).await;
    let status = res.status().as_u16();
    let ms = started.elapsed().as_millis() as u64;
    tracing::info!(target: "access", %client, %method, %path, status, ms);
    // Refusals of a caller: the signed-out, the wrong role, an object that is not theirs
    // (answered 404 so it cannot be told from a missing one). A limit reached (429) is logged
    // by the limit itself, which knows which one.
    if matches!(status, 401 | 403 | 404) && !is_site_file(&path) {
        let reason = res
            .extensions()
            .get::<AppError>()
            .map_or_else(|| reason_of(status), |e| e.code());
        let user = match credentials {
            Some(headers) => app::accounts::service::authenticate_request(&state.db, &headers)
                .await
                .ok()
                .flatten()
                .map(|u| u.id),
            None => None,
        };
        tracing::info!(target: "security", %client, user, %method, %path, status, reason, "refused");
    }
    res
}

/// The request's cookie and bearer token, if it carried either.
fn credentials_of(headers: &axum::http::HeaderMap) -> Option<axum::http::HeaderMap> {
    use axum::http::header::{AUTHORIZATION, COOKIE};
    let mut kept = axum::http::HeaderMap::new();
    for name in [COOKIE, AUTHORIZATION] {
        for value in headers.get_all(&name) {
            kept.append(name.clone(), value.clone());
        }
    }
    (!kept.is_empty()).then_some(kept)
}

fn reason_of(status: u16) -> &'static str {
    match status {
        401 => "unauthenticated",
        403 => "forbidden",
        _ => "not_found",
    }
}

/// A missing favicon or stylesheet says nothing about a caller.
fn is_site_file(path: &str) -> bool {
    path.starts_with("/pkg/")
        || path.starts_with("/vendor/")
        || path.starts_with("/icons/")
        || path
            .rsplit('/')
            .next()
            .is_some_and(|last| last.contains('.'))
}

/// Longest a request may take before it is answered 503 (a CSV import of 10,000 rows takes a
/// few seconds). The live tracking stream is the one request meant to stay open.
pub const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

pub async fn time_limit(req: Request, next: Next) -> Response {
    if req.uri().path().ends_with("/stream") {
        return next.run(req).await;
    }
    let path = req.uri().path().to_string();
    let locale = app::i18n::locale_from_headers(req.headers());
    match tokio::time::timeout(REQUEST_TIMEOUT, next.run(req)).await {
        Ok(res) => res,
        Err(_) => {
            tracing::error!(%path, "request timed out");
            // The API answers in its error shape, as its document says; pages as before.
            if is_api(&path) {
                crate::api::error_response(&AppError::Unavailable, locale)
            } else {
                axum::http::StatusCode::SERVICE_UNAVAILABLE.into_response()
            }
        }
    }
}

/// The paths the API's document describes.
fn is_api(path: &str) -> bool {
    path.starts_with("/api/") || path == "/healthz" || path == "/readyz"
}
