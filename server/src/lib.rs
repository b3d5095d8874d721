//! The Parcelport server: configuration, the HTTP stack (pages, server functions, REST API) and
//! the start-up tasks. `main.rs` only parses the command line.

mod access_log;
pub mod api;
pub mod assets;
pub mod demo;
mod forms;
mod origin_guard;
pub mod security_headers;
mod staff_pages;

use std::net::SocketAddr;
use std::sync::Arc;

use app::platform::{AppState, Db, Settings};
use app::{shell, App};
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, State};
use axum::handler::Handler;
use axum::http::Request;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, handle_server_fns_with_context, LeptosRoutes};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::services::ServeDir;

/// Where cargo-leptos put the compiled wasm, JS and CSS (`LEPTOS_SITE_ROOT`, default
/// `target/site`), and whether their names are hashed.
pub fn leptos_options(settings: &Settings) -> LeptosOptions {
    let site_root = std::env::var("LEPTOS_SITE_ROOT").unwrap_or_else(|_| "target/site".into());
    LeptosOptions::builder()
        .output_name("parcelport")
        .site_root(site_root)
        .site_pkg_dir("pkg")
        .site_addr(settings.listen_addr)
        .hash_files(assets::hashed_names())
        .build()
}

/// Connects the database (running migrations) and assembles the state.
pub async fn prepare(settings: Settings) -> Result<AppState, sqlx::Error> {
    let db = Db::connect(&settings.database_url).await?;
    // Built once, and again after REPORT_TIME_ZONE changes; events keep them after that.
    if let Some(rows) = app::kpi_rollup::ensure(&db, &settings.report_time_zone)
        .await
        .map_err(|e| sqlx::Error::Protocol(format!("counting the KPI roll-ups: {e}")))?
    {
        tracing::info!(rows, time_zone = %settings.report_time_zone, "KPI roll-ups built");
    }
    Ok(AppState {
        leptos_options: leptos_options(&settings),
        db,
        settings: Arc::new(settings),
        open_streams: Default::default(),
        shutdown: Default::default(),
        workers: Default::default(),
    })
}

async fn server_fn_handler(State(state): State<AppState>, req: Request<Body>) -> Response {
    handle_server_fns_with_context(move || provide_context(state.clone()), req)
        .await
        .into_response()
}

