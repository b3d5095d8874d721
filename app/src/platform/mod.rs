//! Server-side plumbing shared by every capability: configuration, the database, the request
//! context, rate limiting, and stopping and supervising the background work. Compiled only with
//! `ssr`; nothing here reaches the wasm.

pub mod assets;
pub mod db;
pub mod gazetteer;
pub mod insert;
pub mod lifecycle;
pub mod links;
pub mod rate_limit;
pub mod request;
pub mod settings;
pub mod tokens;
pub mod uploads;

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;

pub use db::{Db, DbKind};
pub use settings::Settings;

/// Everything a handler or server function needs, cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub settings: Arc<Settings>,
    pub leptos_options: LeptosOptions,
    /// The live tracking streams this instance holds open, per client address.
    pub open_streams: rate_limit::OpenStreams,
    /// The stop signal: SIGTERM, Ctrl-C or `Running::stop`.
    pub shutdown: lifecycle::Shutdown,
    /// The background workers' heartbeats, for the readiness check.
    pub workers: lifecycle::Workers,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

/// Milliseconds since the Unix epoch: the one time format stored in the database, identical on
/// SQLite and PostgreSQL.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}
