//! Reading a request (client address, cookies) and writing cookies, for API handlers and server
//! functions alike.

use std::net::{IpAddr, SocketAddr};

use axum::extract::ConnectInfo;
use http::{header, HeaderMap, HeaderValue};

use crate::error::{AppError, Reply};

use super::AppState;

pub const SESSION_COOKIE: &str = "pp_session";

/// The caller's address: the socket peer, or the first `X-Forwarded-For` hop when a proxy in
/// front is trusted to set it.
pub fn client_ip(parts: &http::request::Parts, trust_proxy: bool) -> IpAddr {
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    client_ip_from(&parts.headers, peer, trust_proxy)
}

pub fn client_ip_from(headers: &HeaderMap, peer: Option<SocketAddr>, trust_proxy: bool) -> IpAddr {
    if trust_proxy {
        if let Some(ip) = headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .and_then(|v| v.trim().parse().ok())
        {
            return ip;
        }
    }
    peer.map(|p| p.ip()).unwrap_or(IpAddr::from([127, 0, 0, 1]))
}

pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// `Set-Cookie` for a cookie only the server reads: HttpOnly so scripts cannot read it,
/// SameSite=Lax so other sites cannot post with it, sent only under `path`. `value` must be
/// cookie-safe ASCII (a token, a signature, percent-encoded text).
pub fn private_cookie(
    name: &str,
    value: &str,
    path: &str,
    max_age_secs: u64,
    secure: bool,
) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path={path}; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}"
    ))
    .expect("cookie is ASCII")
}

/// `Set-Cookie` for the session, on the whole site.
pub fn session_cookie(token: &str, max_age_secs: u64, secure: bool) -> HeaderValue {
    private_cookie(SESSION_COOKIE, token, "/", max_age_secs, secure)
}

pub fn clear_session_cookie(secure: bool) -> HeaderValue {
    session_cookie("", 0, secure)
}

/// Inside a server function: the shared state and the request.
pub fn server_fn_context() -> Result<(AppState, http::request::Parts), AppError> {
    use leptos::prelude::use_context;
    let state = use_context::<AppState>().ok_or(AppError::Internal)?;
    let parts = use_context::<http::request::Parts>().ok_or(AppError::Internal)?;
    Ok((state, parts))
}

/// Inside a server function: sets the HTTP status of an error, so callers that are not the
/// Leptos client (curl, tests) see a meaningful code.
pub fn respond<T>(result: Result<T, AppError>) -> Result<T, AppError> {
    if let Err(e) = &result {
        if let Some(opts) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
            opts.set_status(e.status());
        }
    }
    result
}

pub fn add_response_header(name: header::HeaderName, value: HeaderValue) {
    if let Some(opts) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
        opts.append_header(name, value);
    }
}

/// Whether the browser posted a plain HTML form (no script asked for an encoded answer).
pub fn accepts_html(parts: &http::request::Parts) -> bool {
    parts
        .headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"))
}

/// The page a form was posted from (the `Referer`'s path and query, without an earlier
/// refusal), with `e` in its query for the page to show (`AppError::to_query`). Only a path:
/// whatever the header says, the browser stays on this site.
pub fn form_page_with_refusal(parts: &http::request::Parts, e: &AppError) -> Option<String> {
    let referer = parts.headers.get(header::REFERER)?.to_str().ok()?;
    let url = url::Url::parse(referer).ok()?;
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| !["error", "field", "retry"].contains(&k.as_ref()))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    query.extend_pairs(kept);
    let query = query.finish();
    let page = crate::accounts::local_path(url.path())?;
    Some(match query.as_str() {
        "" => format!("{page}?{}", e.to_query()),
        q => format!("{page}?{q}&{}", e.to_query()),
    })
}

/// A server function's refusal, for a form posted without scripts: the browser goes back to
/// the form's page, which shows why next to the field. Calls from the app's wasm are untouched
/// (they get the refusal as data).
pub fn back_to_form_on_refusal<T>(parts: &http::request::Parts, reply: Reply<T>) -> Reply<T> {
    if let Err(e) = &reply {
        if accepts_html(parts) {
            if let Some(page) = form_page_with_refusal(parts, e) {
                leptos_axum::redirect(&page);
            }
        }
    }
    reply
}