/// Arguments a server function cannot read (missing, of the wrong type, over the body limit)
/// fail before the function runs, so nothing sets a status: Leptos answers 500 with the error
/// as the body. The error says whose fault it was, and the status follows it.
async fn with_the_callers_status(res: Response) -> Response {
    use axum::http::StatusCode;
    use leptos::server_fn::error::SERVER_FN_ERROR_HEADER;
    if res.status() != StatusCode::INTERNAL_SERVER_ERROR
        || !res.headers().contains_key(SERVER_FN_ERROR_HEADER)
    {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    // The server function's own error, already in memory.
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    if let Ok(error) = serde_json::from_slice::<app::error::AppError>(&bytes) {
        if error.status().is_client_error() {
            parts.status = error.status();
            parts.extensions.insert(error);
        }
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// Server functions take JSON or form fields; the four that carry a CSV or a photo
/// (base64-encoded) have room for it. Chosen by path: Leptos registers each server function's
/// own route.
async fn rpc_body_limit(req: Request<Body>, next: axum::middleware::Next) -> Response {
    use tower::{Layer, ServiceExt};
    let path = req.uri().path();
    if !path.starts_with("/rpc/") {
        return next.run(req).await;
    }
    let limit = api::limits::for_rpc(path);
    // Refused before reading when the length is announced (browsers always do); a limit met
    // while reading fails the server function's arguments instead (a 413 too, once
    // `with_the_callers_status` has read the error).
    let announced = req
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if announced.is_some_and(|length| length > limit) {
        let refusal = app::error::AppError::PayloadTooLarge;
        return (refusal.status(), axum::Json(refusal)).into_response();
    }
    // Leptos mounts each server function on its own route, so its answer is corrected here.
    match DefaultBodyLimit::max(limit).layer(next).oneshot(req).await {
        Ok(res) => with_the_callers_status(res).await,
        Err(never) => match never {},
    }
}

fn panic_page(stylesheet: &str) -> Response {
    tracing::error!("a request handler panicked");
    let page = "<!DOCTYPE html><html lang=\"en\"><meta charset=\"utf-8\"><meta name=\"viewport\" \
        content=\"width=device-width, initial-scale=1\"><title>500 · Parcelport</title>\
        <link rel=\"stylesheet\" href=\"{stylesheet}\"><main class=\"container\">\
        <section class=\"card narrow error-page\"><p class=\"error-code\">500</p>\
        <h1>Something went wrong</h1><p lang=\"zh-CN\">出错了</p>\
        <p>We could not complete this request. Please try again in a moment.</p>\
        <p lang=\"zh-CN\">暂时无法完成请求，请稍后重试。</p><a class=\"button\" href=\"/\">Home · 首页</a>\
        </section></main></html>";
    (
        axum::http::StatusCode::INTERNAL_SERVER_ERROR,
        Html(page.replace("{stylesheet}", stylesheet)),
    )
        .into_response()
}

/// The whole HTTP application.
pub fn router(state: AppState) -> Router {
    // Generated once per process: generation briefly suppresses resource loading process-wide
    // (leptos-rs/leptos#4773), and a page rendering on another server of the same process at
    // that moment (integration tests start many) would wait forever.
    static ROUTES: std::sync::OnceLock<Vec<leptos_axum::AxumRouteListing>> =
        std::sync::OnceLock::new();
    let routes = ROUTES.get_or_init(|| generate_route_list(App)).clone();
    let options = state.leptos_options.clone();
    let stylesheet = assets::stylesheet_href(&options);
    Router::new()
        .leptos_routes_with_context(
            &state,
            routes,
            {
                let state = state.clone();
                move || {
                    provide_context(state.clone());
                    security_headers::provide_page_policy(&state.settings);
                }
            },
            move || shell(options.clone()),
        )
        .route("/rpc/{*fn_name}", post(server_fn_handler))
        .merge(api::router(state.clone()))
        .merge(forms::router())
        // The site's files (brotli or gzip when built precompressed, 304 when unchanged), and
        // the not-found page for any other path.
        .fallback_service(
            ServeDir::new(&*state.leptos_options.site_root)
                .precompressed_br()
                .precompressed_gzip()
                .append_index_html_on_directories(false)
                .call_fallback_on_method_not_allowed(true)
                .fallback(
                    leptos_axum::file_and_error_handler_with_context::<AppState, _>(
                        {
                            let state = state.clone();
                            move || {
                                provide_context(state.clone());
                                security_headers::provide_page_policy(&state.settings);
                            }
                        },
                        shell,
                    )
                    .with_state(state.clone()),
                ),
        )
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            origin_guard::refuse_cross_origin_writes,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            staff_pages::refusals_without_wasm,
        ))
        .layer(CompressionLayer::new())
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            assets::cache_headers,
        ))
        .layer(CatchPanicLayer::custom(move |_| panic_page(stylesheet)))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            security_headers::add,
        ))
        .layer(axum::middleware::from_fn(rpc_body_limit))
        .layer(axum::middleware::from_fn(access_log::time_limit))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            access_log::log,
        ))
        .with_state(state)
}

/// A server bound to a socket and serving in the background, with its background workers.
pub struct Running {
    pub addr: SocketAddr,
    pub state: AppState,
    pub handle: tokio::task::JoinHandle<std::io::Result<()>>,
    /// The supervised background workers; each ends after the stop.
    pub workers: Vec<tokio::task::JoinHandle<()>>,
}

