//! Reading a request (client address, cookies) and writing cookies, for API handlers and server
//! functions alike.

use std::net::{IpAddr, SocketAddr};

use axum::extract::ConnectInfo;
use http::{header, HeaderMap, HeaderValue};

use crate::error::{AppError, OrInternal, Reply};

use super::AppState;

pub const SESSION_COOKIE: &str = "pp_session";

/// The caller's address as limits and logs count it: the socket peer or, when a proxy in
/// front is trusted, the right-most `X-Forwarded-For` hop (the one that proxy added: the
/// hops left of it are written by the client). IPv6 callers are counted per /64, the block one
/// subscriber gets, so changing addresses inside it does not reset a limit.
pub fn client_ip(parts: &http::request::Parts, trust_proxy: bool) -> IpAddr {
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    client_ip_from(&parts.headers, peer, trust_proxy)
}

pub fn client_ip_from(headers: &HeaderMap, peer: Option<SocketAddr>, trust_proxy: bool) -> IpAddr {
    let forwarded = || {
        // Several headers are one list, in order.
        let hops: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .collect();
        hops.last()?.trim().parse::<IpAddr>().ok()
    };
    let ip = trust_proxy
        .then(forwarded)
        .flatten()
        .or(peer.map(|p| p.ip()))
        .unwrap_or(IpAddr::from([127, 0, 0, 1]));
    counted_as(ip)
}

/// IPv4 as is (also when written IPv4-mapped), IPv6 as its /64 network.
fn counted_as(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6((u128::from(v6) & !u128::from(u64::MAX)).into()),
        },
    }
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
    let state = use_context::<AppState>().or_internal("the app state in context")?;
    let parts = use_context::<http::request::Parts>().or_internal("the request in context")?;
    Ok((state, parts))
}

/// Inside a server function: the shared state and what `E` reads from the request, as a REST
/// handler would take it (the caller's role: `accounts::callers`). An error is the call's
/// status, as `respond` sets it. `leptos_axum::extract_with_state` does the same extraction
/// but turns the rejection into text, so a 401 and a 403 would both reach the page as a 500.
pub async fn caller<E>() -> Result<(AppState, E), AppError>
where
    E: axum::extract::FromRequestParts<AppState, Rejection = AppError>,
{
    let (state, _, extracted) = caller_and_request::<E>().await?;
    Ok((state, extracted))
}

/// [`caller`], and the request too, for a function that also reads a cookie or a header.
pub async fn caller_and_request<E>() -> Result<(AppState, http::request::Parts, E), AppError>
where
    E: axum::extract::FromRequestParts<AppState, Rejection = AppError>,
{
    let (state, mut parts) = respond(server_fn_context())?;
    let extracted = respond(E::from_request_parts(&mut parts, &state).await)?;
    Ok((state, parts, extracted))
}

/// Inside a server function: sets the HTTP status of an error, so callers that are not the
/// Leptos client (curl, tests) see a meaningful code; a 503 says when to try again.
pub fn respond<T>(result: Result<T, AppError>) -> Result<T, AppError> {
    if let Err(e) = &result {
        if let Some(opts) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
            opts.set_status(e.status());
            if *e == AppError::Unavailable {
                opts.insert_header(
                    header::RETRY_AFTER,
                    HeaderValue::from(crate::error::UNAVAILABLE_RETRY_SECS),
                );
            }
        }
    }
    result
}

/// Inside a form's server function: its outcome as `Reply` says. A refusal the form shows stays
/// inside the 200; any other error (another customer's object, a missing role, a limit, an
/// outage) is the call's own status, as it is for every other endpoint.
pub fn form_reply<T>(reply: Reply<T>) -> Result<Reply<T>, AppError> {
    match reply {
        Err(e) if !e.is_for_the_form() => respond(Err(e)),
        reply => Ok(reply),
    }
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
    let page = crate::domain::local_path(url.path())?;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn forwarded(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for v in values {
            headers.append("x-forwarded-for", HeaderValue::from_str(v).unwrap());
        }
        headers
    }

    const PEER: &str = "10.0.0.2:50000";

    #[test]
    fn behind_a_trusted_proxy_the_hop_it_added_counts_not_the_ones_the_client_wrote() {
        let peer = Some(PEER.parse().unwrap());
        let ip =
            |values: &[&str], trust| client_ip_from(&forwarded(values), peer, trust).to_string();
        // The client wrote 1.1.1.1; the proxy appended the address it saw.
        assert_eq!(ip(&["1.1.1.1, 203.0.113.7"], true), "203.0.113.7");
        assert_eq!(ip(&["1.1.1.1", "203.0.113.7"], true), "203.0.113.7");
        assert_eq!(ip(&["203.0.113.7"], true), "203.0.113.7");
        // Without a trusted proxy the header is the client's word: the socket counts.
        assert_eq!(ip(&["1.1.1.1, 203.0.113.7"], false), "10.0.0.2");
        // A hop that is not an address: the socket counts.
        assert_eq!(ip(&["1.1.1.1, unknown"], true), "10.0.0.2");
        assert_eq!(ip(&[], true), "10.0.0.2");
    }

    #[test]
    fn ipv6_callers_are_counted_per_64_and_mapped_ipv4_as_ipv4() {
        let ip = |peer: &str| client_ip_from(&HeaderMap::new(), Some(peer.parse().unwrap()), false);
        assert_eq!(
            ip("[2001:db8:1:2:aaaa:bbbb:cccc:dddd]:443"),
            ip("[2001:db8:1:2::1]:443")
        );
        assert_eq!(ip("[2001:db8:1:2::1]:443").to_string(), "2001:db8:1:2::");
        assert_ne!(ip("[2001:db8:1:3::1]:443"), ip("[2001:db8:1:2::1]:443"));
        assert_eq!(ip("[::ffff:198.51.100.4]:443").to_string(), "198.51.100.4");
        assert_eq!(ip("198.51.100.4:443").to_string(), "198.51.100.4");
    }
}
