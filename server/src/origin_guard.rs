//! Refuses state-changing requests that a browser sent from another site (CSRF). Browsers
//! always send `Origin` on cross-origin POSTs and `Sec-Fetch-Site` everywhere; API clients such
//! as curl send neither and are authenticated by bearer tokens instead of cookies.

use app::error::AppError;
use app::platform::AppState;
use axum::extract::{Request, State};
use axum::http::{header, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::api::ApiError;

pub async fn refuse_cross_origin_writes(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if safe || is_same_origin(&request, &state.settings.public_origins) {
        next.run(request).await
    } else {
        tracing::warn!(uri = %request.uri(), "refused a cross-origin write");
        ApiError::from(AppError::CrossOrigin).into_response()
    }
}

fn is_same_origin(request: &Request, allowed: &[String]) -> bool {
    let headers = request.headers();
    match headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        Some(origin) => {
            let origin = origin.trim_end_matches('/');
            let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
            let own = host.is_some_and(|h| {
                origin == format!("http://{h}") || origin == format!("https://{h}")
            });
            own || allowed.iter().any(|a| a == origin)
        }
        // No Origin: not a cross-site browser request unless Fetch Metadata says so.
        None => headers
            .get("sec-fetch-site")
            .and_then(|v| v.to_str().ok())
            .is_none_or(|site| site != "cross-site"),
    }
}