impl Running {
    /// Stops in order: no new connections, live streams end (telling browsers when to come
    /// back), requests under way are answered and each worker finishes its round, all within
    /// `SHUTDOWN_GRACE_SECS`. True when everything finished in time; what had not is abandoned.
    pub async fn stop(self) -> bool {
        let Running {
            state,
            mut handle,
            workers,
            ..
        } = self;
        state.shutdown.trigger();
        let deadline = tokio::time::Instant::now() + state.settings.shutdown_grace;
        let mut clean = true;
        match tokio::time::timeout_at(deadline, &mut handle).await {
            Ok(Ok(Ok(()))) => {}
            Ok(Ok(Err(e))) => {
                tracing::error!("the server failed: {e}");
                clean = false;
            }
            Ok(Err(e)) => {
                tracing::error!("the server task failed: {e}");
                clean = false;
            }
            Err(_) => {
                tracing::warn!("requests still open when the grace period ran out");
                handle.abort();
                clean = false;
            }
        }
        for mut worker in workers {
            match tokio::time::timeout_at(deadline, &mut worker).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => {
                    tracing::error!("a background worker's supervisor failed: {e}");
                    clean = false;
                }
                Err(_) => {
                    tracing::warn!("a background worker's round outlasted the grace period");
                    worker.abort();
                    clean = false;
                }
            }
        }
        clean
    }
}

/// Waits for Ctrl-C or (on Unix) SIGTERM and says which came.
pub async fn stop_signal() -> &'static str {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!("Ctrl-C cannot be caught: {e}");
            std::future::pending::<()>().await;
        }
        "Ctrl-C"
    };
    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                term.recv().await;
            }
            Err(e) => {
                tracing::warn!("SIGTERM cannot be caught: {e}");
                std::future::pending::<()>().await;
            }
        }
        "SIGTERM"
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<&'static str>();
    tokio::select! {
        signal = ctrl_c => signal,
        signal = terminate => signal,
    }
}

/// Binds `settings.listen_addr` (port 0 picks a free port), prepares, serves, and starts the
/// background workers under supervision. Nothing stops until [`Running::stop`] (or the state's
/// `shutdown` is triggered).
pub async fn spawn(
    settings: Settings,
) -> Result<Running, Box<dyn std::error::Error + Send + Sync>> {
    use app::platform::lifecycle::supervise;
    use std::time::Duration;

    let listener = tokio::net::TcpListener::bind(settings.listen_addr).await?;
    let addr = listener.local_addr()?;
    let demo = settings.demo_data;
    let state = prepare(settings).await?;
    let (shutdown, beats) = (&state.shutdown, &state.workers);
    let mut workers = Vec::new();
    if demo {
        demo::seed_if_empty(&state.db).await?;
        let speed = state.settings.simulator_speed;
        if speed > 0 {
            let db = state.db.clone();
            workers.push(supervise(
                "simulator",
                Duration::from_secs(15),
                shutdown,
                beats,
                move |w| app::tracking::simulator::run(w, db.clone(), speed),
            ));
        }
    }
    // Background work every instance does; all are safe to run on several instances at once.
    let sender = app::notifications::sender::Sender::new(state.db.clone(), state.settings.clone());
    workers.push(supervise(
        "sender",
        state.settings.notify_poll,
        shutdown,
        beats,
        move |w| sender.clone().run(w),
    ));
    if !state.settings.delay_sweep.is_zero() {
        let db = state.db.clone();
        workers.push(supervise(
            "delay_sweep",
            state.settings.delay_sweep,
            shutdown,
            beats,
            move |w| app::tracking::delays::run(w, db.clone()),
        ));
        // Resolved complaints nobody answered close after 7 days; minutes late is no matter.
        let db = state.db.clone();
        workers.push(supervise(
            "auto_close",
            state.settings.delay_sweep,
            shutdown,
            beats,
            move |w| app::complaints::service::run_auto_close(w, db.clone()),
        ));
    }
    if let Some(at_minute) = state.settings.tier_recompute_at {
        // Claimed per day in the database, so one instance of many runs it.
        let db = state.db.clone();
        workers.push(supervise(
            "tier_recompute",
            Duration::from_secs(60),
            shutdown,
            beats,
            move |w| app::crm::segments::run_daily(w, db.clone(), at_minute),
        ));
    }
    let app = router(state.clone());
    let stop = state.shutdown.clone();
    let handle = tokio::spawn(async move {
        let served = axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(stop.wait())
        .await;
        // However the server ended, the rest of the instance stops with it.
        stop.trigger();
        served
    });
    Ok(Running {
        addr,
        state,
        handle,
        workers,
    })
}
