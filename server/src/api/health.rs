use std::time::{Duration, Instant};

use app::platform::AppState;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

/// How long the readiness check waits for the database.
const DATABASE_DEADLINE: Duration = Duration::from_secs(2);

#[derive(Serialize, ToSchema)]
pub struct Live {
    /// Always `ok`.
    status: &'static str,
}

/// Liveness: the process answers HTTP. No database call, so a slow database never gets a
/// healthy instance restarted; load balancers should route by `/readyz`.
#[utoipa::path(get, path = "/healthz", tag = "service",
    responses((status = 200, body = Live)))]
pub async fn healthz() -> Json<Live> {
    Json(Live { status: "ok" })
}

#[derive(Serialize, ToSchema)]
pub struct WorkerHealth {
    /// `sender`, `delay_sweep`, `auto_close`, `tier_recompute` or `simulator`.
    name: &'static str,
    /// Running (not waiting for a restart after a panic) and keeping to its schedule.
    healthy: bool,
    /// Restarts after a panic since the start.
    restarts: u32,
    /// Since its last round ended; absent before the first one ends.
    last_round_ms_ago: Option<u64>,
}

#[derive(Serialize, ToSchema)]
pub struct Readiness {
    /// `ready`, `not_ready`, or `shutting_down` once the instance is stopping.
    status: &'static str,
    /// `sqlite` or `postgres`.
    database: &'static str,
    /// A database round trip succeeded within 2 s.
    database_ok: bool,
    /// Time of that round trip (or of the attempt).
    database_roundtrip_ms: f64,
    /// `applied` (every migration of this build), `pending`, or `unknown` when the database
    /// could not be asked.
    migrations: &'static str,
    /// The background workers this instance runs.
    workers: Vec<WorkerHealth>,
}

/// Readiness, for a load balancer: 200 only when the database answers within 2 s, every
/// migration is applied, every background worker is running and the instance is not stopping;
/// otherwise 503 with `Retry-After`.
#[utoipa::path(get, path = "/readyz", tag = "service",
    responses((status = 200, body = Readiness, description = "Ready for traffic"),
        (status = 503, body = Readiness, description = "Not ready, or stopping")))]
pub async fn readyz(State(state): State<AppState>) -> Response {
    let deadline = tokio::time::Instant::now() + DATABASE_DEADLINE;
    let start = Instant::now();
    let ping = tokio::time::timeout_at(deadline, state.db.ping()).await;
    let database_roundtrip_ms = start.elapsed().as_secs_f64() * 1000.0;
    let database_ok = matches!(ping, Ok(Ok(())));
    let migrations = if database_ok {
        match tokio::time::timeout_at(deadline, state.db.migrations_applied()).await {
            Ok(Ok(true)) => "applied",
            Ok(Ok(false)) => "pending",
            _ => "unknown",
        }
    } else {
        "unknown"
    };
    let workers: Vec<WorkerHealth> = state
        .workers
        .snapshot()
        .into_iter()
        .map(|w| WorkerHealth {
            name: w.name,
            healthy: w.healthy,
            restarts: w.restarts,
            last_round_ms_ago: w.last_round_ms_ago,
        })
        .collect();
    let shutting_down = state.shutdown.is_triggered();
    let ready = !shutting_down
        && database_ok
        && migrations == "applied"
        && workers.iter().all(|w| w.healthy);
    let body = Json(Readiness {
        status: match (shutting_down, ready) {
            (true, _) => "shutting_down",
            (false, true) => "ready",
            (false, false) => "not_ready",
        },
        database: state.db.kind.as_str(),
        database_ok,
        database_roundtrip_ms,
        migrations,
        workers,
    });
    if ready {
        (StatusCode::OK, body).into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            [(
                header::RETRY_AFTER,
                app::error::UNAVAILABLE_RETRY_SECS.to_string(),
            )],
            body,
        )
            .into_response()
    }
}
