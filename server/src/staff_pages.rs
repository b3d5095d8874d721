//! The staff console's code is a wasm chunk of its own that only staff should download. A
//! staff page opened by anyone else is refused by the page itself (401 or 403); this makes the
//! refusal a page without the app's wasm, so the router never fetches the staff chunk for it.

use app::accounts::service::require_staff;
use app::platform::AppState;
use app::PageScripts;
use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;

pub async fn refusals_without_wasm(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let staff_page = request.method() == Method::GET && is_staff_path(request.uri().path());
    if staff_page && require_staff(&state.db, request.headers()).await.is_err() {
        request.extensions_mut().insert(PageScripts::None);
    }
    next.run(request).await
}

fn is_staff_path(path: &str) -> bool {
    path == "/staff" || path.starts_with("/staff/")
}

#[cfg(test)]
mod tests {
    use super::is_staff_path;

    #[test]
    fn only_the_staff_console_is_a_staff_path() {
        for path in ["/staff", "/staff/", "/staff/kpis", "/staff/customers/7"] {
            assert!(is_staff_path(path), "{path}");
        }
        for path in ["/", "/staffing", "/shipments", "/track/staff"] {
            assert!(!is_staff_path(path), "{path}");
        }
    }
}
