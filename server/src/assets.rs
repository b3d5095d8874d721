//! The site's static files (the wasm, JS and CSS cargo-leptos builds, and `public/`) and how
//! browsers may cache them.
//!
//! cargo-leptos names the JS, wasm and CSS after a hash of their contents (`hash-files`) and
//! lists the hashes in `hash.txt` beside the server binary. A hashed name never changes meaning,
//! so those files are cached for a year without asking again (`immutable`): a second visit
//! downloads none of them. Everything else is `no-cache` unless its handler says more: the
//! browser may keep it but asks first, and a static file that did not change answers 304.
//! A page or answer made for someone (a session, a recipient's grant, a bearer token) is
//! `no-store`: no cache, the service worker's included, keeps it.

use std::path::PathBuf;
use std::sync::OnceLock;

use axum::extract::{Request, State};
use axum::http::header::{CACHE_CONTROL, VARY};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use leptos::config::LeptosOptions;

use app::platform::AppState;

/// For a year, never revalidated: only for content-hashed names.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Kept, but revalidated on every use.
const REVALIDATE: &str = "no-cache";
/// Never kept.
const PRIVATE: &str = "no-store";

/// A request made as someone: a session, a recipient's grant, a bearer token or a recipient's
/// proof in the query (`?verify=`).
fn personal(req: &Request) -> bool {
    let headers = req.headers();
    let proof_in_query = req
        .uri()
        .query()
        .is_some_and(|q| q.split('&').any(|pair| pair.starts_with("verify=")));
    proof_in_query
        || headers.contains_key(axum::http::header::AUTHORIZATION)
        || [
            app::platform::request::SESSION_COOKIE,
            app::tracking::service::ACCESS_COOKIE,
            app::accounts::TYPED_EMAIL_COOKIE,
        ]
        .iter()
        .any(|name| app::platform::request::cookie(headers, name).is_some())
}

/// Pages and data, as opposed to the site's files (styles, scripts, images, fonts).
fn is_content(res: &Response) -> bool {
    res.headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|t| {
            [
                "text/html",
                "application/json",
                "text/event-stream",
                "application/pdf",
                "text/csv",
            ]
            .iter()
            .any(|kind| t.starts_with(kind))
        })
}

fn hash_file() -> Option<PathBuf> {
    Some(std::env::current_exe().ok()?.parent()?.join("hash.txt"))
}

/// Whether the built files carry hashed names: as `LEPTOS_HASH_FILES` says (cargo-leptos sets it
/// for the servers it starts), else whether the build left `hash.txt` beside this binary (a
/// binary started by hand or by the end-to-end tests; a test binary has none).
pub fn hashed_names() -> bool {
    match std::env::var("LEPTOS_HASH_FILES") {
        Ok(v) => v == "true",
        Err(_) => hash_file().is_some_and(|f| f.exists()),
    }
}

/// The stylesheet's path, with its hash when the files are hashed (for pages rendered outside
/// Leptos, such as the panic page).
pub fn stylesheet_href(options: &LeptosOptions) -> &'static str {
    static HREF: OnceLock<String> = OnceLock::new();
    HREF.get_or_init(|| {
        let hash = options
            .hash_files
            .then(|| std::fs::read_to_string(hash_file()?).ok())
            .flatten()
            .and_then(|hashes| {
                hashes.lines().find_map(|line| {
                    let (file, hash) = line.split_once(':')?;
                    (file.trim() == "css").then(|| format!(".{}", hash.trim()))
                })
            })
            .unwrap_or_default();
        format!(
            "/{}/{}{hash}.css",
            options.site_pkg_dir, options.output_name
        )
    })
}

/// Sets `Cache-Control` (see the module's note) and `Vary: Accept-Encoding`: the same URL is
/// sent brotli, gzip or plain as the browser accepts, and a cache must keep them apart.
pub async fn cache_headers(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let options = &state.leptos_options;
    let path = req.uri().path();
    let hashed = options.hash_files
        && path
            .strip_prefix('/')
            .and_then(|p| p.strip_prefix(&*options.site_pkg_dir))
            .is_some_and(|p| p.starts_with('/') && !p.starts_with("/snippets/"));
    // A file of `public/` under its current version's address (an old or a future version's
    // address is not promised to stay).
    let versioned = !hashed
        && req.uri().path_and_query().is_some_and(|p| {
            app::platform::assets::is_current_version(&options.site_root, p.as_str())
        });
    let hashed = hashed || versioned;
    let personal = personal(&req);
    let mut res = next.run(req).await;
    let found = res.status().is_success();
    let private = personal && !hashed && is_content(&res);
    let headers = res.headers_mut();
    if hashed && found {
        headers.insert(CACHE_CONTROL, HeaderValue::from_static(IMMUTABLE));
    } else if private {
        headers.insert(CACHE_CONTROL, HeaderValue::from_static(PRIVATE));
    } else if !headers.contains_key(CACHE_CONTROL) {
        headers.insert(CACHE_CONTROL, HeaderValue::from_static(REVALIDATE));
    }
    let varies = headers.get_all(VARY).iter().any(|v| {
        v.to_str()
            .is_ok_and(|v| v.to_ascii_lowercase().contains("accept-encoding"))
    });
    if !varies {
        headers.append(VARY, HeaderValue::from_static("accept-encoding"));
    }
    res
}
