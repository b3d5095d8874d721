//! Headers every answer carries: a Content-Security-Policy the pages work under (scripts from
//! this site only, inline ones only with the page's nonce, the wasm allowed to compile, map
//! tiles from `MAP_TILE_URL`'s host), no framing, no sniffing, no full referrer sent to other
//! sites, and HSTS when the cookies are `Secure` (the site is served over HTTPS).

use axum::extract::{Request, State};
use axum::http::header::{
    CONTENT_SECURITY_POLICY, REFERRER_POLICY, STRICT_TRANSPORT_SECURITY, X_CONTENT_TYPE_OPTIONS,
    X_FRAME_OPTIONS,
};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;

use app::platform::{AppState, Settings};

/// The policy; `nonce` is the page's, which its inline scripts (Leptos' hydration and data)
/// carry. Styles may be inline: the map library and a few bars set them, and a style cannot
/// run code.
pub fn content_security_policy(settings: &Settings, nonce: Option<&str>) -> String {
    let nonce = nonce.map(|n| format!(" 'nonce-{n}'")).unwrap_or_default();
    let tiles = settings
        .map_tiles()
        .and_then(|template| tile_origin(&template))
        .map(|origin| format!(" {origin}"))
        .unwrap_or_default();
    format!(
        "default-src 'self'; script-src 'self'{nonce} 'wasm-unsafe-eval'; \
         style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:{tiles}; \
         connect-src 'self'; font-src 'self'; worker-src 'self'; manifest-src 'self'; \
         object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// `https://{s}.tile.example.org/{z}/{x}/{y}.png` -> `https://*.tile.example.org`.
fn tile_origin(template: &str) -> Option<String> {
    let (scheme, rest) = template.split_once("://")?;
    let host = rest.split('/').next()?.replace("{s}", "*");
    let plain = |c: char| c.is_ascii_alphanumeric() || "-.:*".contains(c);
    (matches!(scheme, "http" | "https") && !host.is_empty() && host.chars().all(plain))
        .then(|| format!("{scheme}://{host}"))
}

pub async fn add(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let settings = &state.settings;
    let headers = res.headers_mut();
    // A page rendered by Leptos has set its own, with its nonce.
    if !headers.contains_key(CONTENT_SECURITY_POLICY) {
        if let Ok(policy) = HeaderValue::from_str(&content_security_policy(settings, None)) {
            headers.insert(CONTENT_SECURITY_POLICY, policy);
        }
    }
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        REFERRER_POLICY,
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
    if settings.cookie_secure {
        headers.insert(
            STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    res
}

/// For a page Leptos renders: the policy with the page's nonce.
pub fn provide_page_policy(settings: &Settings) {
    let (Some(nonce), Some(response)) = (
        leptos::nonce::use_nonce(),
        leptos::prelude::use_context::<leptos_axum::ResponseOptions>(),
    ) else {
        return;
    };
    if let Ok(policy) = HeaderValue::from_str(&content_security_policy(settings, Some(&nonce))) {
        response.insert_header(CONTENT_SECURITY_POLICY, policy);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_tiles_are_allowed_from_their_host_only() {
        assert_eq!(
            tile_origin("https://tile.openstreetmap.org/{z}/{x}/{y}.png").as_deref(),
            Some("https://tile.openstreetmap.org")
        );
        assert_eq!(
            tile_origin("https://{s}.tiles.example:8443/{z}/{x}/{y}.png").as_deref(),
            Some("https://*.tiles.example:8443")
        );
        assert_eq!(tile_origin("javascript:alert(1)"), None);
        assert_eq!(tile_origin("https://a b/{z}"), None);
        assert_eq!(tile_origin("https://x.example'; script-src */"), None);
    }

    #[test]
    fn the_policy_allows_no_inline_script_without_the_nonce() {
        let settings = Settings {
            map_tile_url: "none".into(),
            ..Settings::default()
        };
        let policy = content_security_policy(&settings, Some("abc"));
        assert!(policy.contains("script-src 'self' 'nonce-abc' 'wasm-unsafe-eval';"));
        assert!(policy.contains("frame-ancestors 'none'"));
        assert!(policy.contains("img-src 'self' data: blob:;"));
        let script_src = policy
            .split(';')
            .find(|d| d.contains("script-src"))
            .unwrap();
        assert!(!script_src.contains("unsafe-inline"));
    }
}
