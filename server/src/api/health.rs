use std::time::Instant;

use app::platform::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok` or `unavailable`.
    status: &'static str,
    /// `sqlite` or `postgres`.
    database: &'static str,
    /// Time of one database round trip.
    database_roundtrip_ms: f64,
}

/// Liveness and readiness: answers only after a real database round trip.
#[utoipa::path(get, path = "/healthz", tag = "service",
    responses((status = 200, body = Health), (status = 503, body = Health)))]
pub async fn healthz(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    let start = Instant::now();
    let result = state.db.ping().await;
    let health = Health {
        status: if result.is_ok() { "ok" } else { "unavailable" },
        database: state.db.kind.as_str(),
        database_roundtrip_ms: start.elapsed().as_secs_f64() * 1000.0,
    };
    let status = if result.is_ok() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(health))
}
